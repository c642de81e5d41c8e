"""The permission vocabulary, defined once (STYLE 4a).

The server's authorization module (``adminapp.authz``) decides who holds which of these; the
API reports them (``Me.permissions``, ``Space.permissions``) and the dashboard and SDK users
compare against this enum instead of re-typing strings. Values are frozen: add, never rename.
"""

from __future__ import annotations

from enum import StrEnum

from adminapp.client.types.common import WireModel

__all__ = [
    "Permission",
    "PermissionCheck",
    "Scope",
]


class Permission(StrEnum):
    # --- instance: held by instance admins only -----------------------------------------
    ORGANIZATION_CREATE = "organization.create"
    PLUGIN_MANAGE = "plugin.manage"  # install, update, enable, disable and delete plugins

    # --- organization -------------------------------------------------------------------
    ORG_READ = "org.read"
    MEMBER_READ = "member.read"  # also a space permission: the space's members
    MEMBER_MANAGE = "member.manage"  # also a space permission
    OWNER_MANAGE = "owner.manage"  # grant or revoke OWNER
    ORG_EXPORT = "org.export"  # all org data as one archive (owners)
    API_KEY_MANAGE_OWN = "api_key.manage_own"  # personal keys of the caller
    API_KEY_MANAGE = "api_key.manage"  # every key of the org, service keys included
    AUDIT_READ = "audit.read"
    AUDIT_WRITE_CUSTOM = "audit.write_custom"
    JOB_READ_ALL = "job.read_all"  # see and abort other principals' jobs
    PERMISSION_CHECK = "permission.check"
    SPACE_CREATE = "space.create"
    SPACE_ADMIN = "space.admin"  # every space permission in every space of the org
    ROLE_MANAGE = "role.manage"  # define, change and delete custom space roles
    STORAGE_READ = "storage.read"  # bucket configs (secrets masked) and repos
    STORAGE_MANAGE = "storage.manage"  # create, change, check and delete them
    PLUGIN_MACRO_RUN = "plugin.macro.run"  # run plugin macros in the org (issue 11)

    # --- space: granted inside one space by a space role or a space token ---------------
    SPACE_READ = "space.read"
    SPACE_UPDATE = "space.update"
    SPACE_DELETE = "space.delete"
    DATASET_READ = "dataset.read"
    DATASET_WRITE = "dataset.write"
    GLOBAL_KEY_ASSIGN = "global_key.assign"
    TOKEN_MANAGE = "token.manage"  # noqa: S105 - a permission name, not a secret


class Scope(StrEnum):
    """Where a permission is held: the whole instance, one organization, or one space."""

    INSTANCE = "instance"
    ORG = "org"
    SPACE = "space"


class PermissionCheck(WireModel):
    has_permission: bool
