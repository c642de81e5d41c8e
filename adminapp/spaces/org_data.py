"""The spaces domain's sections of the "all org data" export (``accounts.org_data``):
spaces, their members with their roles, custom roles, and space tokens (never a secret)."""

from __future__ import annotations

from adminapp.accounts.org_data import records, register_section
from adminapp.spaces import schemas
from adminapp.spaces.models import Space, SpaceMembership, SpaceRole, SpaceToken


def _spaces(org_id: str):
    return records(
        Space.objects.filter(organization_id=org_id, deleted_at__isnull=True), schemas.space_out
    )


def _space_members(org_id: str):
    memberships = SpaceMembership.objects.filter(
        space__organization_id=org_id, space__deleted_at__isnull=True
    ).select_related("org_membership__user", "custom_role")
    return records(memberships, schemas.member_out)


def _roles(org_id: str):
    return records(SpaceRole.objects.filter(organization_id=org_id), schemas.space_role_out)


def _tokens(org_id: str):
    tokens = SpaceToken.objects.filter(
        space__organization_id=org_id, space__deleted_at__isnull=True
    )
    return records(tokens, schemas.token_out)


def register() -> None:
    register_section("spaces", _spaces, description="Spaces.")
    register_section(
        "space_members", _space_members, description="Who is in which space, with which role."
    )
    register_section("roles", _roles, description="Custom space roles and their permissions.")
    register_section(
        "space_tokens", _tokens, description="Space tokens (labels, roles; never the secret)."
    )
