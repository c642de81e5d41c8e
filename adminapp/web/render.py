"""Rendering dashboard answers: whole pages, or for htmx the partial it swaps; confirm pages
for browsers without JavaScript; SDK errors as pages or toasts (``dashboard_view``).

Which partial an htmx request gets is chosen from the element it swaps, ``HX-Target``, and
nothing else: each view names the targets it answers (``partials={target: partial}``; a
target ending in ``*`` matches ids by prefix, e.g. ``"space-*"`` for one row of the list).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import suppress
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect as django_redirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect

from adminapp.client import (
    APIError,
    APIStatusError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
)
from adminapp.web.client import me, sdk

logger = logging.getLogger("adminapp.web")

ORGS_CACHE_SECONDS = 60

# Marks an answer htmx may swap even with an error status (see static/js/app.js).
PARTIAL_HEADER = "X-Dashboard-Partial"


def is_partial(request: HttpRequest) -> bool:
    """An htmx request that swaps a piece of the page (not a boost or a history restore)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def target(request: HttpRequest) -> str:
    """The id of the element an htmx request swaps ("" for a whole page)."""
    return (request.htmx.target or "") if is_partial(request) else ""


def partial_for(request: HttpRequest, partials: Mapping[str, str] | None) -> str | None:
    """The partial that answers this request's target, if the view offers one for it."""
    swapped = target(request)
    if not swapped or not partials:
        return None
    if swapped in partials:
        return partials[swapped]
    for pattern, partial in partials.items():
        if pattern.endswith("*") and swapped.startswith(pattern[:-1]):
            return partial
    return None


def _organizations(request: HttpRequest) -> list[dict[str, str]]:
    """The org switcher's choices. Cached briefly per session: they change rarely, and a
    stale entry is harmless (switching to an org you left is refused by the API). ``me``
    (role, permissions) is never cached."""
    key = f"web:orgs:{request.user.pk}:{request.session.session_key}"
    orgs = cache.get(key)
    if orgs is None:
        orgs = [{"id": o.id, "name": o.name} for o in sdk(request).organizations.list().items]
        cache.set(key, orgs, ORGS_CACHE_SECONDS)
    return orgs


def layout_context(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs: the caller (``me``: templates ask ``me|can:"…"``) and
    their organizations."""
    return {"me": me(request), "orgs": _organizations(request)}


def _toasts_oob(request: HttpRequest) -> str:
    return render_to_string("web/_toasts.html", {"oob": True}, request=request)


def page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    partials: Mapping[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The whole page, or only ``template#<partial>`` (plus pending toasts) when the htmx
    request targets an element ``partials`` names."""
    context = dict(context or {})
    partial = partial_for(request, partials)
    if partial is not None:
        context.setdefault("me", me(request))
        response = render(request, f"{template}#{partial}", context, status=status)
        response[PARTIAL_HEADER] = "1"
        toasts = _toasts_oob(request)
        if toasts.strip():
            response.content += toasts.encode()
        return response
    context.update(layout_context(request))
    return render(request, template, context, status=status)


def confirm(
    request: HttpRequest,
    *,
    title: str,
    message: str,
    action: str,
    button: str,
    cancel: str,
    danger: bool = False,
    hidden: dict[str, str] | None = None,
) -> HttpResponse:
    """The page a POST-only action shows on GET, for browsers without JavaScript (htmx asks
    with ``hx-confirm`` and posts at once): what is about to happen, a button that posts to
    ``action`` with the ``hidden`` fields, and a link back to ``cancel``."""
    context = {
        "title": title,
        "message": message,
        "action": action,
        "hidden": hidden or {},
        "button": button,
        "danger": danger,
        "cancel": cancel,
    }
    return page(request, "web/confirm.html", context)


def removed(request: HttpRequest) -> HttpResponse:
    """The htmx answer once a row's object is gone: nothing, which the row is swapped for
    (plus the pending toasts)."""
    return page(request, "web/_empty.html", {}, partials={"*": "empty"})


def redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that also works for htmx requests (a full client-side navigation)."""
    if is_partial(request):
        return HttpResponseClientRedirect(url)
    return django_redirect(url)


def no_store(response: HttpResponse) -> HttpResponse:
    """For an answer that carries a secret: never cached, never stored anywhere."""
    add_never_cache_headers(response)
    response["Cache-Control"] += ", no-store"
    return response


def error(request: HttpRequest, exc: APIError, *, status: int) -> HttpResponse:
    titles = {
        403: "Your role cannot do this",
        404: "Not found",
        409: "That conflicts with the current state",
        429: "Slow down",
    }
    context = {
        "status": status,
        "title": titles.get(status, "Something went wrong"),
        "message": getattr(exc, "message", "") or str(exc),
        "code": getattr(exc, "code", ""),
        "request_id": getattr(exc, "request_id", None),
    }
    if is_partial(request):
        # Shown as a toast wherever the user is; app.js lets htmx swap these error answers.
        response = render(request, "web/_error_toast.html", context, status=status)
        response[PARTIAL_HEADER] = "1"
        response["HX-Retarget"] = "#toasts"
        response["HX-Reswap"] = "beforeend"
        return response
    with suppress(APIError):  # if the layout itself fails, the page renders without it
        context.update(layout_context(request))
    return render(request, "web/error.html", context, status=status)


def _to_login(request: HttpRequest) -> HttpResponse:
    """The login page, coming back here afterwards. For htmx (a poll, a partial) the whole
    window goes there, back to the page the user was on — not the partial's URL."""
    if is_partial(request):
        here = request.htmx.current_url_abs_path or reverse("web:overview")
        login = redirect_to_login(here)
        return HttpResponseClientRedirect(login["Location"])
    return redirect_to_login(request.get_full_path())


def dashboard_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page for signed-in users whose SDK errors become pages instead of 500s."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return _to_login(request)
        try:
            return view(request, *args, **kwargs)
        except AuthenticationError:
            messages.info(request, "Please sign in again.")
            return _to_login(request)
        except PermissionDeniedError as exc:
            if exc.code == "two_factor_setup_required":  # the organization's rule
                messages.info(request, exc.message)
                return redirect(request, reverse("web:security"))
            return error(request, exc, status=403)
        except NotFoundError as exc:
            return error(request, exc, status=404)
        except APIStatusError as exc:
            if exc.status_code >= 500:
                logger.error("API error %s in %s: %s", exc.status_code, request.path, exc.message)
            return error(request, exc, status=exc.status_code)
        except APIError as exc:
            logger.exception("SDK call failed in %s", request.path)
            return error(request, exc, status=503)

    return wrapper
