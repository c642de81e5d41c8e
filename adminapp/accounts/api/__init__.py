"""/api/v1 endpoints for identity and tenancy, a module per subject: sign-in (identity),
organizations, members, passwords, invitations, API keys, the permission check, your
account's security, and the instance (mounted at /instance). Each endpoint: input schema →
service → output schema.

``router`` gathers the subjects' routers in this order (the order of the OpenAPI paths);
``instance_router`` is mounted apart."""

from __future__ import annotations

from ninja import Router

from adminapp.accounts.api import (
    identity,
    instance,
    invitations,
    keys,
    members,
    organizations,
    passwords,
    permissions,
    security,
)

router = Router(tags=["identity"])
for subject in (
    identity,
    organizations,
    members,
    passwords,
    invitations,
    keys,
    permissions,
    security,
):
    router.add_router("", subject.router)

instance_router = instance.router
