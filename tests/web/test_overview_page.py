"""The overview and the people in it: avatars with a person's initials, the activity feed."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from adminapp.accounts.models import User
from adminapp.web.templatetags.web import initials
from tests.factories import make_org, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ({"name": "Demo Admin", "email": "admin@example.com"}, "DA"),
        ({"name": "Ada Lovelace", "email": "ada@example.com"}, "AL"),
        ({"name": "Grace Brewster Murray Hopper", "email": "g@x.io"}, "GH"),
        ({"name": "  ", "email": "jean-luc.picard@example.com"}, "JP"),
        ({"name": "", "email": "ada_lovelace@example.com"}, "AL"),
        ({"name": "", "email": "ada@example.com"}, "A"),
        ("ada.lovelace@example.com", "AL"),
        ("key:CI pipeline", "CP"),
        ("system", "S"),
        ("", "?"),
    ],
)
def test_an_avatar_shows_the_persons_initials(person, expected):
    if isinstance(person, dict):
        person = type("Person", (), person)()
    assert initials(person) == expected


def _avatars(html: str) -> list[str]:
    return re.findall(r'class="avatar[^"]*"[^>]*>([^<]*)<', html)


def test_two_people_whose_emails_start_alike_get_different_avatars(db):
    from adminapp.accounts.services import org_member_add
    from tests.factories import principal_for

    admin = make_user(email="admin@example.com", name="Demo Admin")
    org = make_org(owner=admin)
    ada = make_user(email="ada@example.com", name="Ada Lovelace")
    org_member_add(
        actor=principal_for(admin, org), org_id=org.id, email=ada.email, role="ANNOTATOR"
    )
    client = Client()
    client.force_login(admin)

    members = client.get(reverse("web:members")).content.decode()
    # The account menu first, then one per member row.
    assert _avatars(members)[0] == "DA"
    assert {"DA", "AL"} <= set(_avatars(members)[1:])
    overview = client.get(reverse("web:overview")).content.decode()
    # The activity feed knows the actor's name too: "Demo Admin" added Ada.
    assert "DA" in _avatars(overview)[1:]
    assert "AD" not in _avatars(overview)


def test_recent_activity_without_a_target_has_no_dangling_separator(db):
    from adminapp.audit.services import audit_record_custom
    from tests.factories import principal_for

    admin = make_user(email="owner@example.com", name="Olive Owner")
    org = make_org(owner=admin)
    audit_record_custom(
        actor=principal_for(admin, org), event_type="deploy.finished", params={"v": 1}
    )
    client = Client()
    client.force_login(User.objects.get(id=admin.id))
    html = client.get(reverse("web:overview")).content.decode()
    feed = html.split('<ul class="feed">', 1)[1].split("</ul>", 1)[0]
    item = next(li for li in feed.split("<li") if "custom.deploy.finished" in li)
    # What the line says, tags removed: no "·" in front of the time when there is no target.
    text = " ".join(re.sub(r"<[^>]+>", " ", item).split())
    assert "· just now" not in text and text.endswith("just now")
    # An event with a target still names it before the time.
    created = next(li for li in feed.split("<li") if "organization.create" in li)
    assert re.search(r"organization\s+<span[^>]*>org_\w+</span>\s+·", created)
