"""API keys: list, create (the secret shown once), read, revoke."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from adminapp.accounts import selectors, services
from adminapp.accounts.schemas import api_key_out
from adminapp.client import types as wire
from adminapp.core.pagination import PageParams

router = Router()


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
