"""Whether a principal may do an action (on a resource)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from adminapp.accounts import selectors
from adminapp.client import types as wire

router = Router()


@router.get("/permissions/check", response=wire.PermissionCheck, tags=["permissions"])
def check_permission(
    request: HttpRequest, principal: str, action: str, resource: str | None = None
):
    return {
        "has_permission": selectors.permission_check(
            actor=request.auth, principal_ref=principal, action=action, resource=resource
        )
    }
