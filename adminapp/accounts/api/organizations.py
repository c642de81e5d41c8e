"""The caller's organizations: list, read, rename, hand over ownership."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from adminapp.accounts import selectors, services
from adminapp.accounts.schemas import member_out, organization_out
from adminapp.client import types as wire
from adminapp.core.principal import Principal

router = Router()


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
