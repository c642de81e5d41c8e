"""/api/v1/spaces and /api/v1/roles. Each endpoint: input schema → service → output schema.

Every ``{space}`` path argument is a space id or its exact name. ``adminapp.api`` mounts the
spaces router with space-token authentication, so space tokens can call it (confined to
their own space by the permission resolver); ``/roles`` is org-level and a space token gets
404 there.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import Field

from adminapp.client import types as wire
from adminapp.core.http import json_refs_stream
from adminapp.core.pagination import PageParams
from adminapp.jobs.schemas import job_out
from adminapp.spaces import selectors, services
from adminapp.spaces.schemas import (
    member_out,
    member_space_out,
    role_choice,
    space_out,
    space_role_out,
    token_out,
)

router = Router(tags=["spaces"])
roles_router = Router(tags=["roles"])


class SpaceListParams(PageParams):
    organization_id: str | None = Field(None, max_length=40)
    name: str | None = Field(None, max_length=255, description="Case-insensitive substring.")


# --- spaces -------------------------------------------------------------------------------
@router.get("", response=wire.SpacePage, summary="List spaces (newest first)")
def list_spaces(request: HttpRequest, params: Query[SpaceListParams]):
    result = selectors.space_list(
        actor=request.auth,
        organization_id=params.organization_id,
        name=params.name,
        limit=params.limit,
        cursor=params.cursor,
    )
    return {
        "spaces": [space_out(s) for s in result.items],
        "pagination": {"has_more": result.has_more, "next_cursor": result.next_cursor},
    }


@router.get("/all", response=wire.SpaceRefList, summary="Every visible space, id and name")
def all_spaces(request: HttpRequest):
    """Sorted by name, unpaginated, streamed (100,000 spaces in well under a second). For a
    picker, prefer ``GET /spaces?name=`` as the user types."""
    return json_refs_stream("spaces", selectors.space_all(actor=request.auth))


@router.get(
    "/memberships/{user_id}",
    response=wire.MemberSpacePage,
    summary="The spaces one member belongs to, with their role in each (org admins, or yourself)",
)
def member_spaces(request: HttpRequest, user_id: str, page: Query[PageParams]):
    result = selectors.member_space_list(
        actor=request.auth, user_id=user_id, limit=page.limit, cursor=page.cursor
    )
    return page.response([member_space_out(m) for m in result.items], result)


@router.post("", response={201: wire.Space}, summary="Create a space")
def create_space(request: HttpRequest, payload: wire.SpaceCreateParams):
    space = services.space_create(
        actor=request.auth,
        name=payload.name,
        description=payload.description,
        organization_id=payload.organization_id,
    )
    return Status(
        201,
        space_out(space, permissions=selectors.space_permissions(actor=request.auth, space=space)),
    )


@router.get("/{space}", response=wire.Space, summary="Get a space by id or name")
def get_space(request: HttpRequest, space: str):
    found = selectors.space_get(actor=request.auth, space=space)
    return space_out(
        found, permissions=selectors.space_permissions(actor=request.auth, space=found)
    )


@router.patch("/{space}", response=wire.Space, summary="Rename a space or change its description")
def update_space(request: HttpRequest, space: str, payload: wire.SpaceUpdateParams):
    found = services.space_update(
        actor=request.auth, space=space, name=payload.name, description=payload.description
    )
    return space_out(
        found, permissions=selectors.space_permissions(actor=request.auth, space=found)
    )


@router.delete(
    "/{space}",
    response={202: wire.Job},
    summary="Delete a space (202: gone at once; a space_delete job removes its contents)",
)
def delete_space(request: HttpRequest, space: str):
    job = services.space_delete(
        actor=request.auth, space=space, idempotency_key=request.headers.get("Idempotency-Key")
    )
    return Status(202, job_out(job, include_result=False))


# --- members ------------------------------------------------------------------------------
@router.get("/{space}/members", response=wire.SpaceMembershipPage, summary="Members and roles")
def list_members(request: HttpRequest, space: str, page: Query[PageParams]):
    _, result = selectors.space_member_list(
        actor=request.auth, space=space, limit=page.limit, cursor=page.cursor
    )
    return page.response([member_out(m) for m in result.items], result)


@router.post(
    "/{space}/members",
    response={200: wire.SpaceMembership, 201: wire.SpaceMembership},
    summary="Add a user or change their role (upsert: 201 added, 200 updated)",
)
def set_member(request: HttpRequest, space: str, payload: wire.SpaceMemberParams):
    membership, created = services.space_member_set(
        actor=request.auth, space=space, user_id=payload.user_id, role=role_choice(payload.role)
    )
    return Status(201 if created else 200, member_out(membership))


@router.get(
    "/{space}/members/{user_id}", response=wire.SpaceMembership, summary="One member and role"
)
def get_member(request: HttpRequest, space: str, user_id: str):
    return member_out(selectors.space_member_get(actor=request.auth, space=space, user_id=user_id))


@router.delete("/{space}/members/{user_id}", response={204: None}, summary="Remove a member")
def remove_member(request: HttpRequest, space: str, user_id: str):
    services.space_member_remove(actor=request.auth, space=space, user_id=user_id)
    return Status(204, None)


# --- tokens -------------------------------------------------------------------------------
@router.get("/{space}/tokens", response=wire.SpaceTokenPage, summary="List the space's tokens")
def list_tokens(request: HttpRequest, space: str, page: Query[PageParams]):
    _, result = selectors.space_token_list(
        actor=request.auth, space=space, limit=page.limit, cursor=page.cursor
    )
    return page.response([token_out(t) for t in result.items], result)


@router.post(
    "/{space}/tokens",
    response={201: wire.SpaceTokenCreated},
    summary="Create a space token (the secret is shown once)",
)
def create_token(request: HttpRequest, space: str, payload: wire.SpaceTokenCreateParams):
    token, secret = services.space_token_create(
        actor=request.auth,
        space=space,
        label=payload.label,
        permanent=payload.permanent,
        role=payload.role.value,
    )
    return Status(201, token_out(token, secret=secret))


@router.delete(
    "/{space}/tokens",
    response=wire.SpaceTokensDeleted,
    summary="Delete all tokens, or only permanent=true / permanent=false ones",
)
def delete_tokens(request: HttpRequest, space: str, permanent: bool | None = None):
    deleted = services.space_tokens_delete(actor=request.auth, space=space, permanent=permanent)
    return {"deleted": deleted}


@router.get("/{space}/tokens/{token_id}", response=wire.SpaceToken, summary="Get a token")
def get_token(request: HttpRequest, space: str, token_id: str):
    return token_out(selectors.space_token_get(actor=request.auth, space=space, token_id=token_id))


@router.post(
    "/{space}/tokens/{token_id}/deactivate", response=wire.SpaceToken, summary="Deactivate"
)
def deactivate_token(request: HttpRequest, space: str, token_id: str):
    token = services.space_token_deactivate(actor=request.auth, space=space, token_id=token_id)
    return token_out(token)


@router.delete("/{space}/tokens/{token_id}", response={204: None}, summary="Delete a token")
def delete_token(request: HttpRequest, space: str, token_id: str):
    services.space_token_delete(actor=request.auth, space=space, token_id=token_id)
    return Status(204, None)


# --- custom roles -------------------------------------------------------------------------
@roles_router.get("", response=wire.SpaceRolePage, summary="List the org's custom space roles")
def list_roles(request: HttpRequest, page: Query[PageParams]):
    result = selectors.space_role_list(actor=request.auth, limit=page.limit, cursor=page.cursor)
    return page.response([space_role_out(r) for r in result.items], result)


@roles_router.get(
    "/permissions",
    response=wire.SpacePermissionList,
    summary="The permissions a custom role can contain",
)
def list_permissions(request: HttpRequest):
    return {
        "permissions": [
            {"name": name, "description": description}
            for name, description in services.permission_descriptions()
        ]
    }


@roles_router.post("", response={201: wire.SpaceRole}, summary="Create a custom role")
def create_role(request: HttpRequest, payload: wire.SpaceRoleCreateParams):
    role = services.space_role_create(
        actor=request.auth,
        name=payload.name,
        description=payload.description,
        permissions=payload.permissions,
    )
    return Status(201, space_role_out(role))


@roles_router.get("/{role_id}", response=wire.SpaceRole, summary="Get a custom role")
def get_role(request: HttpRequest, role_id: str):
    return space_role_out(selectors.space_role_get(actor=request.auth, role_id=role_id))


@roles_router.patch("/{role_id}", response=wire.SpaceRole, summary="Change a custom role")
def update_role(request: HttpRequest, role_id: str, payload: wire.SpaceRoleUpdateParams):
    role = services.space_role_update(
        actor=request.auth,
        role_id=role_id,
        name=payload.name,
        description=payload.description,
        permissions=payload.permissions,
    )
    return space_role_out(role)


@roles_router.delete("/{role_id}", response={204: None}, summary="Delete an unused custom role")
def delete_role(request: HttpRequest, role_id: str):
    services.space_role_delete(actor=request.auth, role_id=role_id)
    return Status(204, None)
