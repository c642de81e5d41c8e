/* adminapp dashboard: the few behaviours htmx does not cover. Everything works without it. */
(function () {
  "use strict";

  // --- theme: system preference, or the user's choice kept in localStorage -----------------
  var THEME_KEY = "adminapp-theme";
  var root = document.documentElement;
  try {
    var saved = localStorage.getItem(THEME_KEY);
    if (saved === "light" || saved === "dark") root.dataset.theme = saved;
  } catch (e) { /* storage disabled: follow the system */ }

  function effectiveTheme() {
    if (root.dataset.theme) return root.dataset.theme;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function toggleTheme() {
    var next = effectiveTheme() === "dark" ? "light" : "dark";
    root.dataset.theme = next;
    try { localStorage.setItem(THEME_KEY, next); } catch (e) { /* ignore */ }
  }

  // --- toasts ------------------------------------------------------------------------------
  // They sit under the top bar (app.css); at most MAX_TOASTS at a time, the oldest go first.
  var MAX_TOASTS = 3;

  function dismiss(toast) {
    toast.classList.add("toast--leaving");
    setTimeout(function () { toast.remove(); }, 200);
  }

  function capToasts() {
    var box = document.getElementById("toasts");
    if (!box) return;
    var shown = box.querySelectorAll(".toast:not(.toast--leaving)");
    for (var i = 0; i < shown.length - MAX_TOASTS; i++) shown[i].remove();
  }

  function scheduleToasts(scope) {
    scope.querySelectorAll(".toast:not([data-scheduled])").forEach(function (toast) {
      toast.dataset.scheduled = "1";
      if (!toast.classList.contains("toast--error")) {
        setTimeout(function () { dismiss(toast); }, 6000);
      }
    });
    capToasts();
  }

  function toast(text, tone) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "toast toast--" + (tone || "info");
    el.setAttribute("role", tone === "error" ? "alert" : "status");
    var span = document.createElement("span");
    span.className = "toast__text";
    span.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast__close";
    close.setAttribute("data-dismiss", "");
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "\u00d7";
    el.append(span, close);
    box.append(el);
    scheduleToasts(box);
  }

  // --- per-fragment setup (initial page and every htmx swap) -------------------------------
  function syncKeyKind(form) {
    var kind = form.querySelector("select[name=kind]");
    var role = form.querySelector(".field--service");
    if (kind && role) role.hidden = kind.value !== "SERVICE";
  }

  // Typed confirmation (deleting a space): the submit button stays disabled until the
  // expected text is typed. Without JavaScript the button is enabled and the server checks.
  function syncTypedConfirm(input) {
    var form = input.form;
    if (!form) return;
    var ok = input.value.trim() === input.getAttribute("data-confirm-text");
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = !ok; });
  }

  function init(scope) {
    scope.querySelectorAll("[data-theme-toggle], [data-copy]").forEach(function (el) {
      el.hidden = false;
    });
    scope.querySelectorAll("form").forEach(syncKeyKind);
    scope.querySelectorAll("[data-confirm-text]").forEach(syncTypedConfirm);
    if (scope.matches && scope.matches("form")) syncKeyKind(scope);
    var focus = scope.querySelector("[data-autofocus]");
    if (focus) focus.focus();
    scheduleToasts(document);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (e) { init(e.detail.elt); });

  document.addEventListener("click", function (e) {
    var target = e.target.closest("[data-theme-toggle], [data-dismiss], [data-copy]");
    if (!target) return;
    if (target.hasAttribute("data-theme-toggle")) toggleTheme();
    if (target.hasAttribute("data-dismiss")) dismiss(target.closest(".toast"));
    if (target.hasAttribute("data-copy")) {
      var input = document.querySelector(target.getAttribute("data-copy"));
      if (!input) return;
      var done = function () {
        var label = target.textContent;
        target.textContent = "Copied";
        setTimeout(function () { target.textContent = label; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {
          input.select(); document.execCommand("copy"); done();
        });
      } else {
        input.select(); document.execCommand("copy"); done();
      }
    }
  });

  document.addEventListener("change", function (e) {
    if (e.target.matches("select[name=kind]")) syncKeyKind(e.target.form);
  });

  document.addEventListener("input", function (e) {
    if (e.target.matches("[data-confirm-text]")) syncTypedConfirm(e.target);
  });

  document.addEventListener("focusin", function (e) {
    if (e.target.matches("[data-select-on-focus]")) e.target.select();
  });

  // --- upload progress ----------------------------------------------------------------------
  // A form holding a <progress data-upload-progress> shows how much of its body is sent while
  // htmx posts it (hx-encoding="multipart/form-data"), once a file is chosen. Without
  // JavaScript the form posts as usual and the browser shows its own progress.
  function uploadProgress(elt) {
    var form = elt && elt.closest ? elt.closest("form") : null;
    if (!form) return null;
    var bar = form.querySelector("progress[data-upload-progress]");
    var file = form.querySelector("input[type=file]");
    return bar && file && file.files && file.files.length ? bar : null;
  }
  document.addEventListener("htmx:xhr:loadstart", function (e) {
    var bar = uploadProgress(e.target);
    if (!bar) return;
    bar.value = 0;
    bar.hidden = false;
  });
  document.addEventListener("htmx:xhr:progress", function (e) {
    var bar = uploadProgress(e.target);
    if (!bar || !e.detail.lengthComputable || !e.detail.total) return;
    bar.value = Math.round((e.detail.loaded / e.detail.total) * 100);
    bar.textContent = bar.value + "%";
  });

  // --- htmx: which error answers to swap ---------------------------------------------------
  // Our views answer form errors (422, 409, ...) with the re-rendered form and other errors
  // with a toast retargeted to #toasts; both are marked by the X-Dashboard-Partial header.
  // Anything else (a proxy error, a crash page) must not be swapped into the page.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (xhr.status < 400) return;
    if (xhr.getResponseHeader("X-Dashboard-Partial")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    } else {
      e.detail.shouldSwap = false;
      toast("Something went wrong (HTTP " + xhr.status + "). Reload the page and try again.", "error");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server could not be reached. Check your connection and try again.", "error");
  });
})();
