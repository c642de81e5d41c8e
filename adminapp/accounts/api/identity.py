"""Who am I, signing in (password, then the two-factor code) and out, and switching the
session's organization."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.http import HttpRequest
from ninja import Router, Status

from adminapp import authz
from adminapp.accounts import principals, selectors, services
from adminapp.accounts.api import common
from adminapp.accounts.schemas import organization_out, user_out
from adminapp.accounts.services import mfa
from adminapp.client import types as wire
from adminapp.core import ratelimit
from adminapp.core.errors import BadRequest, NotFound
from adminapp.core.principal import Principal

router = Router()


def _me(principal: Principal, request: HttpRequest) -> wire.Me:
    session = principals.session_membership(request, principal)
    if session is not None:  # a session's own: its organization and user are at hand
        org, user = session.organization, request.user
    else:
        org = selectors.organization_get(actor=principal, org_id=principal.org_id)
        user = selectors.user_get(user_id=principal.user_id) if principal.user_id else None
    return wire.Me(
        principal_type=principal.actor_type,
        user=user_out(user) if user else None,
        api_key_id=principal.key_id,
        organization=organization_out(org, principal.role),
        role=principal.role,
        is_instance_admin=principal.is_superuser,
        permissions=sorted(authz.permissions_of(principal)),
    )


@router.get("/me", response=wire.Me, summary="Who am I")
def me(request: HttpRequest):
    return _me(request.auth, request)


@router.post("/auth/login", response=wire.Me, auth=None, summary="Sign in (browser session)")
def login(request: HttpRequest, payload: wire.LoginParams):
    common.require_csrf(request)
    user = services.user_login_check(
        email=payload.email, password=payload.password, ip=getattr(request, "client_ip", None)
    )
    # Two-factor on: a 401 mfa_required with a challenge; the session opens at /two-factor.
    mfa.login_password_step(user)
    return _open_session(request, user)


def _open_session(request: HttpRequest, user) -> wire.Me:
    django_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    principal = principals.for_session(request)
    services.session_record(actor=principal, action="auth.login")
    return _me(principal, request)


@router.post(
    "/auth/login/two-factor",
    response=wire.Me,
    auth=None,
    summary="Sign in, second step: the code for an mfa_required challenge",
)
def login_two_factor(request: HttpRequest, payload: wire.LoginTwoFactorParams):
    common.require_csrf(request)
    ratelimit.hit(
        "login_ip",
        f"{getattr(request, 'client_ip', None)}",
        settings.RATE_LIMIT_LOGIN_IP,
        message="Too many sign-in attempts from your address; wait a few minutes and try again.",
    )
    user, _kind = mfa.challenge_complete(
        token=payload.challenge, code=payload.code, visitor=common.visitor(request)
    )
    return _open_session(request, user)


@router.post("/auth/logout", response={204: None}, summary="Sign out (browser session)")
def logout(request: HttpRequest):
    services.session_record(actor=request.auth, action="auth.logout")
    django_logout(request)
    return Status(204, None)


@router.post("/me/organization", response=wire.Me, summary="Switch the session's organization")
def switch_organization(request: HttpRequest, payload: wire.SwitchOrganizationParams):
    principal: Principal = request.auth
    if principal.key_id:
        raise BadRequest("An API key is bound to its organization; it cannot switch.")
    if selectors.membership_get(user_id=principal.user_id, org_id=payload.organization_id) is None:
        raise NotFound(f"Organization {payload.organization_id} not found.")
    request.session[principals.SESSION_ORG_KEY] = payload.organization_id
    return _me(principals.for_session(request), request)
