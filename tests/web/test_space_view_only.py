"""A space's page for someone whose role there manages nothing (an ANNOTATOR, a custom role
with data permissions only): it says what they can do instead of ending at the header."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.spaces.factories import join, make_space, predefined

pytestmark = pytest.mark.django_db


def _main(html: str) -> str:
    return " ".join(
        re.sub(r"<[^>]+>", " ", re.search(r"<main.*?</main>", html, re.S).group(0)).split()
    )


def test_an_annotators_space_page_says_what_they_can_do(tenant):
    space = make_space(tenant, "Robot Arms")
    join(tenant, space, tenant.annotator, predefined("ANNOTATOR"))
    client = Client()
    client.force_login(tenant.annotator)

    html = client.get(reverse("web:space_detail", args=[space.id])).content.decode()
    text = _main(html)
    assert "What you can do here" in text
    # Each permission of their role, in the vocabulary's words.
    assert "See the space (implied by every membership)." in text
    assert "Read datasets and data rows." in text
    assert "Add and remove members" not in text
    # Where to go next: a personal API key for scripts, and who manages the rest.
    assert f'href="{reverse("web:api_keys")}"' in re.search(r"<main.*?</main>", html, re.S).group(0)
    assert "managed by its admins" in text


def test_someone_who_manages_the_space_gets_no_such_note(tenant):
    space = make_space(tenant, "Robot Arms")
    client = Client()
    client.force_login(tenant.owner)
    html = client.get(reverse("web:space_detail", args=[space.id])).content.decode()
    assert "What you can do here" not in html
