"""A space's members and their roles (predefined or custom): the upsert, the annotator
rule (also kept when an org role changes: ``account_role_guard``) and the rule that nobody
grants a role above their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from adminapp import authz
from adminapp.accounts.models import AccountRole, OrgMembership
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.core.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from adminapp.core.principal import Principal
from adminapp.spaces import selectors
from adminapp.spaces.models import SpaceMembership, SpaceRole, SpaceRoleName


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
    # Locked: an org role change locks this row too (accounts/guards.py), so the account
    # role checked below cannot change before this membership is written.
    org_membership = (
        OrgMembership.objects.select_for_update(of=("self",))
        .select_related("user")
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


# --- when the account role changes (accounts asks; registered in SpacesConfig.ready) ------
# Leaving ANNOTATOR turns the ANNOTATOR space roles into this one: the smallest predefined
# role that still does everything ANNOTATOR did (it adds seeing the space's members), so the
# person keeps their spaces and gains no right there that nobody chose to give them.
ANNOTATOR_LEAVES_AS = SpaceRoleName.READ_ONLY
LISTED_SPACES_MAX = 100  # in an error's details or an audit event; the count is always whole
NAMED_SPACES_MAX = 5  # in a message


def _space_role_name(membership: SpaceMembership) -> str:
    return membership.custom_role.name if membership.custom_role_id else membership.role


def _named(spaces: list[SpaceMembership]) -> str:
    named = [
        f"{m.space.name} ({m.custom_role.name if m.custom_role_id else m.get_role_display()})"
        for m in spaces[:NAMED_SPACES_MAX]
    ]
    if len(spaces) > NAMED_SPACES_MAX:
        named.append(f"{len(spaces) - NAMED_SPACES_MAX} more")
    return ", ".join(named[:-1]) + (" and " if len(named) > 1 else "") + named[-1]


def account_role_guard(org_membership: OrgMembership, role: str) -> dict[str, Any]:
    """Keep "an ANNOTATOR account holds only the ANNOTATOR space role, and only it does"
    through an org role change (``accounts.guards``; the caller has locked
    ``org_membership``):

    - becoming ANNOTATOR while holding another role in a live space is refused (409
      ``annotator_space_roles``, naming the spaces): taking someone's roles away across
      spaces is a decision per space, so the admin removes them there first;
    - leaving ANNOTATOR turns every ANNOTATOR space role into ``ANNOTATOR_LEAVES_AS`` in
      the same transaction, and says which in the audit event.

    Spaces already deleted (their rows wait for the purge job) grant nothing and are not
    named; their rows are made to fit the rule all the same."""
    held = list(
        SpaceMembership.objects.select_for_update(of=("self",))
        .filter(org_membership=org_membership)
        .select_related("space", "custom_role")
        .order_by("space__name_key", "space_id")
    )
    if role == AccountRole.ANNOTATOR:
        other = [m for m in held if m.role != SpaceRoleName.ANNOTATOR]
        live = [m for m in other if m.space.deleted_at is None]
        if live:
            n = len(live)
            raise Conflict(
                f"{org_membership.user.email} cannot become an ANNOTATOR while they hold "
                f"other roles in {n} space{'s' if n != 1 else ''}: {_named(live)}. "
                f"Remove them from {'that space' if n == 1 else 'those spaces'} first; "
                "they can then be added back as ANNOTATOR.",
                code="annotator_space_roles",
                fields={"role": [f"Holds other roles in {n} space{'s' if n != 1 else ''}."]},
                details={
                    "count": n,
                    "spaces": [
                        {"id": m.space_id, "name": m.space.name, "role": _space_role_name(m)}
                        for m in live[:LISTED_SPACES_MAX]
                    ],
                },
            )
        if other:  # all in deleted spaces
            SpaceMembership.objects.filter(org_membership=org_membership).exclude(
                role=SpaceRoleName.ANNOTATOR
            ).update(role=SpaceRoleName.ANNOTATOR, custom_role=None, updated_at=timezone.now())
        return {}
    annotating = [m for m in held if m.role == SpaceRoleName.ANNOTATOR]
    if not annotating:
        return {}
    SpaceMembership.objects.filter(
        org_membership=org_membership, role=SpaceRoleName.ANNOTATOR
    ).update(role=ANNOTATOR_LEAVES_AS, updated_at=timezone.now())
    live = [m for m in annotating if m.space.deleted_at is None]
    if not live:
        return {}
    return {
        "space_roles": {
            "from": SpaceRoleName.ANNOTATOR.value,
            "to": ANNOTATOR_LEAVES_AS.value,
            "count": len(live),
            "spaces": [{"id": m.space_id, "name": m.space.name} for m in live[:LISTED_SPACES_MAX]],
        }
    }
