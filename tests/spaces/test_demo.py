"""The demo seed gives the demo org living spaces: members in different space roles, a
custom role and tokens; running it again adds nothing."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from adminapp.accounts.models import Organization
from adminapp.spaces.models import Space, SpaceMembership, SpaceRole, SpaceToken


def _counts() -> tuple[int, int, int, int]:
    return (
        Space.objects.count(),
        SpaceMembership.objects.count(),
        SpaceRole.objects.count(),
        SpaceToken.objects.count(),
    )


def test_the_demo_org_has_spaces_members_a_custom_role_and_tokens(db, var_dir):
    call_command("seed_demo", stdout=StringIO())
    acme = Organization.objects.get(name="Acme Robotics")
    assert set(Space.objects.filter(organization=acme).values_list("name", flat=True)) == {
        "Robot Arms",
        "Warehouse Fleet",
        "Vision Labels",
    }
    roles = {
        (m.space.name, m.org_membership.user.email, m.role or m.custom_role.name)
        for m in SpaceMembership.objects.select_related(
            "space", "org_membership__user", "custom_role"
        )
    }
    assert ("Robot Arms", "alan@example.com", "ADMIN") in roles
    assert ("Vision Labels", "alan@example.com", "Data Curator") in roles
    assert ("Vision Labels", "ada@example.com", "ANNOTATOR") in roles
    assert SpaceToken.objects.filter(permanent=True, space__name="Warehouse Fleet").count() == 1

    before = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == before
