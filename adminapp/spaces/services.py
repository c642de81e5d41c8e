"""Writes for spaces, memberships, custom roles and space tokens (SPEC §1–2, issue 3).

Every function takes the acting ``Principal``, checks it through the one resolver in
``accounts.permissions`` (``require`` for org-level actions, ``require_in_space`` inside a
space), writes in one transaction and records an audit event in it. Uniqueness is enforced
by database constraints; the friendly pre-checks are only there for the message, and the
``IntegrityError`` of a lost race is turned into the same 409.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from adminapp import authz
from adminapp.accounts.models import AccountRole, OrgMembership
from adminapp.audit.services import audit_record
from adminapp.authz import Permission, Scope
from adminapp.core import crypto
from adminapp.core.errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from adminapp.core.principal import Principal
from adminapp.core.validation import clean_text
from adminapp.jobs.models import TERMINAL_STATES, Job
from adminapp.jobs.services import idempotency_key_reused, job_create, job_for_idempotency_key
from adminapp.spaces import selectors
from adminapp.spaces.jobs import SpaceDelete, SpaceDeleteParams
from adminapp.spaces.models import Space, SpaceMembership, SpaceRole, SpaceRoleName, SpaceToken

SPACE_NAME_MAX = 255
SPACE_DESCRIPTION_MAX = 1000
ROLE_NAME_MAX = 100
ROLE_DESCRIPTION_MAX = 500
TOKEN_LABEL_MAX = 100
SPACE_TOKEN_PREFIX = "spt"  # noqa: S105 - a prefix, not a secret
TEMPORARY_TOKEN_TTL = timedelta(hours=24)
MAX_ACTIVE_PERMANENT_TOKENS = 5
DEFAULT_TOKEN_ROLE = SpaceRoleName.MEMBER
# Refresh a token's last_used_at at most this often (not a write per request).
LAST_USED_RESOLUTION = timedelta(seconds=60)

_SPACE_ID_RE = re.compile(r"^spc_[0-9a-z]{26}$")
# Path segments that cannot name a space: /spaces/all is the picker list, and "." / ".."
# are dot segments that URL normalisation removes before a request is sent.
RESERVED_SPACE_NAMES = frozenset({"all", ".", ".."})


# --- input rules --------------------------------------------------------------------------
def _clean_name(value: str | None, *, field: str = "name", max_length: int) -> str:
    name = clean_text(value, field=field, max_length=max_length, required=True)
    if any(ch in name for ch in "\n\t"):
        raise ValidationFailed(f"{field} must be one line.", fields={field: ["One line."]})
    return name


def _clean_space_name(value: str | None) -> str:
    """A space name is also a path segment (every ``space`` argument takes a name): no
    ``/``, not ``all``, and nothing that could be mistaken for a space id."""
    name = _clean_name(value, max_length=SPACE_NAME_MAX)
    if "/" in name:
        raise ValidationFailed(
            "A space name cannot contain '/'.", fields={"name": ["Must not contain '/'."]}
        )
    if name in RESERVED_SPACE_NAMES:
        raise ValidationFailed(
            f"{name!r} is reserved (GET /spaces/{name} lists every space).",
            fields={"name": ["Reserved."]},
        )
    if _SPACE_ID_RE.match(name):
        raise ValidationFailed(
            "A space name cannot look like a space id.", fields={"name": ["Looks like an id."]}
        )
    return name


def _rename(obj, name: str, *, peers, taken, changes: dict) -> None:
    """Give ``obj`` a new (cleaned) name unless unchanged; a name another of ``peers``
    already has, in any letter case, is ``taken(name)`` (a Conflict). Records the change."""
    if name == obj.name:
        return
    clash = (
        peers.exclude(id=obj.id)
        .alias(name_lower=Lower("name"))
        .filter(name_lower=name.lower())
        .exists()
    )
    if clash:
        raise taken(name)
    changes["name"] = {"from": obj.name, "to": name}
    obj.name = name


def _describe(obj, description: str, *, max_length: int, changes: dict) -> None:
    """Give ``obj`` a new description unless unchanged. Records the change."""
    description = clean_text(
        description, field="description", max_length=max_length, required=False
    )
    if description != obj.description:
        changes["description"] = {"from": obj.description, "to": description}
        obj.description = description


def _space_name_taken(name: str) -> Conflict:
    return Conflict(
        f"A space named {name!r} already exists in this organization.",
        fields={"name": ["A space with this name already exists."]},
    )


def _lock_space(space: Space) -> Space:
    return Space.objects.select_for_update().get(id=space.id)


# --- spaces -------------------------------------------------------------------------------
@transaction.atomic
def space_create(
    *,
    actor: Principal,
    name: str,
    description: str | None = None,
    organization_id: str | None = None,
) -> Space:
    """Org OWNER/ADMIN create spaces; a duplicate name (any case) is a 409."""
    if organization_id and organization_id != actor.org_id:
        raise NotFound(f"Organization {organization_id} not found.")
    authz.require(actor, Permission.SPACE_CREATE, "Only org owners and admins can create spaces.")
    name = _clean_space_name(name)
    description = clean_text(
        description, field="description", max_length=SPACE_DESCRIPTION_MAX, required=False
    )
    live = Space.objects.filter(organization_id=actor.org_id, deleted_at__isnull=True)
    if live.alias(name_lower=Lower("name")).filter(name_lower=name.lower()).exists():
        raise _space_name_taken(name)
    try:
        with transaction.atomic():
            space = Space.objects.create(
                organization_id=actor.org_id, name=name, description=description
            )
    except IntegrityError:  # a concurrent create took the name
        raise _space_name_taken(name) from None
    audit_record(
        actor=actor,
        action="space.create",
        target_type="space",
        target_id=space.id,
        details={"name": name},
    )
    return space


@transaction.atomic
def space_update(
    *,
    actor: Principal,
    space: str,
    name: str | None = None,
    description: str | None = None,
) -> Space:
    if name is None and description is None:
        raise BadRequest(
            "Give a new name or description (or both).",
            fields={"name": ["Give name or description."]},
        )
    found = selectors.space_get(actor=actor, space=space)
    authz.require_in_space(actor, found.id, Permission.SPACE_UPDATE)
    found = _lock_space(found)
    changes: dict[str, dict[str, str]] = {}
    if name is not None:
        live = Space.objects.filter(organization_id=found.organization_id, deleted_at__isnull=True)
        _rename(
            found, _clean_space_name(name), peers=live, taken=_space_name_taken, changes=changes
        )
    if description is not None:
        _describe(found, description, max_length=SPACE_DESCRIPTION_MAX, changes=changes)
    if changes:
        try:
            with transaction.atomic():
                found.save(update_fields=["name", "description", "updated_at"])
        except IntegrityError:
            raise _space_name_taken(found.name) from None
        audit_record(
            actor=actor,
            action="space.update",
            target_type="space",
            target_id=found.id,
            details={"changes": changes},
        )
    return found


@transaction.atomic
def space_delete(*, actor: Principal, space: str, idempotency_key: str | None = None):
    """Delete a space: returns the ``space_delete`` Job (the API answers 202 with it).

    Why a job every time, not 204: a space can hold millions of data rows whose global keys
    must be freed, which no request should do inline. So the request does the part that must
    be instant — the space disappears from every list and lookup, its name is free again, its
    tokens stop working and its members lose access, all in this transaction — and the job
    removes what it held, chunk by chunk, then the space row. The caller can wait on the job
    to know the contents (and their global keys) are gone.

    A retried request with the same ``Idempotency-Key`` gets the same job. Asking again for a
    space whose deletion job failed or was aborted (by id; org admins) starts a new job.
    """
    key = (idempotency_key or "").strip()
    earlier = job_for_idempotency_key(actor=actor, idempotency_key=key)
    if earlier is not None:
        # A retry names the space as the first request did, by id or by name (it is hidden
        # by now, so it cannot be looked up again); any other request is refused.
        ref = (space or "").strip()
        if earlier.kind == SpaceDelete.name and ref in earlier.params.values():
            return earlier
        raise idempotency_key_reused(earlier)
    found = selectors.space_find(queryset=selectors.space_queryset(actor=actor), ref=space)
    if found is None and authz.can(actor, Permission.SPACE_ADMIN):
        # A deletion that did not finish can be set going again.
        found = Space.objects.filter(
            id=(space or "").strip(), organization_id=actor.org_id, deleted_at__isnull=False
        ).first()
    if found is None:
        raise NotFound(f"Space {space!r} not found.")
    if found.deleted_at is None:
        authz.require_in_space(actor, found.id, Permission.SPACE_DELETE)
    found = _lock_space(found)
    if found.deleted_at is not None and found.delete_job_id:
        running = Job.objects.filter(id=found.delete_job_id).exclude(state__in=TERMINAL_STATES)
        if running.exists():
            return running.get()
    job, _ = job_create(
        actor=actor,
        kind=SpaceDelete,
        params=SpaceDeleteParams(space_id=found.id, name=found.name),
        idempotency_key=key or None,
    )
    first_request = found.deleted_at is None
    found.deleted_at = found.deleted_at or timezone.now()
    found.delete_job = job
    found.save(update_fields=["deleted_at", "delete_job", "updated_at"])
    audit_record(
        actor=actor,
        action="space.delete" if first_request else "space.delete_retry",
        target_type="space",
        target_id=found.id,
        details={"name": found.name, "job_id": job.id},
    )
    return job


# --- memberships --------------------------------------------------------------------------
@dataclass(frozen=True)
class RoleChoice:
    """A predefined role name, or a custom role id (exactly one)."""

    predefined: str | None = None
    custom_id: str | None = None


def _resolve_role(org_id: str, choice: RoleChoice) -> tuple[str, SpaceRole | None]:
    if (choice.predefined is None) == (choice.custom_id is None):
        raise ValidationFailed(
            "Give a predefined role name or a custom role id.",
            fields={"role": ["Exactly one of a predefined name or a custom id."]},
        )
    if choice.predefined is not None:
        if choice.predefined not in SpaceRoleName.values:
            raise ValidationFailed(
                f"Unknown space role {choice.predefined!r}.",
                fields={"role.name": [f"One of {', '.join(SpaceRoleName.values)}."]},
            )
        return choice.predefined, None
    # Locked so a concurrent delete of the role cannot slip between this and the write.
    role = (
        SpaceRole.objects.select_for_update()
        .filter(id=(choice.custom_id or "").strip(), organization_id=org_id)
        .first()
    )
    if role is None:
        raise ValidationFailed(
            f"Unknown custom role {choice.custom_id!r}.",
            fields={"role.id": ["No custom role with this id in this organization."]},
        )
    return "", role


def _role_label(role: str, custom: SpaceRole | None) -> dict[str, str]:
    if custom is not None:
        return {"type": "CUSTOM", "id": custom.id, "name": custom.name}
    return {"type": "PREDEFINED", "name": role}


def _role_permissions(role: str, custom: SpaceRole | None, account_role: str) -> frozenset[str]:
    return authz.membership_permissions(
        authz.SpaceMembershipGrant(
            role=role,
            custom_permissions=custom.permissions if custom else None,
            account_role=account_role,
        )
    )


def _check_no_escalation(granted: frozenset[str], role_perms: frozenset[str]) -> None:
    """Nobody hands out (or takes away) a role that can do more than they can here."""
    beyond = sorted(role_perms - granted)
    if beyond:
        raise PermissionDenied(
            "You cannot grant or change a role with permissions you do not have in this "
            f"space: {', '.join(beyond)}.",
            code="role_escalation",
        )


def _check_annotator_rule(account_role: str, role: str) -> None:
    if account_role == AccountRole.ANNOTATOR and role != SpaceRoleName.ANNOTATOR:
        raise BadRequest(
            "Users with the ANNOTATOR account role can only have the ANNOTATOR space role.",
            code="annotator_role_mismatch",
            fields={"role": ["Only ANNOTATOR for an annotator account."]},
        )
    if account_role != AccountRole.ANNOTATOR and role == SpaceRoleName.ANNOTATOR:
        raise BadRequest(
            "The ANNOTATOR space role is only for users with the ANNOTATOR account role.",
            code="annotator_role_mismatch",
            fields={"role": ["ANNOTATOR is only for annotator accounts."]},
        )


@transaction.atomic
def space_member_set(
    *, actor: Principal, space: str, user_id: str, role: RoleChoice
) -> tuple[SpaceMembership, bool]:
    """Add ``user_id`` to the space with ``role``, or change their role (an upsert).

    The user must already belong to the space's org (400 ``user_not_in_org``; nobody is
    enrolled into an org from here). Returns ``(membership, created)``."""
    found = selectors.space_get(actor=actor, space=space)
    granted = authz.require_in_space(actor, found.id, Permission.MEMBER_MANAGE)
    org_membership = (
        OrgMembership.objects.select_related("user")
        .filter(organization_id=found.organization_id, user_id=(user_id or "").strip())
        .first()
    )
    if org_membership is None:
        raise BadRequest(
            f"User {user_id!r} is not a member of this space's organization; add them to the "
            "organization first.",
            code="user_not_in_org",
            fields={"user_id": ["Not a member of the organization."]},
        )
    role_name, custom = _resolve_role(found.organization_id, role)
    if custom is None:
        _check_annotator_rule(org_membership.account_role, role_name)
    elif org_membership.account_role == AccountRole.ANNOTATOR:
        _check_annotator_rule(org_membership.account_role, "")
    new_perms = _role_permissions(role_name, custom, org_membership.account_role)
    _check_no_escalation(granted, new_perms)

    existing = (
        SpaceMembership.objects.select_for_update(of=("self",))
        .select_related("custom_role")
        .filter(space=found, org_membership=org_membership)
        .first()
    )
    created = existing is None
    if created:
        try:
            with transaction.atomic():
                membership = SpaceMembership.objects.create(
                    space=found, org_membership=org_membership, role=role_name, custom_role=custom
                )
        except IntegrityError:  # added concurrently: fall through to an update
            created = False
            existing = (
                SpaceMembership.objects.select_for_update(of=("self",))
                .select_related("custom_role")
                .get(space=found, org_membership=org_membership)
            )
    if not created:
        assert existing is not None
        _check_no_escalation(
            granted,
            _role_permissions(existing.role, existing.custom_role, org_membership.account_role),
        )
        previous = _role_label(existing.role, existing.custom_role)
        membership = existing
        if (existing.role, existing.custom_role_id) != (role_name, custom.id if custom else None):
            membership.role, membership.custom_role = role_name, custom
            membership.save(update_fields=["role", "custom_role", "updated_at"])
            audit_record(
                actor=actor,
                action="space.member.update_role",
                target_type="user",
                target_id=org_membership.user_id,
                details={
                    "space_id": found.id,
                    "from": previous,
                    "to": _role_label(role_name, custom),
                },
            )
    else:
        audit_record(
            actor=actor,
            action="space.member.add",
            target_type="user",
            target_id=org_membership.user_id,
            details={
                "space_id": found.id,
                "email": org_membership.user.email,
                "role": _role_label(role_name, custom),
            },
        )
    membership.org_membership = org_membership
    return membership, created


@transaction.atomic
def space_member_remove(*, actor: Principal, space: str, user_id: str) -> None:
    found = selectors.space_get(actor=actor, space=space)
    granted = authz.require_in_space(actor, found.id, Permission.MEMBER_MANAGE)
    membership = (
        SpaceMembership.objects.select_for_update(of=("self",))
        .select_related("custom_role", "org_membership__user")
        .filter(space=found, org_membership__user_id=(user_id or "").strip())
        .first()
    )
    if membership is None:
        raise NotFound(f"User {user_id!r} is not a member of space {found.name!r}.")
    _check_no_escalation(
        granted,
        _role_permissions(
            membership.role, membership.custom_role, membership.org_membership.account_role
        ),
    )
    membership.delete()
    audit_record(
        actor=actor,
        action="space.member.remove",
        target_type="user",
        target_id=membership.org_membership.user_id,
        details={
            "space_id": found.id,
            "email": membership.org_membership.user.email,
            "role": _role_label(membership.role, membership.custom_role),
        },
    )


# --- custom roles -------------------------------------------------------------------------
def permission_descriptions() -> list[tuple[str, str]]:
    """The permissions a custom role can contain, each with what it allows in a space."""
    return [
        (permission.value, authz.describe(permission, Scope.SPACE))
        for permission in authz.CUSTOM_ROLE_ALLOWED_LISTED
    ]


def _clean_permissions(values: list[str] | None) -> list[str]:
    values = [str(v).strip() for v in (values or [])]
    unknown = sorted({v for v in values if v not in authz.CUSTOM_ROLE_ALLOWED})
    if unknown:
        raise ValidationFailed(
            f"Unknown permissions: {', '.join(unknown)}.",
            fields={
                "permissions": [
                    f"Unknown: {', '.join(unknown)}. "
                    f"Allowed: {', '.join(sorted(authz.CUSTOM_ROLE_ALLOWED))}."
                ]
            },
        )
    return sorted(set(values))


def _clean_role_name(value: str | None) -> str:
    name = _clean_name(value, max_length=ROLE_NAME_MAX)
    if name.upper().replace("-", "_").replace(" ", "_") in SpaceRoleName.values:
        raise ValidationFailed(
            f"{name!r} is the name of a predefined role.",
            fields={"name": ["Same as a predefined role."]},
        )
    return name


def _role_name_taken(name: str) -> Conflict:
    return Conflict(
        f"A role named {name!r} already exists in this organization.",
        fields={"name": ["A role with this name already exists."]},
    )


def _role_for_management(actor: Principal, role_id: str) -> SpaceRole:
    authz.require(actor, Permission.ROLE_MANAGE, "Only org owners and admins can manage roles.")
    role = (
        SpaceRole.objects.select_for_update()
        .filter(id=(role_id or "").strip(), organization_id=actor.org_id)
        .first()
    )
    if role is None:
        raise NotFound(f"Role {role_id} not found.")
    return role


def _save_role(role: SpaceRole, **kwargs) -> SpaceRole:
    try:
        with transaction.atomic():
            if role._state.adding:
                role.save()
            else:
                role.save(**kwargs)
    except IntegrityError:
        raise _role_name_taken(role.name) from None
    return role


@transaction.atomic
def space_role_create(
    *, actor: Principal, name: str, permissions: list[str], description: str = ""
) -> SpaceRole:
    authz.require(actor, Permission.ROLE_MANAGE, "Only org owners and admins can manage roles.")
    name = _clean_role_name(name)
    description = clean_text(
        description, field="description", max_length=ROLE_DESCRIPTION_MAX, required=False
    )
    permissions = _clean_permissions(permissions)
    roles = SpaceRole.objects.filter(organization_id=actor.org_id)
    if roles.alias(name_lower=Lower("name")).filter(name_lower=name.lower()).exists():
        raise _role_name_taken(name)
    role = _save_role(
        SpaceRole(
            organization_id=actor.org_id,
            name=name,
            description=description,
            permissions=permissions,
        )
    )
    audit_record(
        actor=actor,
        action="role.create",
        target_type="space_role",
        target_id=role.id,
        details={"name": name, "permissions": permissions},
    )
    return role


@transaction.atomic
def space_role_update(
    *,
    actor: Principal,
    role_id: str,
    name: str | None = None,
    description: str | None = None,
    permissions: list[str] | None = None,
) -> SpaceRole:
    """Changing a role's permissions changes them for every member holding it, at once."""
    if name is None and description is None and permissions is None:
        raise BadRequest(
            "Give a new name, description or permissions.",
            fields={"name": ["Give name, description or permissions."]},
        )
    role = _role_for_management(actor, role_id)
    changes: dict[str, dict] = {}
    if name is not None:
        peers = SpaceRole.objects.filter(organization_id=actor.org_id)
        _rename(role, _clean_role_name(name), peers=peers, taken=_role_name_taken, changes=changes)
    if description is not None:
        _describe(role, description, max_length=ROLE_DESCRIPTION_MAX, changes=changes)
    if permissions is not None:
        permissions = _clean_permissions(permissions)
        if permissions != role.permissions:
            changes["permissions"] = {"from": role.permissions, "to": permissions}
            role.permissions = permissions
    if changes:
        _save_role(role, update_fields=["name", "description", "permissions", "updated_at"])
        audit_record(
            actor=actor,
            action="role.update",
            target_type="space_role",
            target_id=role.id,
            details={"changes": changes},
        )
    return role


@transaction.atomic
def space_role_delete(*, actor: Principal, role_id: str) -> None:
    """A role in use cannot be deleted (409 saying by how many memberships). The role row
    is locked, and assigning a role locks it too, so the count cannot go stale."""
    role = _role_for_management(actor, role_id)
    in_use = SpaceMembership.objects.filter(custom_role=role).count()
    if in_use:
        raise Conflict(
            f"Role {role.name!r} is used by {in_use} space membership"
            f"{'s' if in_use != 1 else ''}; give those members another role first.",
            code="role_in_use",
            details={"memberships": in_use},
        )
    role.delete()
    audit_record(
        actor=actor,
        action="role.delete",
        target_type="space_role",
        target_id=role_id,
        details={"name": role.name},
    )


# --- space tokens -------------------------------------------------------------------------
def _token_in_space(actor: Principal, space: str, token_id: str) -> tuple[Space, SpaceToken]:
    found = selectors.space_get(actor=actor, space=space)
    authz.require_in_space(actor, found.id, Permission.TOKEN_MANAGE)
    token = (
        SpaceToken.objects.select_for_update(of=("self",))
        .select_related("created_by")
        .filter(id=(token_id or "").strip(), space=found)
        .first()
    )
    if token is None:
        raise NotFound(f"Token {token_id} not found in space {found.name!r}.")
    return found, token


@transaction.atomic
def space_token_create(
    *,
    actor: Principal,
    space: str,
    label: str = "",
    permanent: bool = False,
    role: str = DEFAULT_TOKEN_ROLE,
) -> tuple[SpaceToken, str]:
    """Create a token; returns it with its secret (the only time the secret exists).

    A temporary token expires 24 h after creation; a permanent one never, and a space has
    at most 5 active permanent tokens (the space row is locked while counting, so two
    concurrent requests cannot both take the fifth slot). A token's role is MEMBER (the
    default: read and write data) or READ_ONLY; it never manages the space."""
    found = selectors.space_get(actor=actor, space=space)
    authz.require_in_space(actor, found.id, Permission.TOKEN_MANAGE)
    label = clean_text(label, field="label", max_length=TOKEN_LABEL_MAX, required=False)
    if role not in authz.TOKEN_ROLES:
        raise ValidationFailed(
            f"A space token's role is {' or '.join(authz.TOKEN_ROLES)}, not {role!r}.",
            fields={"role": [f"One of {', '.join(authz.TOKEN_ROLES)}."]},
        )
    found = _lock_space(found)
    if permanent:
        active = SpaceToken.objects.filter(space=found, permanent=True, is_active=True).count()
        if active >= MAX_ACTIVE_PERMANENT_TOKENS:
            raise Conflict(
                f"This space already has {active} active permanent tokens (the limit is "
                f"{MAX_ACTIVE_PERMANENT_TOKENS}); deactivate or delete one first.",
                code="permanent_token_limit",
                fields={"permanent": [f"At most {MAX_ACTIVE_PERMANENT_TOKENS} active."]},
            )
    secret = f"{SPACE_TOKEN_PREFIX}_{crypto.random_secret(40)}"
    token = SpaceToken.objects.create(
        space=found,
        label=label,
        role=role,
        permanent=permanent,
        display_prefix=secret[:12],
        digest=crypto.digest(secret),
        created_by_id=actor.user_id,
        expires_at=None if permanent else timezone.now() + TEMPORARY_TOKEN_TTL,
    )
    audit_record(
        actor=actor,
        action="space.token.create",
        target_type="space_token",
        target_id=token.id,
        details={"space_id": found.id, "label": label, "role": role, "permanent": permanent},
    )
    return token, secret


@transaction.atomic
def space_token_deactivate(*, actor: Principal, space: str, token_id: str) -> SpaceToken:
    found, token = _token_in_space(actor, space, token_id)
    if token.is_active:
        token.is_active = False
        token.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action="space.token.deactivate",
            target_type="space_token",
            target_id=token.id,
            details={"space_id": found.id, "label": token.label},
        )
    return token


@transaction.atomic
def space_token_delete(*, actor: Principal, space: str, token_id: str) -> None:
    found, token = _token_in_space(actor, space, token_id)
    token.delete()
    audit_record(
        actor=actor,
        action="space.token.delete",
        target_type="space_token",
        target_id=token_id,
        details={"space_id": found.id, "label": token.label, "permanent": token.permanent},
    )


@transaction.atomic
def space_tokens_delete(*, actor: Principal, space: str, permanent: bool | None = None) -> int:
    """Delete every token of the space, or only the permanent (``True``) or temporary
    (``False``) ones; returns how many were deleted."""
    found = selectors.space_get(actor=actor, space=space)
    authz.require_in_space(actor, found.id, Permission.TOKEN_MANAGE)
    tokens = SpaceToken.objects.filter(space=found)
    if permanent is not None:
        tokens = tokens.filter(permanent=permanent)
    deleted, _ = tokens.delete()
    audit_record(
        actor=actor,
        action="space.token.delete_many",
        target_type="space",
        target_id=found.id,
        details={
            "which": "all" if permanent is None else ("permanent" if permanent else "temporary"),
            "deleted": deleted,
        },
    )
    return deleted


def space_token_authenticate(*, token: str) -> SpaceToken:
    """Resolve a bearer ``spt_…`` secret to a live token; every failure is a 401 saying why."""
    if not token.startswith(f"{SPACE_TOKEN_PREFIX}_") or len(token) > 200:
        raise AuthenticationFailed("Malformed space token.", code="invalid_api_key")
    token_digest = crypto.digest(token)
    found = SpaceToken.objects.select_related("space").filter(digest=token_digest).first()
    if found is None or not crypto.digests_match(found.digest, token_digest):
        raise AuthenticationFailed("Unknown space token.", code="invalid_api_key")
    now = timezone.now()
    if found.space.deleted_at is not None:
        raise AuthenticationFailed(
            "This space token's space has been deleted.", code="space_token_inactive"
        )
    if not found.is_active:
        raise AuthenticationFailed(
            "This space token has been deactivated.", code="space_token_inactive"
        )
    if found.expires_at is not None and found.expires_at <= now:
        raise AuthenticationFailed("This space token has expired.", code="space_token_expired")
    if found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION:
        SpaceToken.objects.filter(id=found.id).update(last_used_at=now)
        found.last_used_at = now
    return found
