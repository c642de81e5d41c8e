"""The one permission resolver. Every check in every service goes through ``can`` /
``require``; roles are only ever mapped onto this vocabulary, never tested by name elsewhere.

Later domains (spaces, storage, catalog, plugins) add their actions and the space roles on top
of the same function, so "who may do what" has a single answer.
"""

from __future__ import annotations

from adminapp.accounts.models import AccountRole
from adminapp.core.errors import PermissionDenied
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

ACTIONS = frozenset(
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
    }
)

_MEMBER = {ORG_READ, MEMBER_READ, API_KEY_OWN, AUDIT_WRITE_CUSTOM}
_ADMIN = _MEMBER | {MEMBER_MANAGE, API_KEY_MANAGE, AUDIT_READ, JOB_READ_ALL, PERMISSION_CHECK}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    AccountRole.OWNER: frozenset(_ADMIN | {OWNER_MANAGE}),
    AccountRole.ADMIN: frozenset(_ADMIN),
    AccountRole.MEMBER: frozenset(_MEMBER),
    AccountRole.ANNOTATOR: frozenset({ORG_READ, API_KEY_OWN, AUDIT_WRITE_CUSTOM}),
}


def permissions_of(principal: Principal) -> frozenset[str]:
    if principal.kind == "system":
        return ACTIONS
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
