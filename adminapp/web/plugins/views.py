"""The Plugins pages of instance admins: the store's catalogue (searched by words and tag,
each entry to install, update or already installed), the installed plugins (enable, disable,
update, remove), an upload and a git install, and a plugin's own page (its manifest, its
components with each macro's parameters, its archive to download, the same actions).

Every install, update and remove is a job: its page (``web:job_detail``) follows its
progress. The API refuses anyone but an instance admin (403 page); the nav link shows only
for them. A remove asks for the plugin's id typed; while the plugin is in use the API
refuses and lists the usages, and only that refusal offers to remove it anyway (``force``).
"""

from __future__ import annotations

import uuid
from itertools import islice
from typing import Any

import semver
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from adminapp.client import APIStatusError, ConflictError, PermissionDeniedError
from adminapp.client.types import Job
from adminapp.client.types.plugins import Plugin, PluginStoreEntry
from adminapp.web import render
from adminapp.web.client import me, sdk
from adminapp.web.flow import REQUIRED, apply_api_errors, idempotency_key, in_words, is_input_error
from adminapp.web.plugins.forms import ArchiveForm, GitForm, StoreSearchForm, UpdateForm

STORE = "web/plugins/store.html"
INSTALLED = "web/plugins/installed.html"
UPLOAD = "web/plugins/upload.html"
GIT = "web/plugins/git.html"
PLUGIN = "web/plugins/plugin_detail.html"
INSTALLED_SHOWN = 500


def plugin_url(plugin_id: str) -> str:
    return reverse("web:plugin_detail", args=[plugin_id])


def _job_started(request: HttpRequest, words: str, job: Job) -> HttpResponse:
    """The toast naming the job, then its page (its live progress)."""
    url = reverse("web:job_detail", args=[job.id])
    messages.success(request, format_html('{}: <a href="{}">job {}</a>.', words, url, job.id))
    return render.redirect(request, url)


def _require_instance_admin(request: HttpRequest) -> None:
    """For the pages that read nothing of the API before their form is sent (the API
    refuses the post anyway)."""
    if not me(request).is_instance_admin:
        raise PermissionDeniedError(
            "Only instance admins manage plugins.", status_code=403, code="permission_denied"
        )


# --- the store ------------------------------------------------------------------------------
def entry_state(entry: PluginStoreEntry) -> str:
    """ "install" (not here), "update" (the store has a newer version) or "installed"."""
    if not entry.installed_version:
        return "install"
    try:
        newer = semver.Version.parse(entry.version) > semver.Version.parse(entry.installed_version)
    except ValueError:
        newer = entry.version != entry.installed_version
    return "update" if newer else "installed"


def _matches(entry: PluginStoreEntry, words: str, tag: str) -> bool:
    meta = entry.meta or {}
    if tag and tag not in (meta.get("tags") or []):
        return False
    if not words:
        return True
    text = " ".join(
        str(part)
        for part in (entry.id, meta.get("label"), meta.get("description"), meta.get("author"))
        if part
    ).lower()
    return all(word in text for word in words.lower().split())


@require_GET
@render.dashboard_view
def store(request: HttpRequest) -> HttpResponse:
    """The store's catalogue (``?q=`` words, ``?tag=``); htmx swaps the results only."""
    catalogue = sdk(request).plugins.store()  # 403 for anyone but an instance admin
    tags = sorted({t for e in catalogue for t in (e.meta or {}).get("tags") or []})
    form = StoreSearchForm(request.GET, tags=tags)
    entries, status = [], 200
    if form.is_valid():
        q, tag = form.cleaned_data["q"].strip(), form.cleaned_data["tag"]
        entries = [(e, entry_state(e)) for e in catalogue if _matches(e, q, tag)]
    else:
        status = 422
    context = {
        "form": form,
        "entries": entries,
        "catalogue_size": len(catalogue),
        "searched": bool(request.GET.get("q") or request.GET.get("tag")),
        "job_key": uuid.uuid4().hex,
    }
    return render.page(
        request, STORE, context, partials={"store-results": "store-results"}, status=status
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def store_install(request: HttpRequest, plugin_id: str) -> HttpResponse:
    """Install (or update to) the store's newest version of ``plugin_id``: a job, whose
    page follows. Without JavaScript a GET asks first."""
    client = sdk(request)
    entry = next((e for e in client.plugins.store() if e.id.lower() == plugin_id.lower()), None)
    if entry is None:
        messages.error(request, f"The store has no plugin “{plugin_id}”.")
        return render.redirect(request, reverse("web:plugins"))
    label = (entry.meta or {}).get("label") or entry.id
    verb = "Update" if entry_state(entry) == "update" else "Install"
    if request.method == "GET":
        return render.confirm(
            request,
            title=f"{verb} {label} {entry.version}?",
            message="A job downloads the archive from the store, checks it and switches to it "
            "in one step; its page shows the progress.",
            action=request.path,
            button=verb,
            hidden={"idempotency_key": uuid.uuid4().hex},
            cancel=reverse("web:plugins"),
        )
    try:
        job = client.plugins.install_from_store(
            entry.id, version=entry.version, idempotency_key=idempotency_key(request)
        )
    except APIStatusError as exc:
        if not is_input_error(exc):
            raise
        messages.error(request, in_words(exc))
        return render.redirect(request, reverse("web:plugins"))
    return _job_started(request, f"{verb} of {label} {entry.version} started", job)


# --- installed plugins ----------------------------------------------------------------------
@require_GET
@render.dashboard_view
def installed(request: HttpRequest) -> HttpResponse:
    """Every installed plugin (an instance holds a few: the SDK's ``list()`` takes no
    cursor, so the pages are followed here, up to ``INSTALLED_SHOWN``)."""
    plugins = list(islice(sdk(request).plugins.list(limit=100), INSTALLED_SHOWN))
    context = {"plugins": plugins, "job_key": uuid.uuid4().hex}
    return render.page(request, INSTALLED, context)


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def plugin_toggle(request: HttpRequest, plugin_id: str, enable: bool) -> HttpResponse:
    """Enable or disable a plugin (its components join or leave the import choices and
    the macro lists at once). htmx: its row again; without JavaScript a GET asks first."""
    client = sdk(request)
    plugin = client.plugins.get(plugin_id)
    back = request.POST.get("next") or request.GET.get("next") or ""
    if back not in ("detail", "list"):
        back = "list"
    back_url = (
        plugin_url(plugin.plugin_id) if back == "detail" else reverse("web:plugins_installed")
    )
    if request.method == "GET":
        what = (
            "Its importers and macros become choices again at once."
            if enable
            else "Its importers and macros leave the import choices and macro lists at once; "
            "running jobs finish."
        )
        return render.confirm(
            request,
            title=f"{'Enable' if enable else 'Disable'} {plugin.label}?",
            message=what,
            action=request.path,
            button="Enable" if enable else "Disable",
            hidden={"next": back},
            cancel=back_url,
        )
    plugin = (
        client.plugins.enable(plugin.plugin_id)
        if enable
        else client.plugins.disable(plugin.plugin_id)
    )
    messages.success(request, f"{'Enabled' if enable else 'Disabled'} {plugin.label}.")
    if not render.is_partial(request):
        return render.redirect(request, back_url)
    context = {"plugin": plugin, "job_key": uuid.uuid4().hex}
    return render.page(request, INSTALLED, context, partials={"plugin-*": "plugin-row"})


# --- installs from an upload or git ---------------------------------------------------------
def _start_install(request: HttpRequest, form, call, words: str) -> tuple[Job | None, int]:
    """Start an install from ``form`` (its errors, the API's too, next to its fields)."""
    if not form.is_valid():
        return None, 422
    try:
        job = call(**form.sdk_arguments(), idempotency_key=idempotency_key(request))
    except APIStatusError as exc:
        if not (is_input_error(exc) or exc.status_code == 413):
            raise
        if exc.fields:
            apply_api_errors(form, exc)
        elif "file" in form.fields:
            form.add_error("file", exc.message)
        else:
            form.add_error(None, exc.message)
        return None, exc.status_code
    return job, 202


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def upload(request: HttpRequest) -> HttpResponse:
    """Install from an uploaded zip: streamed on to the API, then the job's page."""
    _require_instance_admin(request)
    form, status = ArchiveForm(), 200
    if request.method == "POST":
        form = ArchiveForm(request.POST, request.FILES)
        if form.is_valid() and not form.cleaned_data.get("file"):
            form.add_error("file", REQUIRED)
            status = 422
        else:
            job, status = _start_install(
                request, form, sdk(request).plugins.install_from_archive, "upload"
            )
            if job is not None:
                name = form.cleaned_data["file"].name
                return _job_started(request, f"Installing from “{name}”", job)
    context = {"form": form, "job_key": uuid.uuid4().hex}
    return render.page(request, UPLOAD, context, partials={"upload": "upload-form"}, status=status)


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def git(request: HttpRequest) -> HttpResponse:
    """Install from a git repository (URL, checkout, subpath), then the job's page."""
    _require_instance_admin(request)
    form, status = GitForm(), 200
    if request.method == "POST":
        form = GitForm(request.POST)
        if form.is_valid() and not form.cleaned_data.get("url", "").strip():
            form.add_error("url", REQUIRED)
            status = 422
        else:
            job, status = _start_install(
                request, form, sdk(request).plugins.install_from_git, "git"
            )
            if job is not None:
                return _job_started(request, "Installing from git", job)
            form.forget_credentials()
    context = {"form": form, "job_key": uuid.uuid4().hex}
    return render.page(request, GIT, context, partials={"git": "git-form"}, status=status)


# --- one plugin -----------------------------------------------------------------------------
def plugin_context(
    request: HttpRequest,
    plugin: Plugin,
    *,
    update_form: UpdateForm | None = None,
    confirm_error: str | None = None,
    remove_error: str | None = None,
    blocking: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    manifest = plugin.manifest or {}
    source = plugin.source.kind if plugin.source else "archive"
    return {
        "plugin": plugin,
        "manifest": manifest,
        "meta": manifest.get("meta") or {},
        "importers": [c for c in plugin.components if c.type == "importer"],
        "macros": [c for c in plugin.components if c.type == "macro"],
        "usages": sdk(request).plugins.usages(plugin.plugin_id),
        "update_form": update_form or UpdateForm(source=source),
        "source_kind": source,
        "job_key": uuid.uuid4().hex,
        "confirm_error": confirm_error,
        "remove_error": remove_error,
        "blocking": blocking,
    }


@require_GET
@render.dashboard_view
def plugin_detail(request: HttpRequest, plugin_id: str) -> HttpResponse:
    plugin = sdk(request).plugins.get(plugin_id)
    return render.page(request, PLUGIN, plugin_context(request, plugin))


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def plugin_update(request: HttpRequest, plugin_id: str) -> HttpResponse:
    """Update from the plugin's own source (the store, its git repository, or a newer zip
    uploaded here): a job, whose page follows. A refusal (no newer version, a zip of
    another plugin) is said in the update form."""
    client = sdk(request)
    plugin = client.plugins.get(plugin_id)
    if request.method == "GET":
        return render.redirect(request, plugin_url(plugin.plugin_id) + "#update")
    source = plugin.source.kind if plugin.source else "archive"
    form = UpdateForm(request.POST, request.FILES, source=source)
    status = 422
    if form.is_valid() and source == "archive" and not form.cleaned_data.get("file"):
        form.add_error("file", REQUIRED)
    else:
        update = client.plugins.update

        def call(**kwargs: Any) -> Job:
            return update(plugin.plugin_id, **kwargs)

        job, status = _start_install(request, form, call, "update")
        if job is not None:
            return _job_started(request, f"Updating {plugin.label}", job)
    context = plugin_context(request, plugin, update_form=form)
    return render.page(
        request, PLUGIN, context, partials={"update": "plugin-update"}, status=status
    )


@require_POST
@render.dashboard_view
def plugin_remove(request: HttpRequest, plugin_id: str) -> HttpResponse:
    """Remove a plugin once its id is typed: a job. In use, the API refuses and lists the
    usages; that answer (and only it) offers "Remove anyway" (``force``)."""
    client = sdk(request)
    plugin = client.plugins.get(plugin_id)
    typed, error, blocking, status = None, None, None, 422
    force = request.POST.get("force") == "1"
    if request.POST.get("confirm_name", "").strip() != plugin.plugin_id:
        typed = "Type the plugin’s id exactly as shown to confirm."
    else:
        try:
            job = client.plugins.delete(
                plugin.plugin_id, force=force, idempotency_key=idempotency_key(request)
            )
        except ConflictError as exc:
            error, status = exc.message, exc.status_code
            blocking = exc.details.get("usages") or []
        else:
            return _job_started(request, f"Removing {plugin.label}", job)
    context = plugin_context(
        request, plugin, confirm_error=typed, remove_error=error, blocking=blocking
    )
    context["force_offered"] = blocking is not None or force
    return render.page(
        request, PLUGIN, context, partials={"remove": "plugin-remove"}, status=status
    )


@require_GET
@render.dashboard_view
def plugin_download(request: HttpRequest, plugin_id: str) -> HttpResponse:
    """The installed version's zip, streamed from the API through the SDK."""
    upstream = sdk(request).plugins.open_download(plugin_id)
    response = StreamingHttpResponse(
        upstream.iter_bytes(), content_type=upstream.headers.get("Content-Type", "application/zip")
    )
    response["Content-Disposition"] = upstream.headers.get(
        "Content-Disposition", f'attachment; filename="{plugin_id}.zip"'
    )
    if upstream.headers.get("Content-Length"):
        response["Content-Length"] = upstream.headers["Content-Length"]
    add_never_cache_headers(response)
    return response
