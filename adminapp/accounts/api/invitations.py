"""Invitations by email: list, create, read, resend, revoke; and, without credentials, what a
link invites to and accepting it."""

from __future__ import annotations

from django.contrib.auth import login as django_login
from django.http import HttpRequest
from ninja import Query, Router, Status

from adminapp.accounts import principals, selectors, services
from adminapp.accounts.api import common
from adminapp.accounts.schemas import (
    invitation_out,
    invitation_preview_out,
    organization_out,
    user_out,
)
from adminapp.accounts.services import mfa
from adminapp.client import types as wire
from adminapp.core.pagination import PageParams

router = Router()


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
        link_for=common.link_for(request),
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
        link_for=common.link_for(request),
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
    view = services.invitation_inspect(token=payload.token, visitor=common.visitor(request))
    return invitation_preview_out(view)


@router.post(
    "/invitations/accept",
    response=wire.InvitationAccepted,
    auth=None,
    tags=["invitations"],
    summary="Accept an invitation (and sign the browser session in)",
)
def accept_invitation(request: HttpRequest, payload: wire.InvitationAcceptParams):
    may_sign_in = common.csrf_passed(request)
    user = getattr(request, "user", None)
    accepted = services.invitation_accept(
        token=payload.token,
        session_user=user if user is not None and user.is_authenticated else None,
        name=payload.name,
        password=payload.password,
        visitor=common.visitor(request),
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
