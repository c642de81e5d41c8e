"""The organization's custom space roles: named sets of permissions from the vocabulary."""

from __future__ import annotations

from django.db import transaction

from adminapp import authz
from adminapp.audit.services import audit_record
from adminapp.authz import Permission, Scope
from adminapp.core.errors import (
    BadRequest,
    Conflict,
    NotFound,
    ValidationFailed,
)
from adminapp.core.principal import Principal
from adminapp.core.validation import clean_text, name_key
from adminapp.spaces.models import SpaceMembership, SpaceRole, SpaceRoleName
from adminapp.spaces.services.naming import (
    clean_name,
    describe,
    name_in_use,
    rename,
    save_named,
)

ROLE_NAME_MAX = 100
ROLE_DESCRIPTION_MAX = 500


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
    name = clean_name(value, max_length=ROLE_NAME_MAX)
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
    if name_in_use(roles, name):
        raise _role_name_taken(name)
    role = save_named(
        SpaceRole(
            organization_id=actor.org_id,
            name=name,
            name_key=name_key(name),
            description=description,
            permissions=permissions,
        ),
        taken=_role_name_taken,
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
        rename(role, _clean_role_name(name), peers=peers, taken=_role_name_taken, changes=changes)
    if description is not None:
        describe(role, description, max_length=ROLE_DESCRIPTION_MAX, changes=changes)
    if permissions is not None:
        permissions = _clean_permissions(permissions)
        if permissions != role.permissions:
            changes["permissions"] = {"from": role.permissions, "to": permissions}
            role.permissions = permissions
    if changes:
        save_named(
            role,
            taken=_role_name_taken,
            update_fields=["name", "name_key", "description", "permissions", "updated_at"],
        )
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
