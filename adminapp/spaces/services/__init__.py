"""Writes for spaces, memberships, custom roles and space tokens (SPEC §1–2).

Every function takes the acting ``Principal``, checks it through the one resolver in
``adminapp.authz`` (``require`` for org-level actions, ``require_in_space`` inside a space),
writes in one transaction and records an audit event in it. Uniqueness is enforced by
database constraints; the friendly pre-checks are only there for the message, and the
``IntegrityError`` of a lost race is turned into the same 409.

One module per aggregate: ``spaces``, ``members``, ``roles``, ``tokens`` (and ``naming``, the
rules their names follow); everything public is importable from here.
"""

from adminapp.spaces.services.members import RoleChoice, space_member_remove, space_member_set
from adminapp.spaces.services.naming import (
    RESERVED_SPACE_NAMES,
    SPACE_DESCRIPTION_MAX,
    SPACE_NAME_MAX,
)
from adminapp.spaces.services.roles import (
    ROLE_DESCRIPTION_MAX,
    ROLE_NAME_MAX,
    permission_descriptions,
    space_role_create,
    space_role_delete,
    space_role_update,
)
from adminapp.spaces.services.spaces import space_create, space_delete, space_update
from adminapp.spaces.services.tokens import (
    DEFAULT_TOKEN_ROLE,
    MAX_ACTIVE_PERMANENT_TOKENS,
    SPACE_TOKEN_PREFIX,
    TEMPORARY_TOKEN_TTL,
    TOKEN_LABEL_MAX,
    space_token_authenticate,
    space_token_create,
    space_token_deactivate,
    space_token_delete,
    space_tokens_delete,
)

__all__ = [
    "DEFAULT_TOKEN_ROLE",
    "MAX_ACTIVE_PERMANENT_TOKENS",
    "RESERVED_SPACE_NAMES",
    "ROLE_DESCRIPTION_MAX",
    "ROLE_NAME_MAX",
    "SPACE_DESCRIPTION_MAX",
    "SPACE_NAME_MAX",
    "SPACE_TOKEN_PREFIX",
    "TEMPORARY_TOKEN_TTL",
    "TOKEN_LABEL_MAX",
    "RoleChoice",
    "permission_descriptions",
    "space_create",
    "space_delete",
    "space_member_remove",
    "space_member_set",
    "space_role_create",
    "space_role_delete",
    "space_role_update",
    "space_token_authenticate",
    "space_token_create",
    "space_token_deactivate",
    "space_token_delete",
    "space_tokens_delete",
    "space_update",
]
