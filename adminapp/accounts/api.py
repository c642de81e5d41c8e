"""/api/v1 endpoints for identity and tenancy: me, sign-in, organizations, members,
invitations, API keys and the permission check. Each endpoint: input schema → service → output schema."""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Status
from ninja.utils import check_csrf
from pydantic import Field

from adminapp import authz
from adminapp.accounts import principals, selectors, services
from adminapp.accounts.schemas import (
    api_key_out,
    browser_session_out,
    instance_organization_out,
    instance_user_out,
    invitation_out,
    invitation_preview_out,
    member_out,
    organization_out,
    user_out,
)
from adminapp.accounts.services import mfa, profile, sessions
from adminapp.client import types as wire
from adminapp.core import ratelimit
from adminapp.core.errors import BadRequest, NotFound, PermissionDenied
from adminapp.core.http import is_inprocess
from adminapp.core.pagination import PageParams
from adminapp.core.principal import Principal

router = Router(tags=["identity"])
instance_router = Router(tags=["instance"])  # mounted at /instance beside jobs' health


class MemberListParams(PageParams):
    email: str | None = Field(None, max_length=255, description="Substring of the email.")
    search: str | None = Field(
        None, max_length=255, description="Substring of the email or the name (typeahead)."
    )
    sort: wire.MemberSort = Field(wire.MemberSort.JOINED, description="The column to sort by.")
    order: Literal["asc", "desc"] = Field("asc", description="Ascending or descending.")


class SearchPageParams(PageParams):
    search: str | None = Field(None, max_length=255, description="A substring to look for.")


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
    if not is_inprocess(request):
        csrf_error = check_csrf(request)
        if csrf_error:
            raise PermissionDenied("CSRF check failed: send the X-CSRFToken header.")
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
    if not is_inprocess(request):
        csrf_error = check_csrf(request)
        if csrf_error:
            raise PermissionDenied("CSRF check failed: send the X-CSRFToken header.")
    ratelimit.hit(
        "login_ip",
        f"{getattr(request, 'client_ip', None)}",
        settings.RATE_LIMIT_LOGIN_IP,
        message="Too many sign-in attempts from your address; wait a few minutes and try again.",
    )
    user, _kind = mfa.challenge_complete(
        token=payload.challenge, code=payload.code, visitor=_visitor(request)
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


@router.get("/organizations", response=wire.OrganizationPage, summary="My organizations")
def list_organizations(request: HttpRequest):
    principal: Principal = request.auth
    if principal.kind == "user" and not principal.key_id:
        rows = [
            organization_out(m.organization, m.account_role)
            for m in selectors.organizations_for_user(user_id=principal.user_id)
        ]
    else:  # an API key sees the one org it is bound to
        org = selectors.organization_get(actor=principal, org_id=principal.org_id)
        rows = [organization_out(org, principal.role)]
    return {"items": rows, "pagination": {"has_more": False, "next_cursor": None}}


@router.get("/organizations/{org_id}", response=wire.Organization)
def get_organization(request: HttpRequest, org_id: str):
    principal: Principal = request.auth
    org = selectors.organization_get(actor=principal, org_id=org_id)
    membership = (
        selectors.membership_get(user_id=principal.user_id, org_id=org_id)
        if principal.user_id
        else None
    )
    return organization_out(org, membership.account_role if membership else principal.role)


@router.patch(
    "/organizations/{org_id}",
    response=wire.Organization,
    summary="Rename the organization (owners)",
)
def update_organization(request: HttpRequest, org_id: str, payload: wire.OrganizationUpdateParams):
    principal: Principal = request.auth
    org = services.organization_rename(actor=principal, org_id=org_id, name=payload.name)
    return organization_out(org, principal.role)


@router.post(
    "/organizations/{org_id}/transfer-ownership",
    response=wire.OrgMember,
    summary="Hand OWNER to another member; you become ADMIN (owners)",
)
def transfer_ownership(request: HttpRequest, org_id: str, payload: wire.OwnershipTransferParams):
    membership = services.organization_transfer_ownership(
        actor=request.auth, org_id=org_id, user_id=payload.user_id
    )
    return member_out(membership)


@router.get("/organizations/{org_id}/members", response=wire.OrgMemberPage)
def list_members(request: HttpRequest, org_id: str, params: Query[MemberListParams]):
    result = selectors.org_member_list(
        actor=request.auth,
        org_id=org_id,
        email=params.email,
        search=params.search,
        sort=params.sort.value,
        descending=params.order == "desc",
        limit=params.limit,
        cursor=params.cursor,
    )
    return params.response([member_out(m) for m in result.items], result)


@router.post("/organizations/{org_id}/members", response={201: wire.OrgMember})
def add_member(request: HttpRequest, org_id: str, payload: wire.MemberAddParams):
    membership = services.org_member_add(
        actor=request.auth,
        org_id=org_id,
        email=payload.email,
        role=payload.role.value,
        name=payload.name,
        password=payload.password,
    )
    return Status(201, member_out(membership))


@router.get("/organizations/{org_id}/members/{user_id}", response=wire.OrgMember)
def get_member(request: HttpRequest, org_id: str, user_id: str):
    return member_out(selectors.org_member_get(actor=request.auth, org_id=org_id, user_id=user_id))


@router.patch("/organizations/{org_id}/members/{user_id}", response=wire.OrgMember)
def update_member(
    request: HttpRequest, org_id: str, user_id: str, payload: wire.MemberUpdateParams
):
    membership = services.org_member_update_role(
        actor=request.auth, org_id=org_id, user_id=user_id, role=payload.role.value
    )
    return member_out(membership)


@router.post(
    "/organizations/{org_id}/members/{user_id}/deactivate",
    response=wire.OrgMember,
    summary="Deactivate a member's account: no sign-in, sessions or API keys (history kept)",
)
def deactivate_member(request: HttpRequest, org_id: str, user_id: str):
    return member_out(
        services.org_member_set_active(
            actor=request.auth, org_id=org_id, user_id=user_id, active=False
        )
    )


@router.post(
    "/organizations/{org_id}/members/{user_id}/reactivate",
    response=wire.OrgMember,
    summary="Reactivate a deactivated member's account",
)
def reactivate_member(request: HttpRequest, org_id: str, user_id: str):
    return member_out(
        services.org_member_set_active(
            actor=request.auth, org_id=org_id, user_id=user_id, active=True
        )
    )


@router.delete("/organizations/{org_id}/members/{user_id}", response={204: None})
def remove_member(request: HttpRequest, org_id: str, user_id: str):
    services.org_member_remove(actor=request.auth, org_id=org_id, user_id=user_id)
    return Status(204, None)


# --- passwords --------------------------------------------------------------------------------
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
        actor=request.auth, current_id=_current_session_id(request), audit=False
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
        link_for=_reset_link_for(request),
        visitor=_visitor(request),
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
        token=payload.token, new_password=payload.new_password, visitor=_visitor(request)
    )
    return Status(204, None)


# --- invitations ----------------------------------------------------------------------------
def _link_for(request: HttpRequest):
    """token → the absolute URL of the dashboard's accept page (``PUBLIC_BASE_URL`` or the
    address this request came to)."""
    base = settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")
    return lambda token: base + reverse("web:invitation_accept", args=[token])


def _reset_link_for(request: HttpRequest):
    base = settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")
    return lambda token: base + reverse("web:password_reset_confirm", args=[token])


def _visitor(request: HttpRequest) -> Principal:
    user = getattr(request, "user", None)
    label = user.email if user is not None and user.is_authenticated else ""
    return principals.for_visitor(org_id=None, label=label, request=request)


def _csrf_passed(request: HttpRequest) -> bool:
    """Whether the call may open a browser session: in-process, or with the CSRF token.
    A call that carries cookies of ours without it is refused; one with no cookie at all
    (a script) may accept, but is not signed in (so no page elsewhere can sign a browser
    in as an account of its making)."""
    if is_inprocess(request) or not check_csrf(request):
        return True
    if request.COOKIES:
        raise PermissionDenied("CSRF check failed: send the X-CSRFToken header.")
    return False


@router.get(
    "/organizations/{org_id}/invitations", response=wire.InvitationPage, tags=["invitations"]
)
def list_invitations(request: HttpRequest, org_id: str, page: Query[PageParams]):
    result = selectors.invitation_list(
        actor=request.auth, org_id=org_id, limit=page.limit, cursor=page.cursor
    )
    return page.response([invitation_out(i) for i in result.items], result)


@router.post(
    "/organizations/{org_id}/invitations",
    response={201: wire.Invitation},
    tags=["invitations"],
    summary="Invite someone by email",
)
def create_invitation(request: HttpRequest, org_id: str, payload: wire.InvitationCreateParams):
    invitation, _token = services.invitation_create(
        actor=request.auth,
        org_id=org_id,
        email=payload.email,
        role=payload.role.value,
        link_for=_link_for(request),
    )
    return Status(201, invitation_out(invitation))


@router.get(
    "/organizations/{org_id}/invitations/{invitation_id}",
    response=wire.Invitation,
    tags=["invitations"],
)
def get_invitation(request: HttpRequest, org_id: str, invitation_id: str):
    return invitation_out(
        selectors.invitation_get(actor=request.auth, org_id=org_id, invitation_id=invitation_id)
    )


@router.post(
    "/organizations/{org_id}/invitations/{invitation_id}/resend",
    response=wire.Invitation,
    tags=["invitations"],
    summary="Mail a new link (the previous one stops working)",
)
def resend_invitation(request: HttpRequest, org_id: str, invitation_id: str):
    invitation, _token = services.invitation_resend(
        actor=request.auth,
        org_id=org_id,
        invitation_id=invitation_id,
        link_for=_link_for(request),
    )
    return invitation_out(invitation)


@router.post(
    "/organizations/{org_id}/invitations/{invitation_id}/revoke",
    response=wire.Invitation,
    tags=["invitations"],
)
def revoke_invitation(request: HttpRequest, org_id: str, invitation_id: str):
    return invitation_out(
        services.invitation_revoke(actor=request.auth, org_id=org_id, invitation_id=invitation_id)
    )


@router.post(
    "/invitations/inspect",
    response=wire.InvitationPreview,
    auth=None,
    tags=["invitations"],
    summary="What an invitation link invites to (no credentials needed)",
)
def inspect_invitation(request: HttpRequest, payload: wire.InvitationTokenParams):
    view = services.invitation_inspect(token=payload.token, visitor=_visitor(request))
    return invitation_preview_out(view)


@router.post(
    "/invitations/accept",
    response=wire.InvitationAccepted,
    auth=None,
    tags=["invitations"],
    summary="Accept an invitation (and sign the browser session in)",
)
def accept_invitation(request: HttpRequest, payload: wire.InvitationAcceptParams):
    may_sign_in = _csrf_passed(request)
    user = getattr(request, "user", None)
    accepted = services.invitation_accept(
        token=payload.token,
        session_user=user if user is not None and user.is_authenticated else None,
        name=payload.name,
        password=payload.password,
        visitor=_visitor(request),
    )
    if may_sign_in:
        # A password alone never opens the session of someone with two-factor on: they join,
        # then sign in with their code.
        if not (user is not None and user.is_authenticated) and not mfa.has_two_factor(
            accepted.user
        ):
            django_login(
                request, accepted.user, backend="django.contrib.auth.backends.ModelBackend"
            )
        principals.forget_session_memo(request)
        request.session[principals.SESSION_ORG_KEY] = accepted.membership.organization_id
    return wire.InvitationAccepted(
        organization=organization_out(
            accepted.membership.organization, accepted.membership.account_role
        ),
        user=user_out(accepted.user),
        account_created=accepted.account_created,
    )


@router.get("/api-keys", response=wire.ApiKeyPage, tags=["api keys"])
def list_api_keys(
    request: HttpRequest,
    page: Query[PageParams],
    include_revoked: bool = False,
    user_id: str | None = Query(None, max_length=40, description="Only this person's keys."),
):
    result = selectors.api_key_list(
        actor=request.auth,
        include_revoked=include_revoked,
        user_id=user_id,
        limit=page.limit,
        cursor=page.cursor,
    )
    return page.response([api_key_out(k) for k in result.items], result)


@router.post("/api-keys", response={201: wire.ApiKeyCreated}, tags=["api keys"])
def create_api_key(request: HttpRequest, payload: wire.ApiKeyCreateParams):
    key, secret = services.api_key_create(
        actor=request.auth,
        label=payload.label,
        description=payload.description,
        kind=payload.kind.value,
        role=payload.role.value if payload.role else None,
        expires_at=payload.expires_at,
    )
    return Status(201, api_key_out(key, secret=secret))


@router.get("/api-keys/{key_id}", response=wire.ApiKey, tags=["api keys"])
def get_api_key(request: HttpRequest, key_id: str):
    return api_key_out(selectors.api_key_get(actor=request.auth, key_id=key_id))


@router.post("/api-keys/{key_id}/revoke", response=wire.ApiKey, tags=["api keys"])
def revoke_api_key(request: HttpRequest, key_id: str):
    return api_key_out(services.api_key_revoke(actor=request.auth, key_id=key_id))


@router.get("/permissions/check", response=wire.PermissionCheck, tags=["permissions"])
def check_permission(
    request: HttpRequest, principal: str, action: str, resource: str | None = None
):
    return {
        "has_permission": selectors.permission_check(
            actor=request.auth, principal_ref=principal, action=action, resource=resource
        )
    }


# --- the instance (instance admins; mounted at /instance) -------------------------------------
@instance_router.get(
    "/organizations",
    response=wire.InstanceOrganizationPage,
    summary="Every organization with its member count (instance admins)",
)
def instance_list_organizations(request: HttpRequest, params: Query[SearchPageParams]):
    result = selectors.instance_organization_list(
        actor=request.auth, search=params.search, limit=params.limit, cursor=params.cursor
    )
    items = [instance_organization_out(o, o.member_count) for o in result.items]
    return params.response(items, result)


@instance_router.post(
    "/organizations",
    response={201: wire.InstanceOrganizationCreated},
    summary="Create an organization with its first owner (an account, or invited by email)",
)
def instance_create_organization(
    request: HttpRequest, payload: wire.InstanceOrganizationCreateParams
):
    created = services.organization_create_with_owner(
        actor=request.auth,
        name=payload.name,
        owner_email=payload.owner_email,
        link_for=_link_for(request),
    )
    return Status(
        201,
        wire.InstanceOrganizationCreated(
            organization=instance_organization_out(created.organization, 1 if created.owner else 0),
            owner=user_out(created.owner) if created.owner else None,
            invitation=invitation_out(created.invitation) if created.invitation else None,
        ),
    )


@instance_router.get(
    "/users", response=wire.InstanceUserPage, summary="Every account (instance admins)"
)
def instance_list_users(request: HttpRequest, params: Query[SearchPageParams]):
    result = selectors.instance_user_list(
        actor=request.auth, search=params.search, limit=params.limit, cursor=params.cursor
    )
    return params.response([instance_user_out(u) for u in result.items], result)


@instance_router.get(
    "/users/{user_id}",
    response=wire.InstanceUserDetail,
    summary="One account and its organizations (instance admins)",
)
def instance_get_user(request: HttpRequest, user_id: str):
    user, memberships = selectors.instance_user_get(actor=request.auth, user_id=user_id)
    return instance_user_out(user, memberships)


def _instance_user_set_active(request: HttpRequest, user_id: str, active: bool):
    services.instance_user_set_active(actor=request.auth, user_id=user_id, active=active)
    user, memberships = selectors.instance_user_get(actor=request.auth, user_id=user_id)
    return instance_user_out(user, memberships)


@instance_router.post(
    "/users/{user_id}/deactivate",
    response=wire.InstanceUserDetail,
    summary="Deactivate an account: no sign-in, sessions or API keys (instance admins)",
)
def instance_deactivate_user(request: HttpRequest, user_id: str):
    return _instance_user_set_active(request, user_id, False)


@instance_router.post(
    "/users/{user_id}/reactivate",
    response=wire.InstanceUserDetail,
    summary="Reactivate an account (instance admins)",
)
def instance_reactivate_user(request: HttpRequest, user_id: str):
    return _instance_user_set_active(request, user_id, True)


# --- two-factor sign-in, sessions, profile ----------------------------------------------------
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


def _current_session_id(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    return session.get(sessions.SESSION_ROW_KEY) if session is not None else None


@router.get("/me/sessions", response=wire.BrowserSessionList, summary="Your browser sessions")
def list_sessions(request: HttpRequest):
    current = _current_session_id(request)
    rows = sessions.session_list(actor=request.auth)
    return {"items": [browser_session_out(r, current_id=current) for r in rows]}


@router.post(
    "/me/sessions/end-others",
    response=wire.SessionsEnded,
    summary="Sign out everywhere else (every session but this one)",
)
def end_other_sessions(request: HttpRequest):
    ended = sessions.sessions_end_others(
        actor=request.auth, current_id=_current_session_id(request)
    )
    return {"ended": ended}


@router.delete(
    "/me/sessions/{session_id}", response={204: None}, summary="Sign one of your sessions out"
)
def end_session(request: HttpRequest, session_id: str):
    sessions.session_end(
        actor=request.auth, session_id=session_id, current_id=_current_session_id(request)
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
