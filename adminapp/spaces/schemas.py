"""ORM → wire conversions for spaces. Response shapes and request bodies (``*Params``, which
forbid unknown fields: a 422 naming them) are the SDK's, in ``adminapp.client.types.spaces``.
Length and content rules for names live in the services, so every door gets the same
messages."""

from __future__ import annotations

from adminapp.client import types as wire
from adminapp.spaces.models import Space, SpaceMembership, SpaceRole, SpaceToken
from adminapp.spaces.services import RoleChoice


def role_choice(role: wire.PredefinedSpaceRoleParams | wire.CustomSpaceRoleParams) -> RoleChoice:
    if isinstance(role, wire.PredefinedSpaceRoleParams):
        return RoleChoice(predefined=role.name.value)
    return RoleChoice(custom_id=role.id)


# --- ORM → wire ---------------------------------------------------------------------------
def user_out(user) -> wire.User:
    return wire.User(id=user.id, email=user.email, name=user.name)


def space_out(space: Space, *, permissions: list[str] | None = None) -> wire.Space:
    return wire.Space(
        id=space.id,
        organization_id=space.organization_id,
        name=space.name,
        description=space.description,
        created_at=space.created_at,
        updated_at=space.updated_at,
        permissions=permissions,
    )


def role_assignment_out(membership: SpaceMembership):
    if membership.custom_role_id:
        return wire.CustomSpaceRole(id=membership.custom_role.id, name=membership.custom_role.name)
    return wire.PredefinedSpaceRole(name=membership.role)


def member_out(membership: SpaceMembership) -> wire.SpaceMembership:
    org_membership = membership.org_membership
    return wire.SpaceMembership(
        id=membership.id,
        space_id=membership.space_id,
        user_id=org_membership.user_id,
        user=user_out(org_membership.user),
        account_role=org_membership.account_role,
        role=role_assignment_out(membership),
        created_at=membership.created_at,
        updated_at=membership.updated_at,
    )


def member_space_out(membership: SpaceMembership) -> wire.MemberSpace:
    return wire.MemberSpace(
        space_id=membership.space_id,
        space_name=membership.space.name,
        role=role_assignment_out(membership),
        joined_at=membership.created_at,
    )


def space_role_out(role: SpaceRole) -> wire.SpaceRole:
    return wire.SpaceRole(
        id=role.id,
        name=role.name,
        description=role.description,
        permissions=list(role.permissions),
        created_at=role.created_at,
        updated_at=role.updated_at,
    )


def token_out(token: SpaceToken, *, secret: str | None = None) -> wire.SpaceToken:
    from django.utils import timezone

    data = dict(
        id=token.id,
        space_id=token.space_id,
        label=token.label,
        prefix=token.display_prefix,
        role=token.role,
        permanent=token.permanent,
        is_active=token.is_active,
        is_expired=token.expires_at is not None and token.expires_at <= timezone.now(),
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        created_by=user_out(token.created_by) if token.created_by_id else None,
        created_at=token.created_at,
    )
    if secret is not None:
        return wire.SpaceTokenCreated(secret=secret, **data)
    return wire.SpaceToken(**data)
