"""Changing your password, and the mailed reset link (request, inspect, confirm)."""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest
from ninja import Router, Status

from adminapp.accounts import services
from adminapp.accounts.api import common
from adminapp.accounts.services import sessions
from adminapp.client import types as wire

router = Router()

RESET_REQUESTED = (
    "If an account has this email, a link to choose a new password is on its way. "
    "Check your inbox (and the spam folder)."
)


@router.post(
    "/me/password",
    response={204: None},
    tags=["identity"],
    summary="Change your password (browser session; the current one required)",
)
def change_password(request: HttpRequest, payload: wire.PasswordChangeParams):
    user = services.password_change(
        actor=request.auth,
        current_password=payload.current_password,
        new_password=payload.new_password,
    )
    # This session stays signed in; the user's other sessions no longer match and end.
    update_session_auth_hash(request, user)
    # Their rows go too (and the sessions themselves); this one's row takes the new key.
    sessions.touch(request, force=True)
    sessions.sessions_end_others(
        actor=request.auth, current_id=common.current_session_id(request), audit=False
    )
    return Status(204, None)


@router.post(
    "/auth/password-reset",
    response={202: wire.PasswordResetRequested},
    auth=None,
    summary="Mail a password reset link (the same answer whether the email has an account)",
)
def request_password_reset(request: HttpRequest, payload: wire.PasswordResetParams):
    services.password_reset_request(
        email=payload.email,
        link_for=common.reset_link_for(request),
        visitor=common.visitor(request),
    )
    return Status(202, wire.PasswordResetRequested(message=RESET_REQUESTED))


@router.post(
    "/auth/password-reset/inspect",
    response=wire.PasswordResetLink,
    auth=None,
    summary="The account a password reset link is for",
)
def inspect_password_reset(request: HttpRequest, payload: wire.PasswordResetInspectParams):
    return wire.PasswordResetLink(email=services.password_reset_inspect(token=payload.token).email)


@router.post(
    "/auth/password-reset/confirm",
    response={204: None},
    auth=None,
    summary="Choose a new password with a mailed link's token (once)",
)
def confirm_password_reset(request: HttpRequest, payload: wire.PasswordResetConfirmParams):
    services.password_reset_confirm(
        token=payload.token, new_password=payload.new_password, visitor=common.visitor(request)
    )
    return Status(204, None)
