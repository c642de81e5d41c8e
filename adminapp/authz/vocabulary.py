"""The permission vocabulary as data: what each permission means in each scope it exists
in, and which roles grant which permissions. Nothing here queries anything; the resolver
(``adminapp.authz.resolver``) applies these tables to a principal.

Roles are named by their wire values (``AccountRole``, ``SpaceRoleName``), so this module
imports no domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from adminapp.client.types.authz import Permission as P
from adminapp.client.types.authz import Scope


@dataclass(frozen=True)
class PermissionInfo:
    permission: P
    # What it allows, per scope it is granted in (``member.manage`` means the org's members
    # at org scope and the space's members at space scope).
    meaning: Mapping[Scope, str]

    @property
    def scopes(self) -> frozenset[Scope]:
        return frozenset(self.meaning)


def _info(permission: P, **meaning: str) -> PermissionInfo:
    return PermissionInfo(permission, {Scope(scope): text for scope, text in meaning.items()})


VOCABULARY: Mapping[P, PermissionInfo] = {
    info.permission: info
    for info in (
        _info(P.ORGANIZATION_CREATE, instance="Create organizations and name their first owner."),
        _info(
            P.PLUGIN_MANAGE,
            instance="Install, update, enable, disable and delete plugins; see the store.",
        ),
        _info(P.ORG_READ, org="See the organization."),
        _info(
            P.MEMBER_READ,
            org="See the organization's members and their roles.",
            space="See the space's members and their roles.",
        ),
        _info(
            P.MEMBER_MANAGE,
            org="Add and remove the organization's members and change their roles.",
            space="Add and remove members and change their roles.",
        ),
        _info(P.OWNER_MANAGE, org="Grant and revoke the OWNER role."),
        _info(P.ORG_EXPORT, org="Export everything the organization holds as one archive."),
        _info(P.API_KEY_MANAGE_OWN, org="Create and revoke your own personal API keys."),
        _info(P.API_KEY_MANAGE, org="Create and revoke every API key, service keys included."),
        _info(P.AUDIT_READ, org="Read and export the audit log."),
        _info(P.AUDIT_WRITE_CUSTOM, org="Record custom audit events."),
        _info(P.JOB_READ_ALL, org="See and abort everyone's jobs."),
        _info(P.PERMISSION_CHECK, org="Ask what another principal may do."),
        _info(P.SPACE_CREATE, org="Create spaces."),
        _info(P.SPACE_ADMIN, org="Every space permission in every space."),
        _info(P.ROLE_MANAGE, org="Define, change and delete custom space roles."),
        _info(P.STORAGE_READ, org="See bucket configs (secrets masked), repos and their objects."),
        _info(
            P.STORAGE_MANAGE,
            org="Create, change, check and delete bucket configs and repos.",
        ),
        _info(P.PLUGIN_MACRO_RUN, org="Run the installed plugins' macros in the organization."),
        _info(P.SPACE_READ, space="See the space (implied by every membership)."),
        _info(P.SPACE_UPDATE, space="Rename the space and change its description."),
        _info(P.SPACE_DELETE, space="Delete the space and everything in it."),
        _info(P.DATASET_READ, space="Read datasets and data rows."),
        _info(P.DATASET_WRITE, space="Create, change and delete datasets and data rows."),
        _info(P.GLOBAL_KEY_ASSIGN, space="Assign and clear global keys of data rows."),
        _info(P.TOKEN_MANAGE, space="Create, deactivate and delete the space's tokens."),
    )
}
if set(P) - set(VOCABULARY):  # every permission says what it means
    raise RuntimeError(f"permissions without a meaning: {set(P) - set(VOCABULARY)}")


def in_scope(scope: Scope) -> frozenset[P]:
    return frozenset(p for p, info in VOCABULARY.items() if scope in info.scopes)


INSTANCE_PERMISSIONS = in_scope(Scope.INSTANCE)
ORG_PERMISSIONS = in_scope(Scope.ORG)
SPACE_PERMISSIONS = in_scope(Scope.SPACE)

# --- instance admins ----------------------------------------------------------------------
INSTANCE_ADMIN_GRANTS = INSTANCE_PERMISSIONS

# --- account roles (OrgMembership.account_role, service keys' role) -----------------------
_MEMBER = frozenset(
    {P.ORG_READ, P.MEMBER_READ, P.API_KEY_MANAGE_OWN, P.AUDIT_WRITE_CUSTOM, P.STORAGE_READ}
)
_ADMIN = _MEMBER | {
    P.MEMBER_MANAGE,
    P.API_KEY_MANAGE,
    P.AUDIT_READ,
    P.JOB_READ_ALL,
    P.PERMISSION_CHECK,
    P.SPACE_CREATE,
    P.SPACE_ADMIN,
    P.ROLE_MANAGE,
    P.STORAGE_MANAGE,
    P.PLUGIN_MACRO_RUN,
}
ACCOUNT_ROLE_GRANTS: Mapping[str, frozenset[P]] = {
    "OWNER": _ADMIN | {P.OWNER_MANAGE, P.ORG_EXPORT},
    "ADMIN": _ADMIN,
    "MEMBER": _MEMBER,
    "ANNOTATOR": frozenset({P.ORG_READ, P.API_KEY_MANAGE_OWN, P.AUDIT_WRITE_CUSTOM}),
}
# A service key has no person behind it: it cannot mint keys for people or owners.
SERVICE_KEY_WITHHELD = frozenset({P.API_KEY_MANAGE_OWN, P.OWNER_MANAGE})

# --- space roles ----------------------------------------------------------------------------
SPACE_ROLE_GRANTS: Mapping[str, frozenset[P]] = {
    # Manages its space: settings, members, tokens, and deleting it.
    "ADMIN": SPACE_PERMISSIONS,
    # Reads and writes data.
    "MEMBER": frozenset(
        {P.SPACE_READ, P.MEMBER_READ, P.DATASET_READ, P.DATASET_WRITE, P.GLOBAL_KEY_ASSIGN}
    ),
    "READ_ONLY": frozenset({P.SPACE_READ, P.MEMBER_READ, P.DATASET_READ}),
    # Reads the rows it is given (row-level filtering belongs to the catalog).
    "ANNOTATOR": frozenset({P.SPACE_READ, P.DATASET_READ}),
}
# What a custom role may contain (in the order the role editor lists them); every
# membership also implies space.read.
CUSTOM_ROLE_ALLOWED_LISTED = (
    P.SPACE_READ,
    P.SPACE_UPDATE,
    P.SPACE_DELETE,
    P.MEMBER_READ,
    P.MEMBER_MANAGE,
    P.DATASET_READ,
    P.DATASET_WRITE,
    P.GLOBAL_KEY_ASSIGN,
    P.TOKEN_MANAGE,
)
CUSTOM_ROLE_ALLOWED = frozenset(CUSTOM_ROLE_ALLOWED_LISTED)
if CUSTOM_ROLE_ALLOWED != SPACE_PERMISSIONS:
    raise RuntimeError("every space permission can be part of a custom role")
IMPLIED_BY_MEMBERSHIP = frozenset({P.SPACE_READ})
# An annotator account never gets more than the ANNOTATOR space role, whatever it was given.
ANNOTATOR_CEILING = SPACE_ROLE_GRANTS["ANNOTATOR"]

# --- space tokens ---------------------------------------------------------------------------
# A space token is a machine credential for data work: whatever its role, it never manages
# members, tokens or the space itself (so a leaked token cannot mint more or lock people out).
TOKEN_ROLES = ("MEMBER", "READ_ONLY")
TOKEN_CEILING = frozenset({P.SPACE_READ, P.DATASET_READ, P.DATASET_WRITE, P.GLOBAL_KEY_ASSIGN})
