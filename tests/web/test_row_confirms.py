"""A table row's confirmation (``hx-confirm``) says the same thing whether the row came with
the page or was rendered again on its own: after a role change (saved or refused), a
deactivation, a refused delete, a "Load more" or a search (Hardening II #22)."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.test import Client
from django.urls import reverse

from adminapp.spaces import services as space_services
from tests.factories import add_member, make_key
from tests.spaces.factories import custom, join, make_space, make_token, predefined

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def hx(target: str) -> dict[str, str]:
    return {**HTMX, "HTTP_HX_TARGET": target}


def confirms(response) -> dict[str, list[str]]:
    """Each table row's id → the confirmations its buttons ask."""
    page = response.content.decode()
    return {
        row_id: [html_lib.unescape(text) for text in re.findall(r'hx-confirm="([^"]*)"', row)]
        for row_id, row in re.findall(r'<tr id="([^"]+)"(.*?)</tr>', page, re.S)
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_org_member_row_names_the_organization_however_it_is_rendered(tenant):
    owner, admin = client_for(tenant.owner), client_for(tenant.admin)
    row = f"member-{tenant.member.id}"
    expected = [
        f"Remove {tenant.member.email} from {tenant.org.name}? "
        "Their personal API keys for it are revoked."
    ]
    assert confirms(owner.get(reverse("web:members")))[row] == expected

    role_url = reverse("web:member_role", args=[tenant.member.id])
    saved = owner.post(role_url, {"role": "ADMIN"}, **hx(row))
    assert saved.status_code == 200 and confirms(saved) == {row: expected}
    refused = admin.post(role_url, {"role": "OWNER"}, **hx(row))  # only owners grant OWNER
    assert refused.status_code == 403 and confirms(refused) == {row: expected}

    found = owner.get(reverse("web:members"), {"q": tenant.member.email}, **hx("member-results"))
    assert confirms(found) == {row: expected}

    # The next page's rows, as "Load more" brings them.
    for _ in range(50):
        add_member(tenant.org)
    first = owner.get(reverse("web:members"))
    cursor = re.search(r'id="members-more".*?cursor=([^"&]+)', first.content.decode(), re.S)
    more = owner.get(reverse("web:members"), {"cursor": cursor.group(1)}, **hx("members-more"))
    assert more.status_code == 200
    more_rows = confirms(more)
    assert more_rows
    for row_id, asked in more_rows.items():
        email = re.search(r"Remove (\S+) from", asked[0]).group(1)
        assert asked == [
            f"Remove {email} from {tenant.org.name}? Their personal API keys for it are revoked."
        ], row_id


def test_a_space_member_row_names_the_space_however_it_is_rendered(tenant):
    owner = client_for(tenant.owner)
    space = make_space(tenant, "Rows & Confirms")
    join(tenant, space, tenant.member, predefined("MEMBER"))
    join(tenant, space, tenant.annotator, predefined("ANNOTATOR"))
    page = confirms(owner.get(reverse("web:space_detail", args=[space.id])))
    for user, role, status in ((tenant.member, "READ_ONLY", 200), (tenant.annotator, "ADMIN", 400)):
        row = f"member-{user.id}"
        assert page[row] == [
            f"Remove {user.email} from {space.name}? They stay in the organization."
        ]
        answer = owner.post(
            reverse("web:space_member_role", args=[space.id, user.id]), {"role": role}, **hx(row)
        )
        assert answer.status_code == status and confirms(answer) == {row: page[row]}


def test_token_role_and_key_rows_keep_their_confirmations(tenant, settings):
    owner = client_for(tenant.owner)
    space = make_space(tenant, "Tokens")
    token, _ = make_token(tenant, space, label="bot", permanent=True)
    row = f"token-{token.id}"
    page = confirms(owner.get(reverse("web:space_detail", args=[space.id])))
    deactivated = owner.post(
        reverse("web:space_token_deactivate", args=[space.id, token.id]), **hx(row)
    )
    # Deactivated, it can only be deleted: the same words for that.
    assert page[row][1] == f"Delete {token.display_prefix}…? This cannot be undone."
    assert confirms(deactivated) == {row: [page[row][1]]}

    role = space_services.space_role_create(
        actor=tenant.principal(), name="Curator", permissions=[]
    )
    join(tenant, space, tenant.member, custom(role))
    row = f"role-{role.id}"
    page = confirms(owner.get(reverse("web:roles")))
    assert page[row] == ["Delete the role “Curator”?"]
    refused = owner.post(reverse("web:role_delete", args=[role.id]), **hx(row))  # in use
    assert refused.status_code == 409 and confirms(refused) == {row: page[row]}

    # API keys: the rows "Load more" brings name their key like the first page's.
    settings.RATE_LIMIT_KEY_CREATE = "100/60"
    for _ in range(51):
        make_key(tenant.owner, tenant.org)
    first = owner.get(reverse("web:api_keys"))
    cursor = re.search(r'id="keys-more".*?cursor=([^"&]+)', first.content.decode(), re.S)
    more = owner.get(reverse("web:api_keys"), {"cursor": cursor.group(1)}, **hx("keys-more"))
    assert confirms(more)
    for asked in [*confirms(first).values(), *confirms(more).values()]:
        assert re.fullmatch(
            r"Revoke “test key”\? Anything using \S+… stops working at once\.", asked[0]
        )


def test_without_javascript_the_remove_confirmation_names_the_organization_too(tenant):
    owner = client_for(tenant.owner)
    url = reverse("web:member_remove", args=[tenant.member.id])
    page = owner.get(url, {"email": tenant.member.email}).content.decode()
    title = re.search(r'<h1 class="confirm__title">(.*?)</h1>', page, re.S).group(1)
    assert (
        html_lib.unescape(title).strip() == f"Remove {tenant.member.email} from {tenant.org.name}?"
    )
