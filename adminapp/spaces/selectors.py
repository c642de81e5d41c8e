"""Reads for spaces, memberships, custom roles and space tokens.

Which spaces exist for a caller is decided once, by ``accounts.permissions.space_scope``:
org OWNER/ADMIN see every space of the org, people the spaces they are members of, a space
token its own space. Anything else — another org's space, a space being deleted — is 404.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Lower

from adminapp.accounts import permissions as perms
from adminapp.core.errors import NotFound
from adminapp.core.pagination import Page, paginate
from adminapp.core.principal import Principal
from adminapp.spaces.models import Space, SpaceMembership, SpaceRole, SpaceToken

SPACE_ID_PREFIX = "spc_"


def space_queryset(*, actor: Principal) -> QuerySet[Space]:
    """The live spaces of the caller's org that exist for the caller."""
    return Space.objects.filter(organization_id=actor.org_id, deleted_at__isnull=True).filter(
        perms.space_scope(actor)
    )


def space_find(*, queryset: QuerySet[Space], ref: str) -> Space | None:
    """A space by id, else by exact name (served by the unique index on LOWER(name))."""
    ref = (ref or "").strip()
    if not ref:
        return None
    if ref.startswith(SPACE_ID_PREFIX):
        found = queryset.filter(id=ref).first()
        if found is not None:
            return found
    return queryset.alias(name_lower=Lower("name")).filter(name_lower=ref.lower(), name=ref).first()


def space_get(*, actor: Principal, space: str) -> Space:
    """``space`` is an id or an exact name."""
    found = space_find(queryset=space_queryset(actor=actor), ref=space)
    if found is None:
        raise NotFound(f"Space {space!r} not found.")
    return found


def space_list(
    *,
    actor: Principal,
    organization_id: str | None = None,
    name: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """Newest first; ``name`` is a case-insensitive substring (trigram index on PostgreSQL)."""
    if organization_id and organization_id != actor.org_id:
        raise NotFound(f"Organization {organization_id} not found.")
    qs = space_queryset(actor=actor)
    name = (name or "").strip()
    if name:
        qs = qs.filter(name__icontains=name)
    # On PostgreSQL a name search is served by the trigram index (migration 0002), not by
    # walking spaces newest first; SQLite has no such index, so walking is its best plan.
    has_name_index = connection.vendor == "postgresql"
    return paginate(qs, limit=limit, cursor=cursor, walk_index=not (name and has_name_index))


def space_all(*, actor: Principal) -> list[tuple[str, str]]:
    """Every visible space as ``(id, name)``, by name: for pickers, unpaginated."""
    return list(space_queryset(actor=actor).order_by(Lower("name"), "id").values_list("id", "name"))


def space_permissions(*, actor: Principal, space: Space) -> list[str]:
    return sorted(perms.space_permissions(actor, space.id))


def space_member_list(
    *, actor: Principal, space: str, limit: int = 50, cursor: str | None = None
) -> tuple[Space, Page]:
    """Members with their roles, oldest first; three queries whatever the page size."""
    found = space_get(actor=actor, space=space)
    perms.require_in_space(actor, found.id, perms.MEMBER_READ)
    qs = SpaceMembership.objects.filter(space=found).select_related(
        "org_membership__user", "custom_role"
    )
    return found, paginate(qs, limit=limit, cursor=cursor, newest_first=False)


def space_token_list(
    *, actor: Principal, space: str, limit: int = 50, cursor: str | None = None
) -> tuple[Space, Page]:
    """Every token of the space (active, deactivated and expired), newest first."""
    found = space_get(actor=actor, space=space)
    perms.require_in_space(actor, found.id, perms.TOKEN_MANAGE)
    qs = SpaceToken.objects.filter(space=found).select_related("created_by")
    return found, paginate(qs, limit=limit, cursor=cursor)


# --- custom roles -------------------------------------------------------------------------
def space_role_list(*, actor: Principal, limit: int = 50, cursor: str | None = None) -> Page:
    """Every member of the org can see its custom roles (to read who may do what)."""
    perms.require(actor, perms.ORG_READ)
    qs = SpaceRole.objects.filter(organization_id=actor.org_id)
    return paginate(qs, limit=limit, cursor=cursor, newest_first=False)


def space_role_get(*, actor: Principal, role_id: str) -> SpaceRole:
    perms.require(actor, perms.ORG_READ)
    role = SpaceRole.objects.filter(id=role_id, organization_id=actor.org_id).first()
    if role is None:
        raise NotFound(f"Role {role_id} not found.")
    return role
