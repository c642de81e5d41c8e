"""Organizations: creating one with its first owner (an account, or an invitation),
renaming it; and the instance admins' hold on accounts (deactivate, reactivate)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from adminapp import authz
from adminapp.accounts.models import (
    AccountRole,
    Invitation,
    Organization,
    OrgMembership,
    User,
)
from adminapp.accounts.services.invitations import LinkFor, invitation_create
from adminapp.accounts.services.members import user_set_active
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from adminapp.core.principal import Principal, PrincipalKind
from adminapp.core.validation import clean_text, name_key


# --- organizations ---------------------------------------------------------------------
def _taken(name: str) -> Conflict:
    return Conflict(
        f"An organization named {name!r} already exists.",
        code="organization_name_taken",
        fields={"name": ["Taken."]},
    )


def _organization_insert(*, actor: Principal, name: str, slug: str = "") -> Organization:
    name = clean_text(name, field="name", max_length=255)
    slug = slugify(slug or name)[:64]
    if not slug:
        raise ValidationFailed(
            "The name needs at least one letter or digit.", fields={"name": ["Invalid."]}
        )
    if (
        Organization.objects.filter(name_key=name_key(name)).exists()
        or Organization.objects.filter(slug=slug).exists()
    ):
        raise _taken(name)
    try:
        with transaction.atomic():  # the unique constraints decide a concurrent create
            return Organization.objects.create(name=name, name_key=name_key(name), slug=slug)
    except IntegrityError:
        raise _taken(name) from None


@transaction.atomic
def organization_create(
    *, actor: Principal, name: str, owner: User, slug: str = ""
) -> Organization:
    """Instance admins (or the system, e.g. the demo seed) create organizations."""
    authz.require(
        actor, Permission.ORGANIZATION_CREATE, "Only instance admins can create organizations."
    )
    org = _organization_insert(actor=actor, name=name, slug=slug)
    OrgMembership.objects.create(organization=org, user=owner, account_role=AccountRole.OWNER)
    audit_record(
        actor=actor,
        org_id=org.id,
        action="organization.create",
        target_type="organization",
        target_id=org.id,
        details={"name": org.name, "owner": owner.email},
    )
    return org


@dataclass(frozen=True)
class OrganizationCreated:
    organization: Organization
    owner: User | None  # added at once: the email had an account
    invitation: Invitation | None  # or invited: it had none


@transaction.atomic
def organization_create_with_owner(
    *, actor: Principal, name: str, owner_email: str, link_for: LinkFor
) -> OrganizationCreated:
    """An instance admin creates an organization and names its first owner by email: an
    existing (active) account becomes its OWNER at once; an email without one is invited
    as OWNER through the invitations service (the org has no member until they accept)."""
    authz.require(
        actor, Permission.ORGANIZATION_CREATE, "Only instance admins can create organizations."
    )
    email = (owner_email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(
            "Enter a valid email address.",
            fields={"owner_email": ["Enter a valid email address."]},
        ) from None
    owner = User.objects.filter(email=email).first()
    if owner is not None and not owner.is_active:
        raise Conflict(
            f"{email}'s account is deactivated; reactivate it first or name someone else.",
            code="user_deactivated",
            fields={"owner_email": ["Deactivated."]},
        )
    if owner is not None:
        org = organization_create(actor=actor, name=name, owner=owner)
        return OrganizationCreated(organization=org, owner=owner, invitation=None)
    org = _organization_insert(actor=actor, name=name)
    audit_record(
        actor=actor,
        org_id=org.id,
        action="organization.create",
        target_type="organization",
        target_id=org.id,
        details={"name": org.name, "owner": email, "owner_invited": True},
    )
    # The invitation is sent by the instance admin as the organization's founder: acting in
    # it, for this one call, with the OWNER role it has nobody yet to hold.
    founder = replace(actor, org_id=org.id, role=AccountRole.OWNER)
    invitation, _token = invitation_create(
        actor=founder, org_id=org.id, email=email, role=AccountRole.OWNER, link_for=link_for
    )
    return OrganizationCreated(organization=org, owner=None, invitation=invitation)


@transaction.atomic
def organization_rename(*, actor: Principal, org_id: str, name: str) -> Organization:
    """Owners rename their organization (its slug and id stay)."""
    if actor.kind != PrincipalKind.SYSTEM and org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")
    authz.require(actor, Permission.OWNER_MANAGE, "Only owners can rename the organization.")
    try:
        org = Organization.objects.select_for_update().get(id=org_id)
    except Organization.DoesNotExist:
        raise NotFound(f"Organization {org_id} not found.") from None
    name = clean_text(name, field="name", max_length=255)
    previous = org.name
    if name == previous:
        return org
    key = name_key(name)
    if Organization.objects.filter(name_key=key).exclude(id=org_id).exists():
        raise _taken(name)
    org.name, org.name_key = name, key
    try:
        with transaction.atomic():
            org.save(update_fields=["name", "name_key", "updated_at"])
    except IntegrityError:
        raise _taken(name) from None
    audit_record(
        actor=actor,
        action="organization.rename",
        target_type="organization",
        target_id=org.id,
        details={"from": previous, "to": name},
    )
    return org


# --- the instance's users ---------------------------------------------------------------------
@transaction.atomic
def instance_user_set_active(*, actor: Principal, user_id: str, active: bool) -> User:
    """Instance admins deactivate or reactivate any account (not their own; never the last
    active owner of an organization), audited in each organization the user belongs to."""
    if not actor.is_superuser:
        raise PermissionDenied("Only instance admins can deactivate or reactivate accounts.")
    try:
        user = User.objects.select_for_update().get(id=(user_id or "").strip())
    except User.DoesNotExist:
        raise NotFound(f"User {user_id} not found.") from None
    org_ids = list(
        OrgMembership.objects.filter(user_id=user.id)
        .order_by("organization_id")
        .values_list("organization_id", flat=True)
    )
    # In the acting admin's own organization's log too, when the user is in none of theirs.
    audit_in = org_ids or [actor.org_id]
    user_set_active(actor=actor, user=user, active=active, audit_org_ids=audit_in)
    return user
