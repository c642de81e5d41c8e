"""Demo spaces for ``manage.py seed_demo``: a few spaces, members with different space roles,
a custom role and tokens, made through the real services (so the audit log shows them).

Idempotent: it adds only what is missing, and never changes what a person has since edited
(a renamed space simply gets its demo twin again; a changed role is left alone).
"""

from __future__ import annotations

from django.db import transaction

from adminapp.accounts.models import AccountRole, OrgMembership
from adminapp.core.principal import Principal
from adminapp.core.validation import name_key
from adminapp.spaces import services
from adminapp.spaces.models import Space, SpaceMembership, SpaceRole, SpaceToken
from adminapp.spaces.services import RoleChoice

SPACES = (
    ("Robot Arms", "Grasping experiments on the six-axis arms."),
    ("Warehouse Fleet", "Telemetry and incident clips from the warehouse robots."),
    ("Vision Labels", "Images waiting for bounding boxes."),
)
CURATOR_ROLE = (
    "Data Curator",
    "Looks after the data of a space without managing its people.",
    ["dataset.read", "dataset.write", "global_key.assign", "member.read"],
)
# (space, account role of the org member to pick, space role or "curator")
MEMBERSHIPS = (
    ("Robot Arms", AccountRole.MEMBER, "ADMIN"),
    ("Warehouse Fleet", AccountRole.MEMBER, "READ_ONLY"),
    ("Vision Labels", AccountRole.MEMBER, "curator"),
    ("Robot Arms", AccountRole.ANNOTATOR, "ANNOTATOR"),
    ("Vision Labels", AccountRole.ANNOTATOR, "ANNOTATOR"),
)
# (space, label, permanent, role)
TOKENS = (
    ("Warehouse Fleet", "Fleet telemetry uploader", True, "MEMBER"),
    ("Robot Arms", "Notebook (read only)", False, "READ_ONLY"),
)


@transaction.atomic
def seed_spaces(*, actor: Principal) -> dict[str, Space]:
    """Make sure the demo spaces exist in ``actor``'s org (``actor``: an org OWNER/ADMIN)."""
    live = Space.objects.filter(organization_id=actor.org_id, deleted_at__isnull=True)
    spaces: dict[str, Space] = {}
    for name, description in SPACES:
        spaces[name] = live.filter(name_key=name_key(name)).first() or services.space_create(
            actor=actor, name=name, description=description
        )

    name, description, permissions = CURATOR_ROLE
    curator = SpaceRole.objects.filter(
        organization_id=actor.org_id, name_key=name_key(name)
    ).first() or services.space_role_create(
        actor=actor, name=name, description=description, permissions=permissions
    )

    for space_name, account_role, role in MEMBERSHIPS:
        person = (
            OrgMembership.objects.filter(organization_id=actor.org_id, account_role=account_role)
            .order_by("created_at", "id")
            .first()
        )
        space = spaces[space_name]
        if (
            person is None
            or SpaceMembership.objects.filter(space=space, org_membership=person).exists()
        ):
            continue
        choice = (
            RoleChoice(custom_id=curator.id) if role == "curator" else RoleChoice(predefined=role)
        )
        services.space_member_set(actor=actor, space=space.id, user_id=person.user_id, role=choice)

    for space_name, label, permanent, role in TOKENS:
        space = spaces[space_name]
        if not SpaceToken.objects.filter(space=space, label=label).exists():
            # The secret is shown once and not needed for the demo: it is dropped here.
            services.space_token_create(
                actor=actor, space=space.id, label=label, permanent=permanent, role=role
            )
    return spaces
