"""Your own account's security: two-factor sign-in, your browser sessions, your profile; and
an organization's two-factor rule."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from adminapp.accounts.api import common
from adminapp.accounts.schemas import browser_session_out, organization_out, user_out
from adminapp.accounts.services import mfa, profile, sessions
from adminapp.client import types as wire

router = Router()


@router.get("/me/two-factor", response=wire.TwoFactorStatus, summary="Your two-factor sign-in")
def two_factor_status(request: HttpRequest):
    return mfa.two_factor_status(actor=request.auth)


@router.post(
    "/me/two-factor/setup",
    response=wire.TwoFactorSetup,
    summary="Start two-factor setup: a new secret and its QR code (confirm with a code)",
)
def two_factor_setup(request: HttpRequest):
    return mfa.enrolment_start(actor=request.auth)


@router.get(
    "/me/two-factor/setup",
    response=wire.TwoFactorSetup,
    summary="The setup waiting for its first code (its secret and QR code again)",
)
def two_factor_pending(request: HttpRequest):
    return mfa.enrolment_pending(actor=request.auth)


@router.post(
    "/me/two-factor/confirm",
    response=wire.RecoveryCodes,
    summary="Turn two-factor on with a first code; the recovery codes, shown once",
)
def two_factor_confirm(request: HttpRequest, payload: wire.TwoFactorCodeParams):
    return {"codes": mfa.enrolment_confirm(actor=request.auth, code=payload.code)}


@router.post(
    "/me/two-factor/disable",
    response={204: None},
    summary="Turn two-factor off (a current code, a recovery code or the password)",
)
def two_factor_disable(request: HttpRequest, payload: wire.TwoFactorDisableParams):
    mfa.disable(actor=request.auth, code=payload.code, password=payload.password)
    return Status(204, None)


@router.post(
    "/me/two-factor/recovery-codes",
    response=wire.RecoveryCodes,
    summary="Ten new recovery codes (a current code required; the old ones stop working)",
)
def two_factor_recovery_codes(request: HttpRequest, payload: wire.TwoFactorCodeParams):
    return {"codes": mfa.recovery_codes_regenerate(actor=request.auth, code=payload.code)}


@router.get("/me/sessions", response=wire.BrowserSessionList, summary="Your browser sessions")
def list_sessions(request: HttpRequest):
    current = common.current_session_id(request)
    rows = sessions.session_list(actor=request.auth)
    return {"items": [browser_session_out(r, current_id=current) for r in rows]}


@router.post(
    "/me/sessions/end-others",
    response=wire.SessionsEnded,
    summary="Sign out everywhere else (every session but this one)",
)
def end_other_sessions(request: HttpRequest):
    ended = sessions.sessions_end_others(
        actor=request.auth, current_id=common.current_session_id(request)
    )
    return {"ended": ended}


@router.delete(
    "/me/sessions/{session_id}", response={204: None}, summary="Sign one of your sessions out"
)
def end_session(request: HttpRequest, session_id: str):
    sessions.session_end(
        actor=request.auth, session_id=session_id, current_id=common.current_session_id(request)
    )
    return Status(204, None)


@router.patch("/me/profile", response=wire.User, summary="Change your name")
def update_profile(request: HttpRequest, payload: wire.ProfileUpdateParams):
    return user_out(profile.profile_update(actor=request.auth, name=payload.name))


@router.put(
    "/organizations/{org_id}/two-factor-policy",
    response=wire.Organization,
    summary="Require two-factor sign-in of every member (owners)",
)
def set_two_factor_policy(request: HttpRequest, org_id: str, payload: wire.TwoFactorPolicyParams):
    org = mfa.org_require_set(actor=request.auth, org_id=org_id, required=payload.required)
    return organization_out(org, request.auth.role)
