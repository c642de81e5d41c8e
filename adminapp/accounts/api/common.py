"""What several subjects' endpoints read off the request: links for mail, the visitor, the
CSRF checks of credential-less calls that open a session, the session's own row."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja.utils import check_csrf

from adminapp.accounts import principals
from adminapp.accounts.services import sessions
from adminapp.core.errors import PermissionDenied
from adminapp.core.http import is_inprocess
from adminapp.core.principal import Principal


def link_for(request: HttpRequest):
    """token → the absolute URL of the dashboard's accept page (``PUBLIC_BASE_URL`` or the
    address this request came to)."""
    base = settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")
    return lambda token: base + reverse("web:invitation_accept", args=[token])


def reset_link_for(request: HttpRequest):
    base = settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")
    return lambda token: base + reverse("web:password_reset_confirm", args=[token])


def visitor(request: HttpRequest) -> Principal:
    user = getattr(request, "user", None)
    label = user.email if user is not None and user.is_authenticated else ""
    return principals.for_visitor(org_id=None, label=label, request=request)


CSRF_FAILED = "CSRF check failed: send the X-CSRFToken header."


def require_csrf(request: HttpRequest) -> None:
    """A sign-in (it opens a browser session) carries the CSRF token; an in-process call
    comes from a dashboard page that passed Django's own check."""
    if not is_inprocess(request) and check_csrf(request):
        raise PermissionDenied(CSRF_FAILED)


def csrf_passed(request: HttpRequest) -> bool:
    """Whether the call may open a browser session: in-process, or with the CSRF token.
    A call that carries cookies of ours without it is refused; one with no cookie at all
    (a script) may accept, but is not signed in (so no page elsewhere can sign a browser
    in as an account of its making)."""
    if is_inprocess(request) or not check_csrf(request):
        return True
    if request.COOKIES:
        raise PermissionDenied(CSRF_FAILED)
    return False


def current_session_id(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    return session.get(sessions.SESSION_ROW_KEY) if session is not None else None
