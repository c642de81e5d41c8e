"""An organization's members and their account roles: add, change (with the guards of
the domains above, ``accounts/guards.py``), remove; the last owner is kept."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from adminapp import authz
from adminapp.accounts import guards
from adminapp.accounts.models import (
    AccountRole,
    ApiKey,
    OrgMembership,
    User,
)
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.core.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from adminapp.core.principal import Principal, PrincipalKind
from adminapp.core.validation import clean_text


# --- members ----------------------------------------------------------------------------
def _membership(org_id: str, user_id: str, *, lock: bool = False) -> OrgMembership:
    rows = OrgMembership.objects.select_related("user")
    if lock:
        rows = rows.select_for_update(of=("self",))
    try:
        return rows.get(organization_id=org_id, user_id=user_id)
    except OrgMembership.DoesNotExist:
        raise NotFound(f"User {user_id} is not a member of this organization.") from None


def _locked_again(membership: OrgMembership) -> OrgMembership:
    """The membership row locked until the transaction ends, so that whatever checks the
    account role before it writes (a space role being given) waits for this change. Taken
    after the owner rows (``_owners_left_after`` locks them in one order, this one among
    them when it is an owner's); a role that changed since it was read is a 409."""
    locked = _membership(membership.organization_id, membership.user_id, lock=True)
    if locked.account_role != membership.account_role:
        raise Conflict(
            f"{membership.user.email}'s role changed meanwhile (now {locked.account_role}); "
            "reload and try again.",
            code="member_changed",
        )
    return locked


def _check_org(actor: Principal, org_id: str) -> None:
    """An org the caller is not acting in does not exist for them (404, not 403)."""
    if actor.kind != PrincipalKind.SYSTEM and org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")


def _check_role_grant(actor: Principal, role: str) -> None:
    if role not in AccountRole.values:
        raise ValidationFailed(
            f"Unknown role {role!r}.", fields={"role": [f"One of {', '.join(AccountRole.values)}."]}
        )
    if role == AccountRole.OWNER:
        authz.require(actor, Permission.OWNER_MANAGE, "Only owners can grant the OWNER role.")


def _owners_left_after(org_id: str, user_id: str) -> int:
    # Lock every owner row, the leaving one included, in one order: two owners demoting each
    # other at once then queue up (the second sees one owner left and gets a 409) instead of
    # each locking only the other's row and deadlocking on the updates.
    owners = list(
        OrgMembership.objects.select_for_update()
        .filter(organization_id=org_id, account_role=AccountRole.OWNER)
        .order_by("id")
        .values_list("user_id", flat=True)
    )
    return sum(1 for owner in owners if owner != user_id)


@transaction.atomic
def org_member_add(
    *,
    actor: Principal,
    org_id: str,
    email: str,
    role: str,
    name: str = "",
    password: str | None = None,
) -> OrgMembership:
    """Add a user to the org by email, creating the account when it does not exist yet
    (then ``password`` is required). An existing member gets a 409."""
    _check_org(actor, org_id)
    authz.require(actor, Permission.MEMBER_MANAGE)
    _check_role_grant(actor, role)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(
            "Enter a valid email address.", fields={"email": ["Invalid email."]}
        ) from None
    name = clean_text(name, field="name", max_length=150, required=False)
    user = User.objects.filter(email=email).first()
    created = user is None
    if created:
        if not password:
            raise ValidationFailed(
                "This email has no account yet: give an initial password for it.",
                fields={"password": ["Required for a new account."]},
            )
        user = User(email=email, name=name)
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                "The password is too weak.", fields={"password": list(exc.messages)}
            ) from None
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # The account was created meanwhile by another request: add that one.
            user, created = User.objects.get(email=email), False
    already = Conflict(
        f"{email} is already a member of this organization.",
        fields={"email": ["Already a member."]},
    )
    if OrgMembership.objects.filter(organization_id=org_id, user=user).exists():
        raise already
    try:
        with transaction.atomic():  # the unique constraint decides a concurrent add
            membership = OrgMembership.objects.create(
                organization_id=org_id, user=user, account_role=role
            )
    except IntegrityError:
        raise already from None
    audit_record(
        actor=actor,
        action="member.add",
        target_type="user",
        target_id=user.id,
        details={"email": email, "role": role, "account_created": created},
    )
    return membership


@transaction.atomic
def org_member_update_role(
    *, actor: Principal, org_id: str, user_id: str, role: str
) -> OrgMembership:
    _check_org(actor, org_id)
    authz.require(actor, Permission.MEMBER_MANAGE)
    _check_role_grant(actor, role)
    membership = _membership(org_id, user_id)
    if membership.account_role == AccountRole.OWNER and role != AccountRole.OWNER:
        authz.require(actor, Permission.OWNER_MANAGE, "Only owners can change an owner's role.")
        if _owners_left_after(org_id, user_id) == 0:
            raise Conflict(
                "An organization needs at least one owner.", fields={"role": ["Last owner."]}
            )
    previous = membership.account_role
    if previous != role:
        membership = _locked_again(membership)
        # The domains above (spaces) refuse the change or bring the member's roles there
        # in line with it, in this transaction (accounts/guards.py).
        changed_elsewhere = guards.check_account_role_change(membership, role)
        membership.account_role = role
        membership.save(update_fields=["account_role", "updated_at"])
        audit_record(
            actor=actor,
            action="member.update_role",
            target_type="user",
            target_id=user_id,
            details={"from": previous, "to": role, **changed_elsewhere},
        )
    return membership


@transaction.atomic
def org_member_remove(*, actor: Principal, org_id: str, user_id: str) -> None:
    _check_org(actor, org_id)
    authz.require(actor, Permission.MEMBER_MANAGE)
    membership = _membership(org_id, user_id)
    if membership.account_role == AccountRole.OWNER:
        authz.require(actor, Permission.OWNER_MANAGE, "Only owners can remove an owner.")
        if _owners_left_after(org_id, user_id) == 0:
            raise Conflict("An organization needs at least one owner.")
    # Locked before its space memberships go with it (the order a role change locks them in).
    membership = _locked_again(membership)
    # The user's personal keys for this org stop working with the membership.
    ApiKey.objects.filter(organization_id=org_id, user_id=user_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    membership.delete()
    audit_record(
        actor=actor,
        action="member.remove",
        target_type="user",
        target_id=user_id,
        details={"email": membership.user.email},
    )
