"""An organization's members and their account roles: add, change (with the guards of
the domains above, ``accounts/guards.py``), remove; the last owner is kept."""

from __future__ import annotations

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
from adminapp.accounts.services.passwords import password_validate
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
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
    """How many *active* owners the org keeps once ``user_id`` stops being one (a
    deactivated owner cannot sign in, so they do not count)."""
    # Lock every owner row, the leaving one included, in one order: two owners demoting each
    # other at once then queue up (the second sees one owner left and gets a 409) instead of
    # each locking only the other's row and deadlocking on the updates.
    list(
        OrgMembership.objects.select_for_update()
        .filter(organization_id=org_id, account_role=AccountRole.OWNER)
        .order_by("id")
        .values_list("id", flat=True)
    )
    # Counted by a statement of its own, after the locks: it sees what the request that held
    # them committed (a deactivation among them).
    return (
        OrgMembership.objects.filter(
            organization_id=org_id, account_role=AccountRole.OWNER, user__is_active=True
        )
        .exclude(user_id=user_id)
        .count()
    )


LAST_OWNER = "last_owner"


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
        password_validate(password, user)
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
                "An organization needs at least one owner.",
                code=LAST_OWNER,
                fields={"role": ["Last owner."]},
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
            raise Conflict("An organization needs at least one owner.", code=LAST_OWNER)
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


# --- deactivation -----------------------------------------------------------------------------
def _lock_user(user_id: str) -> User:
    try:
        return User.objects.select_for_update().get(id=user_id)
    except User.DoesNotExist:
        raise NotFound(f"User {user_id} not found.") from None


def _check_not_last_owner(user: User) -> None:
    """A deactivated owner cannot sign in: refuse when the user is the last active owner of
    any of their organizations (409 ``last_owner``). Locks those organizations' owner rows
    first, so two owners deactivating each other at once cannot both succeed."""
    owned = list(
        OrgMembership.objects.filter(user_id=user.id, account_role=AccountRole.OWNER)
        .order_by("organization_id")
        .values_list("organization_id", "organization__name")
    )
    alone = [name for org_id, name in owned if _owners_left_after(org_id, user.id) == 0]
    if alone:
        raise Conflict(
            f"{user.email} is the last owner of {', '.join(sorted(alone))}: make someone else "
            "an owner (or transfer ownership) first.",
            code=LAST_OWNER,
            details={"organizations": sorted(alone)},
        )


def user_set_active(
    *, actor: Principal, user: User, active: bool, audit_org_ids: list[str | None]
) -> bool:
    """Deactivate or reactivate ``user`` (the caller has checked who may), in the caller's
    transaction, with an audit event in each of ``audit_org_ids``. Deactivating keeps
    everything they did and own; it stops their sign-in, every session they have (each
    request checks ``is_active``), every personal API key (``api_key_authenticate``) and
    the jobs they started (``principals.resolve_owner``) at once. Returns whether it
    changed anything (a repeat is a no-op)."""
    if actor.user_id == user.id and not active:
        raise Conflict("You cannot deactivate yourself.", code="deactivate_self")
    if user.is_active == active:
        return False
    if not active:
        _check_not_last_owner(user)
    user.is_active = active
    user.save(update_fields=["is_active", "updated_at"])
    for org_id in audit_org_ids:
        audit_record(
            actor=actor,
            org_id=org_id,
            action="user.reactivate" if active else "user.deactivate",
            target_type="user",
            target_id=user.id,
            details={"email": user.email},
        )
    return True


@transaction.atomic
def org_member_set_active(
    *, actor: Principal, org_id: str, user_id: str, active: bool
) -> OrgMembership:
    """An org's owners and admins deactivate (or reactivate) one of its members. The
    account is the person's, not the org's: so only someone who belongs to this
    organization alone (an instance admin deactivates anyone else); only owners touch an
    owner, and nobody an instance admin but another instance admin."""
    _check_org(actor, org_id)
    authz.require(actor, Permission.MEMBER_MANAGE)
    membership = _membership(org_id, user_id)
    if membership.account_role == AccountRole.OWNER:
        authz.require(
            actor, Permission.OWNER_MANAGE, "Only owners can deactivate or reactivate an owner."
        )
    user = _lock_user(user_id)
    if user.is_superuser and not actor.is_superuser:
        raise PermissionDenied(
            "Only instance admins can deactivate or reactivate an instance admin.",
            code="instance_admin_protected",
        )
    elsewhere = OrgMembership.objects.filter(user_id=user_id).exclude(organization_id=org_id)
    if elsewhere.exists():
        raise Conflict(
            f"{user.email} also belongs to other organizations; remove them from this one "
            "instead, or ask an instance admin to deactivate the account.",
            code="member_of_other_organizations",
        )
    user_set_active(actor=actor, user=user, active=active, audit_org_ids=[org_id])
    membership.user = user
    return membership


# --- ownership ------------------------------------------------------------------------------
@transaction.atomic
def organization_transfer_ownership(
    *, actor: Principal, org_id: str, user_id: str
) -> OrgMembership:
    """An owner hands OWNER to another (active) member and becomes ADMIN, in one
    transaction: the organization never has no owner, nor one more than meant."""
    _check_org(actor, org_id)
    authz.require(actor, Permission.OWNER_MANAGE, "Only owners can transfer ownership.")
    if not actor.user_id or actor.role != AccountRole.OWNER:
        raise PermissionDenied(
            "Only an owner (a person, not a key) can transfer their ownership.",
            code="not_an_owner",
        )
    user_id = (user_id or "").strip()
    if user_id == actor.user_id:
        raise ValidationFailed(
            "Choose another member: you already own the organization.",
            code="transfer_to_self",
            fields={"user_id": ["Choose another member."]},
        )
    target = _membership(org_id, user_id)
    if target.account_role == AccountRole.OWNER:
        raise Conflict(
            f"{target.user.email} is already an owner.",
            code="already_owner",
            fields={"user_id": ["Already an owner."]},
        )
    if not target.user.is_active:
        raise Conflict(
            f"{target.user.email} is deactivated; reactivate them first.",
            code="member_deactivated",
            fields={"user_id": ["Deactivated."]},
        )
    # The owner rows first (the order every owner change takes them in), then the two rows.
    _owners_left_after(org_id, actor.user_id)
    own = _membership(org_id, actor.user_id, lock=True)
    if own.account_role != AccountRole.OWNER:
        raise Conflict(
            "You are no longer an owner of this organization; reload and try again.",
            code="member_changed",
        )
    target = _locked_again(target)
    previous = target.account_role
    promoted = guards.check_account_role_change(target, AccountRole.OWNER)
    target.account_role = AccountRole.OWNER
    target.save(update_fields=["account_role", "updated_at"])
    demoted = guards.check_account_role_change(own, AccountRole.ADMIN)
    own.account_role = AccountRole.ADMIN
    own.save(update_fields=["account_role", "updated_at"])
    audit_record(
        actor=actor,
        action="organization.transfer_ownership",
        target_type="user",
        target_id=target.user_id,
        details={
            "to": target.user.email,
            "from": own.user.email,
            "previous_role": previous,
            **{f"new_owner_{k}": v for k, v in promoted.items()},
            **{f"former_owner_{k}": v for k, v in demoted.items()},
        },
    )
    return target
