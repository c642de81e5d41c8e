"""Writes for tenancy and identity: organizations, members, API keys, sign-in.

Every function takes the acting ``Principal`` explicitly, checks it through the one resolver
in ``adminapp.authz``, writes in one transaction and records an audit event in it.

One module per aggregate: ``organizations``, ``members``, ``invitations``, ``keys``,
``passwords`` and ``signin``;
everything public is importable from here.
"""

from adminapp.accounts.services.invitations import (
    invitation_accept,
    invitation_create,
    invitation_inspect,
    invitation_resend,
    invitation_revoke,
    invitation_status,
)
from adminapp.accounts.services.keys import (
    API_KEY_PREFIX,
    LAST_USED_RESOLUTION,
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
)
from adminapp.accounts.services.members import (
    LAST_OWNER,
    org_member_add,
    org_member_remove,
    org_member_set_active,
    org_member_update_role,
    organization_transfer_ownership,
    user_set_active,
)
from adminapp.accounts.services.organizations import (
    OrganizationCreated,
    instance_user_set_active,
    organization_create,
    organization_create_with_owner,
    organization_rename,
)
from adminapp.accounts.services.passwords import (
    password_change,
    password_reset_confirm,
    password_reset_inspect,
    password_reset_request,
)
from adminapp.accounts.services.signin import seed_user, session_record, user_login_check

__all__ = [
    "API_KEY_PREFIX",
    "LAST_OWNER",
    "OrganizationCreated",
    "instance_user_set_active",
    "org_member_set_active",
    "organization_create_with_owner",
    "organization_rename",
    "organization_transfer_ownership",
    "user_set_active",
    "LAST_USED_RESOLUTION",
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "invitation_accept",
    "invitation_create",
    "invitation_inspect",
    "invitation_resend",
    "invitation_revoke",
    "invitation_status",
    "org_member_add",
    "org_member_remove",
    "org_member_update_role",
    "organization_create",
    "password_change",
    "password_reset_confirm",
    "password_reset_inspect",
    "password_reset_request",
    "seed_user",
    "session_record",
    "user_login_check",
]
