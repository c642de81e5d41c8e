"""Your signed-in browser sessions: listed (device, IP, last seen) and ended one at a time or
all but this one.

Django's session store is not indexed by user, so each session opened by ``login()`` gets a
``UserSession`` row (the ``user_logged_in`` signal); the row's id is kept in the session.
The request middleware refreshes its last-seen time (and its key, which Django rotates on a
password change) at most once a minute. Ending a session deletes it from Django's store
(its key is kept encrypted for that) and drops the row."""

from __future__ import annotations

import time
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from adminapp.accounts.models import User, UserSession
from adminapp.accounts.services.mfa import audit_user
from adminapp.core import crypto
from adminapp.core.errors import BadRequest, NotFound
from adminapp.core.principal import Principal, PrincipalKind

SESSION_ROW_KEY = "adminapp_session_id"
SEEN_KEY = "adminapp_session_seen"
TOUCH_EVERY = 60  # seconds between two last-seen writes of one session


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def _key_fields(session_key: str) -> dict:
    return {"key_digest": crypto.digest(session_key), "key_encrypted": crypto.encrypt(session_key)}


def opened(request: HttpRequest, user: User) -> None:
    """A session was just signed in (``login()`` has cycled its key)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if session.session_key is None:
        session.save()
    row = UserSession.objects.create(
        user=user,
        last_seen_at=timezone.now(),
        user_agent=(request.META.get("HTTP_USER_AGENT") or "")[:300],
        ip=getattr(request, "client_ip", None) or None,
        **_key_fields(session.session_key),
    )
    session[SESSION_ROW_KEY] = row.id
    session[SEEN_KEY] = int(time.time())


def closed(request: HttpRequest) -> None:
    """The session is signing out (``logout()``): its row goes."""
    session = getattr(request, "session", None)
    row_id = session.get(SESSION_ROW_KEY) if session is not None else None
    if row_id:
        UserSession.objects.filter(id=row_id).delete()


def touch(request: HttpRequest, *, force: bool = False) -> None:
    """Refresh this session's last-seen time, IP and key, at most once a minute."""
    session = request.session
    row_id = session.get(SESSION_ROW_KEY)
    now = int(time.time())
    if not row_id or (not force and now - session.get(SEEN_KEY, 0) < TOUCH_EVERY):
        return
    fields = {
        "last_seen_at": timezone.now(),
        "ip": getattr(request, "client_ip", None) or None,
        "user_agent": (request.META.get("HTTP_USER_AGENT") or "")[:300],
    }
    if session.session_key:
        fields.update(_key_fields(session.session_key))
    UserSession.objects.filter(id=row_id, user_id=request.user.id).update(**fields)
    session[SEEN_KEY] = now


def _session_user_id(actor: Principal) -> str:
    if actor.kind != PrincipalKind.USER or actor.key_id or not actor.user_id:
        raise BadRequest(
            "Manage your sessions from a signed-in browser session, not with an API key.",
            code="session_required",
        )
    return actor.user_id


def session_list(*, actor: Principal) -> list[UserSession]:
    """The user's sessions still within their lifetime, the most recently seen first."""
    user_id = _session_user_id(actor)
    since = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    return list(
        UserSession.objects.filter(user_id=user_id, last_seen_at__gte=since).order_by(
            "-last_seen_at", "id"
        )
    )


def _end(row: UserSession) -> None:
    try:
        _store()(session_key=crypto.decrypt(row.key_encrypted)).delete()
    finally:
        row.delete()


@transaction.atomic
def session_end(*, actor: Principal, session_id: str, current_id: str | None) -> None:
    """Sign one of your other sessions out."""
    user_id = _session_user_id(actor)
    row = UserSession.objects.select_for_update().filter(id=session_id, user_id=user_id).first()
    if row is None:
        raise NotFound(f"Session {session_id} not found.")
    if row.id == current_id:
        raise BadRequest(
            "This is the session you are using: sign out instead.", code="current_session"
        )
    _end(row)
    user = User.objects.get(id=user_id)
    audit_user(actor, user, "auth.session_end", {"session_id": session_id})


@transaction.atomic
def sessions_end_others(*, actor: Principal, current_id: str | None, audit: bool = True) -> int:
    """Sign out every session of yours but this one; how many ended."""
    user_id = _session_user_id(actor)
    rows = list(
        UserSession.objects.select_for_update().filter(user_id=user_id).exclude(id=current_id)
    )
    for row in rows:
        _end(row)
    if audit:
        user = User.objects.get(id=user_id)
        audit_user(actor, user, "auth.sessions_end_others", {"ended": len(rows)})
    return len(rows)
