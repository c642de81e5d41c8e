"""Creating an organization with its first owner."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from adminapp import authz
from adminapp.accounts.models import (
    AccountRole,
    Organization,
    OrgMembership,
    User,
)
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.core.errors import (
    Conflict,
    ValidationFailed,
)
from adminapp.core.principal import Principal
from adminapp.core.validation import clean_text, name_key


# --- organizations ---------------------------------------------------------------------
@transaction.atomic
def organization_create(
    *, actor: Principal, name: str, owner: User, slug: str = ""
) -> Organization:
    """Instance admins (or the system, e.g. the demo seed) create organizations."""
    authz.require(
        actor, Permission.ORGANIZATION_CREATE, "Only instance admins can create organizations."
    )
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
        raise Conflict(
            f"An organization named {name!r} already exists.", fields={"name": ["Taken."]}
        )
    org = Organization.objects.create(name=name, name_key=name_key(name), slug=slug)
    OrgMembership.objects.create(organization=org, user=owner, account_role=AccountRole.OWNER)
    audit_record(
        actor=actor,
        org_id=org.id,
        action="organization.create",
        target_type="organization",
        target_id=org.id,
        details={"name": name, "owner": owner.email},
    )
    return org
