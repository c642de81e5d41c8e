"""Request bodies and ORM → wire conversions for accounts. Response shapes are the wire
models in ``adminapp.client.models``; inputs forbid unknown fields (422 naming them)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from adminapp.accounts.models import ApiKey, OrgMembership
from adminapp.client import models as wire


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(Input):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class SwitchOrgIn(Input):
    organization_id: str = Field(max_length=40)


class MemberAddIn(Input):
    email: str = Field(max_length=254)
    role: wire.AccountRole
    name: str = Field("", max_length=150)
    password: str | None = Field(None, max_length=1024, description="For a new account only.")


class MemberUpdateIn(Input):
    role: wire.AccountRole


class ApiKeyCreateIn(Input):
    label: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=500)
    kind: wire.ApiKeyKind = wire.ApiKeyKind.PERSONAL
    role: wire.AccountRole | None = Field(None, description="Service keys only: ADMIN or MEMBER.")
    expires_at: datetime | None = None


def user_out(user) -> wire.User:
    return wire.User(id=user.id, email=user.email, name=user.name)


def organization_out(org, role: str | None) -> wire.Organization:
    return wire.Organization(
        id=org.id, name=org.name, slug=org.slug, role=role, created_at=org.created_at
    )


def member_out(membership: OrgMembership) -> wire.OrgMember:
    return wire.OrgMember(
        user=user_out(membership.user),
        role=membership.account_role,
        joined_at=membership.created_at,
    )


def api_key_out(key: ApiKey, *, secret: str | None = None) -> wire.ApiKey:
    from django.utils import timezone

    data = dict(
        id=key.id,
        kind=key.kind,
        label=key.label,
        description=key.description,
        prefix=key.display_prefix,
        role=key.role or None,
        user=user_out(key.user) if key.user_id else None,
        created_at=key.created_at,
        expires_at=key.expires_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
        is_active=key.revoked_at is None
        and (key.expires_at is None or key.expires_at > timezone.now()),
    )
    if secret is not None:
        return wire.ApiKeyCreated(secret=secret, **data)
    return wire.ApiKey(**data)
