"""The one resolver: every permission check of every service goes through these functions.

Org and instance permissions come from the principal alone (its account role, its kind, the
instance-admin flag). Space permissions need to know the space: the domain that owns spaces
registers two lookups at start-up (``register_space_lookups``), so this module imports no
domain. Roles are only ever mapped onto the vocabulary here, never tested by name elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from adminapp.authz.vocabulary import (
    ACCOUNT_ROLE_GRANTS,
    ANNOTATOR_CEILING,
    CUSTOM_ROLE_ALLOWED,
    IMPLIED_BY_MEMBERSHIP,
    INSTANCE_ADMIN_GRANTS,
    SERVICE_KEY_WITHHELD,
    SPACE_PERMISSIONS,
    SPACE_ROLE_GRANTS,
    TOKEN_CEILING,
    VOCABULARY,
)
from adminapp.client.types.authz import Permission, Scope
from adminapp.core.errors import NotFound, PermissionDenied
from adminapp.core.principal import Principal, PrincipalKind

EVERYTHING = frozenset(Permission)


def _known(permission: str) -> Permission:
    try:
        return Permission(permission)
    except ValueError:
        raise ValueError(f"unknown permission {permission!r}") from None


# --- instance and organization ------------------------------------------------------------
def permissions_of(principal: Principal) -> frozenset[Permission]:
    """Everything ``principal`` holds outside any one space: its org permissions, plus the
    instance permissions of an instance admin (space permissions: ``space_permissions``)."""
    if principal.kind == PrincipalKind.SYSTEM:
        return EVERYTHING
    if principal.kind == PrincipalKind.SPACE_TOKEN:
        return frozenset()  # a space token reaches nothing outside its space
    granted = ACCOUNT_ROLE_GRANTS.get(principal.role or "", frozenset())
    if principal.kind == PrincipalKind.SERVICE_KEY:
        return granted - SERVICE_KEY_WITHHELD
    if principal.is_superuser:
        granted = granted | INSTANCE_ADMIN_GRANTS
    return granted


def can(principal: Principal, permission: str) -> bool:
    return _known(permission) in permissions_of(principal)


def require(principal: Principal, permission: str, message: str | None = None) -> None:
    if not can(principal, permission):
        if principal.kind == PrincipalKind.SPACE_TOKEN:
            # Outside its space, nothing exists for a space token: 404, never 403.
            raise NotFound("Not found: a space token only reaches its own space.")
        raise PermissionDenied(message or f"Your role does not allow {permission}.")


# --- spaces ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpaceMembershipGrant:
    """What one space membership says, as the spaces domain stores it."""

    role: str  # a predefined space role, or "" for a custom role
    custom_permissions: Iterable[str] | None
    account_role: str


@dataclass(frozen=True)
class SpaceLookups:
    # Whether a live space exists (in org ``org_id``, or anywhere when it is None).
    exists: Callable[[str, str | None], bool]
    # The membership of a user in a live space of an org, or None.
    membership: Callable[[str, str, str], SpaceMembershipGrant | None]


_space_lookups: SpaceLookups | None = None


def register_space_lookups(lookups: SpaceLookups) -> None:
    global _space_lookups
    _space_lookups = lookups


@dataclass(frozen=True)
class SpaceVisibility:
    """Which spaces of the principal's org exist for it: all of them, one space (a space
    token), those a user is a member of, or none. Everything else is a 404."""

    everything: bool = False
    only_space_id: str | None = None
    member_user_id: str | None = None


def space_visibility(principal: Principal) -> SpaceVisibility:
    if principal.kind == PrincipalKind.SPACE_TOKEN:
        return SpaceVisibility(only_space_id=principal.space_id or "-")
    if can(principal, Permission.SPACE_ADMIN):
        return SpaceVisibility(everything=True)
    if principal.user_id:
        return SpaceVisibility(member_user_id=principal.user_id)
    return SpaceVisibility()


def membership_permissions(grant: SpaceMembershipGrant) -> frozenset[Permission]:
    """The permissions one space membership grants (a predefined role or a custom one)."""
    if grant.role:
        granted = SPACE_ROLE_GRANTS.get(grant.role, frozenset())
    else:
        granted = frozenset(grant.custom_permissions or ()) & CUSTOM_ROLE_ALLOWED
    granted = frozenset(granted) | IMPLIED_BY_MEMBERSHIP
    if grant.account_role == "ANNOTATOR":
        # Even if the account role changed after the membership was made.
        granted &= ANNOTATOR_CEILING
    return granted


def token_permissions(role: str) -> frozenset[Permission]:
    return SPACE_ROLE_GRANTS.get(role, frozenset()) & TOKEN_CEILING


def space_permissions(principal: Principal, space_id: str) -> frozenset[Permission]:
    """Everything ``principal`` may do in space ``space_id`` (empty: the space does not
    exist for them). One query at most."""
    if principal.kind == PrincipalKind.SPACE_TOKEN:
        if principal.space_id != space_id:
            return frozenset()
        return token_permissions(principal.space_role or "")
    if _space_lookups is None:
        return frozenset()
    if principal.kind == PrincipalKind.SYSTEM:
        return SPACE_PERMISSIONS if _space_lookups.exists(space_id, None) else frozenset()
    if can(principal, Permission.SPACE_ADMIN):
        if _space_lookups.exists(space_id, principal.org_id):
            return SPACE_PERMISSIONS
        return frozenset()
    if not principal.user_id or not principal.org_id:
        return frozenset()
    grant = _space_lookups.membership(space_id, principal.user_id, principal.org_id)
    return membership_permissions(grant) if grant is not None else frozenset()


def _space_permission(permission: str) -> Permission:
    known = _known(permission)
    if known not in SPACE_PERMISSIONS:
        raise ValueError(f"{permission!r} is not a space permission")
    return known


def can_in_space(principal: Principal, space_id: str, permission: str) -> bool:
    return _space_permission(permission) in space_permissions(principal, space_id)


def require_in_space(
    principal: Principal, space_id: str, permission: str, message: str | None = None
) -> frozenset[Permission]:
    """Raise unless ``principal`` may do ``permission`` in the space; returns everything it
    may do there. No permission at all means the space does not exist for the principal
    (404); some but not this one is a 403."""
    wanted = _space_permission(permission)
    granted = space_permissions(principal, space_id)
    if not granted:
        raise NotFound(f"Space {space_id} not found.")
    if wanted not in granted:
        raise PermissionDenied(message or f"Your role in this space does not allow {permission}.")
    return granted


# --- resources the permission check can name ------------------------------------------------
@dataclass(frozen=True)
class ResourceType:
    prefix: str  # ids of this type start with "<prefix>_"
    belongs_to_org: Callable[[str, str], bool]
    scope: Scope = Scope.ORG  # Scope.SPACE: the resource is a space, its permissions apply


_resources: dict[str, ResourceType] = {}


def register_resource(
    prefix: str, belongs_to_org: Callable[[str, str], bool], *, scope: Scope = Scope.ORG
) -> None:
    """Let ``GET /permissions/check?resource=…`` name ids of this type (404 outside the
    caller's org; a space's permissions are answered in it)."""
    _resources[prefix] = ResourceType(prefix, belongs_to_org, scope)


def _resource_type(resource_id: str) -> ResourceType | None:
    return _resources.get(resource_id.split("_", 1)[0])


def resource_in_org(resource_id: str, org_id: str) -> bool:
    if resource_id == org_id:
        return True
    kind = _resource_type(resource_id)
    return bool(kind and kind.belongs_to_org(resource_id, org_id))


def can_on(principal: Principal, permission: str, resource: str | None = None) -> bool:
    """``can`` with an optional resource: a space permission on a space is answered in it."""
    kind = _resource_type(resource) if resource else None
    if kind is not None and kind.scope == Scope.SPACE and _known(permission) in SPACE_PERMISSIONS:
        return can_in_space(principal, resource, permission)
    return can(principal, permission)


def describe(permission: Permission, scope: Scope) -> str:
    return VOCABULARY[permission].meaning.get(scope, "")
