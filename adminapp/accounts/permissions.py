"""The one permission resolver. Every check in every service goes through ``can`` /
``require``; roles are only ever mapped onto this vocabulary, never tested by name elsewhere.

Later domains (spaces, storage, catalog, plugins) add their actions and the space roles on top
of the same function, so "who may do what" has a single answer.
"""

from __future__ import annotations

from django.db.models import Q

from adminapp.accounts.models import AccountRole
from adminapp.core.errors import NotFound, PermissionDenied
from adminapp.core.principal import Principal

ORG_READ = "org.read"
MEMBER_READ = "member.read"
MEMBER_MANAGE = "member.manage"
OWNER_MANAGE = "owner.manage"  # grant/revoke OWNER
API_KEY_OWN = "api_key.manage_own"  # personal keys of the caller
API_KEY_MANAGE = "api_key.manage"  # every key of the org, service keys included
AUDIT_READ = "audit.read"
AUDIT_WRITE_CUSTOM = "audit.write_custom"
JOB_READ_ALL = "job.read_all"  # see and abort other principals' jobs
PERMISSION_CHECK = "permission.check"
SPACE_CREATE = "space.create"
SPACE_ADMIN = "space.admin"  # every space action in every space of the org
ROLE_MANAGE = "role.manage"  # define, change and delete custom space roles

# --- space-level actions: granted org-wide by SPACE_ADMIN, or inside one space by a space
# role (predefined, a custom role, or a space token's role). ``member.read`` and
# ``member.manage`` mean the space's members when asked about a space.
SPACE_READ = "space.read"
SPACE_UPDATE = "space.update"
SPACE_DELETE = "space.delete"
DATASET_READ = "dataset.read"
DATASET_WRITE = "dataset.write"
GLOBAL_KEY_ASSIGN = "global_key.assign"
TOKEN_MANAGE = "token.manage"  # noqa: S105 - an action name

SPACE_ACTIONS = frozenset(
    {
        SPACE_READ,
        SPACE_UPDATE,
        SPACE_DELETE,
        MEMBER_READ,
        MEMBER_MANAGE,
        DATASET_READ,
        DATASET_WRITE,
        GLOBAL_KEY_ASSIGN,
        TOKEN_MANAGE,
    }
)

ACTIONS = (
    frozenset(
        {
            ORG_READ,
            MEMBER_READ,
            MEMBER_MANAGE,
            OWNER_MANAGE,
            API_KEY_OWN,
            API_KEY_MANAGE,
            AUDIT_READ,
            AUDIT_WRITE_CUSTOM,
            JOB_READ_ALL,
            PERMISSION_CHECK,
            SPACE_CREATE,
            SPACE_ADMIN,
            ROLE_MANAGE,
        }
    )
    | SPACE_ACTIONS
)

_MEMBER = {ORG_READ, MEMBER_READ, API_KEY_OWN, AUDIT_WRITE_CUSTOM}
_ADMIN = _MEMBER | {
    MEMBER_MANAGE,
    API_KEY_MANAGE,
    AUDIT_READ,
    JOB_READ_ALL,
    PERMISSION_CHECK,
    SPACE_CREATE,
    SPACE_ADMIN,
    ROLE_MANAGE,
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    AccountRole.OWNER: frozenset(_ADMIN | {OWNER_MANAGE}),
    AccountRole.ADMIN: frozenset(_ADMIN),
    AccountRole.MEMBER: frozenset(_MEMBER),
    AccountRole.ANNOTATOR: frozenset({ORG_READ, API_KEY_OWN, AUDIT_WRITE_CUSTOM}),
}


def permissions_of(principal: Principal) -> frozenset[str]:
    """Org-level permissions (space-level ones come from ``space_permissions``)."""
    if principal.kind == "system":
        return ACTIONS
    if principal.kind == "space_token":
        return frozenset()  # a space token reaches nothing outside its space
    perms = ROLE_PERMISSIONS.get(principal.role or "", frozenset())
    if principal.kind == "service_key":
        # A service key has no person behind it: it cannot mint keys for people or owners.
        perms = perms - {API_KEY_OWN, OWNER_MANAGE}
    return perms


def can(principal: Principal, action: str) -> bool:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return action in permissions_of(principal)


def require(principal: Principal, action: str, message: str | None = None) -> None:
    if not can(principal, action):
        if principal.kind == "space_token":
            # Outside its space, nothing exists for a space token: 404, never 403.
            raise NotFound("Not found: a space token only reaches its own space.")
        raise PermissionDenied(message or f"Your role does not allow {action}.")


def is_org_admin(principal: Principal) -> bool:
    return can(principal, MEMBER_MANAGE)


# --- resources the permission check can name ----------------------------------------------
# Each domain registers how to tell whether one of its ids belongs to an org, so
# ``GET /permissions/check?resource=…`` answers 404 for ids outside the caller's org.
_RESOURCE_LOOKUPS: dict[str, object] = {}


def register_resource(prefix: str, belongs_to_org) -> None:
    """``belongs_to_org(resource_id, org_id) -> bool`` for ids starting with ``prefix_``."""
    _RESOURCE_LOOKUPS[prefix] = belongs_to_org


def resource_in_org(resource_id: str, org_id: str) -> bool:
    if resource_id == org_id:
        return True
    prefix = resource_id.split("_", 1)[0]
    lookup = _RESOURCE_LOOKUPS.get(prefix)
    return bool(lookup and lookup(resource_id, org_id))


# --- spaces -------------------------------------------------------------------------------
# The predefined space roles (``spaces.models.SpaceRoleName``), mapped onto the vocabulary.
SPACE_ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # Manages its space: settings, members, tokens, and deleting it.
    "ADMIN": SPACE_ACTIONS,
    # Reads and writes data.
    "MEMBER": frozenset({SPACE_READ, MEMBER_READ, DATASET_READ, DATASET_WRITE, GLOBAL_KEY_ASSIGN}),
    "READ_ONLY": frozenset({SPACE_READ, MEMBER_READ, DATASET_READ}),
    # Reads the rows it is given (row-level filtering belongs to the catalog).
    "ANNOTATOR": frozenset({SPACE_READ, DATASET_READ}),
}
# What a custom role may contain. Every member can see the space it belongs to, so
# ``space.read`` is implied by any membership.
CUSTOM_ROLE_PERMISSIONS = SPACE_ACTIONS
# A space token is a machine credential for data work: whatever its role, it never manages
# members, tokens or the space itself (so a leaked token cannot mint more or lock people out).
TOKEN_ROLES = ("MEMBER", "READ_ONLY")
TOKEN_PERMISSIONS = frozenset({SPACE_READ, DATASET_READ, DATASET_WRITE, GLOBAL_KEY_ASSIGN})


def space_scope(principal: Principal) -> Q:
    """Which spaces of ``principal.org_id`` exist for the principal, as a filter on Space:
    org OWNER/ADMIN (``space.admin``) see all, a space token its own space, a person the
    spaces they are a member of. Everything else is 404."""
    if principal.kind == "space_token":
        return Q(id=principal.space_id or "-")
    if can(principal, SPACE_ADMIN):
        return Q()
    if principal.user_id:
        return Q(memberships__org_membership__user_id=principal.user_id)
    return Q(pk__in=[])


def membership_permissions(
    *, role: str, custom_permissions: list[str] | None, account_role: str
) -> frozenset[str]:
    """The permissions one space membership grants (a predefined role or a custom one)."""
    if role:
        granted = SPACE_ROLE_PERMISSIONS.get(role, frozenset())
    else:
        granted = frozenset(custom_permissions or ()) & CUSTOM_ROLE_PERMISSIONS
    granted = granted | {SPACE_READ}
    if account_role == AccountRole.ANNOTATOR:
        # An annotator account never gets more than the ANNOTATOR space role, even if its
        # account role changed after the membership was made.
        granted &= SPACE_ROLE_PERMISSIONS["ANNOTATOR"]
    return granted


def space_permissions(principal: Principal, space_id: str) -> frozenset[str]:
    """Everything ``principal`` may do in space ``space_id`` (empty: the space does not
    exist for them). One query at most."""
    from adminapp.spaces.models import Space, SpaceMembership

    live = {"organization_id": principal.org_id, "deleted_at__isnull": True}
    if principal.kind == "space_token":
        if principal.space_id != space_id:
            return frozenset()
        return SPACE_ROLE_PERMISSIONS.get(principal.space_role or "", frozenset()) & (
            TOKEN_PERMISSIONS
        )
    if principal.kind == "system":
        live.pop("organization_id")
    if principal.kind == "system" or can(principal, SPACE_ADMIN):
        return SPACE_ACTIONS if Space.objects.filter(id=space_id, **live).exists() else frozenset()
    if not principal.user_id:
        return frozenset()
    membership = (
        SpaceMembership.objects.filter(
            space_id=space_id,
            org_membership__user_id=principal.user_id,
            org_membership__organization_id=principal.org_id,
            **{f"space__{k}": v for k, v in live.items()},
        )
        .select_related("custom_role", "org_membership")
        .first()
    )
    if membership is None:
        return frozenset()
    return membership_permissions(
        role=membership.role,
        custom_permissions=membership.custom_role.permissions if membership.custom_role else None,
        account_role=membership.org_membership.account_role,
    )


def can_in_space(principal: Principal, space_id: str, action: str) -> bool:
    if action not in SPACE_ACTIONS:
        raise ValueError(f"unknown space action {action!r}")
    return action in space_permissions(principal, space_id)


def require_in_space(
    principal: Principal, space_id: str, action: str, message: str | None = None
) -> frozenset[str]:
    """Raise unless ``principal`` may do ``action`` in the space; returns its permissions.

    No permission at all means the space does not exist for the principal (404); some but
    not this one is a 403."""
    if action not in SPACE_ACTIONS:
        raise ValueError(f"unknown space action {action!r}")
    granted = space_permissions(principal, space_id)
    if not granted:
        raise NotFound(f"Space {space_id} not found.")
    if action not in granted:
        raise PermissionDenied(message or f"Your role in this space does not allow {action}.")
    return granted


def can_on(principal: Principal, action: str, resource: str | None = None) -> bool:
    """``can`` with an optional resource: a space action on a space id is answered in it."""
    if resource and resource.startswith("spc_") and action in SPACE_ACTIONS:
        return can_in_space(principal, resource, action)
    return can(principal, action)
