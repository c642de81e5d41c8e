"""The instance (instance admins; mounted at /instance beside jobs' health): every
organization and every account."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import Field

from adminapp.accounts import selectors, services
from adminapp.accounts.api import common
from adminapp.accounts.schemas import (
    instance_organization_out,
    instance_user_out,
    invitation_out,
    user_out,
)
from adminapp.client import types as wire
from adminapp.core.pagination import PageParams

router = Router(tags=["instance"])


class SearchPageParams(PageParams):
    search: str | None = Field(None, max_length=255, description="A substring to look for.")


@router.get(
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


@router.post(
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
        link_for=common.link_for(request),
    )
    return Status(
        201,
        wire.InstanceOrganizationCreated(
            organization=instance_organization_out(created.organization, 1 if created.owner else 0),
            owner=user_out(created.owner) if created.owner else None,
            invitation=invitation_out(created.invitation) if created.invitation else None,
        ),
    )


@router.get("/users", response=wire.InstanceUserPage, summary="Every account (instance admins)")
def instance_list_users(request: HttpRequest, params: Query[SearchPageParams]):
    result = selectors.instance_user_list(
        actor=request.auth, search=params.search, limit=params.limit, cursor=params.cursor
    )
    return params.response([instance_user_out(u) for u in result.items], result)


@router.get(
    "/users/{user_id}",
    response=wire.InstanceUserDetail,
    summary="One account and its organizations (instance admins)",
)
def instance_get_user(request: HttpRequest, user_id: str):
    user, memberships = selectors.instance_user_get(actor=request.auth, user_id=user_id)
    return instance_user_out(user, memberships)


def _instance_user_set_active(request: HttpRequest, user_id: str, *, active: bool):
    """Deactivate and reactivate: one service call, the account as it is now."""
    services.instance_user_set_active(actor=request.auth, user_id=user_id, active=active)
    user, memberships = selectors.instance_user_get(actor=request.auth, user_id=user_id)
    return instance_user_out(user, memberships)


@router.post(
    "/users/{user_id}/deactivate",
    response=wire.InstanceUserDetail,
    summary="Deactivate an account: no sign-in, sessions or API keys (instance admins)",
)
def instance_deactivate_user(request: HttpRequest, user_id: str):
    return _instance_user_set_active(request, user_id, active=False)


@router.post(
    "/users/{user_id}/reactivate",
    response=wire.InstanceUserDetail,
    summary="Reactivate an account (instance admins)",
)
def instance_reactivate_user(request: HttpRequest, user_id: str):
    return _instance_user_set_active(request, user_id, active=True)
