"""An organization's members: list (search, sort), add, read, change role, deactivate and
reactivate, remove."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import Field

from adminapp.accounts import selectors, services
from adminapp.accounts.schemas import member_out
from adminapp.client import types as wire
from adminapp.core.pagination import PageParams

router = Router()


class MemberListParams(PageParams):
    email: str | None = Field(None, max_length=255, description="Substring of the email.")
    search: str | None = Field(
        None, max_length=255, description="Substring of the email or the name (typeahead)."
    )
    sort: wire.MemberSort = Field(wire.MemberSort.JOINED, description="The column to sort by.")
    order: Literal["asc", "desc"] = Field("asc", description="Ascending or descending.")


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


def _member_set_active(request: HttpRequest, org_id: str, user_id: str, *, active: bool):
    """Deactivate and reactivate: one service call, the member as it is now."""
    membership = services.org_member_set_active(
        actor=request.auth, org_id=org_id, user_id=user_id, active=active
    )
    return member_out(membership)


@router.post(
    "/organizations/{org_id}/members/{user_id}/deactivate",
    response=wire.OrgMember,
    summary="Deactivate a member's account: no sign-in, sessions or API keys (history kept)",
)
def deactivate_member(request: HttpRequest, org_id: str, user_id: str):
    return _member_set_active(request, org_id, user_id, active=False)


@router.post(
    "/organizations/{org_id}/members/{user_id}/reactivate",
    response=wire.OrgMember,
    summary="Reactivate a deactivated member's account",
)
def reactivate_member(request: HttpRequest, org_id: str, user_id: str):
    return _member_set_active(request, org_id, user_id, active=True)


@router.delete("/organizations/{org_id}/members/{user_id}", response={204: None})
def remove_member(request: HttpRequest, org_id: str, user_id: str):
    services.org_member_remove(actor=request.auth, org_id=org_id, user_id=user_id)
    return Status(204, None)
