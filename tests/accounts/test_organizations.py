"""Organizations a caller can see, and switching the browser session between them."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.helpers import API, api_error
from tests.factories import add_member, make_org

ORGS = f"{API}/organizations"


@pytest.fixture
def two_orgs(tenant, other_tenant):
    """tenant.admin also belongs to other_tenant's org (as MEMBER); a third org is foreign."""
    add_member(other_tenant.org, role="MEMBER", user=tenant.admin)
    foreign = make_org(name="Zeta Foreign")
    return tenant, other_tenant, foreign


def _session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_session_user_lists_exactly_their_orgs_with_their_role(two_orgs):
    tenant, other, foreign = two_orgs
    response = _session(tenant.admin).get(ORGS)
    assert response.status_code == 200
    listed = {o["id"]: o["role"] for o in response.json()["items"]}
    assert listed == {tenant.org.id: "ADMIN", other.org.id: "MEMBER"}
    assert foreign.id not in listed
    assert response.json()["pagination"] == {"has_more": False, "next_cursor": None}


def test_api_key_lists_only_the_org_it_belongs_to(client, two_orgs):
    tenant, other, _ = two_orgs
    items = client.get(ORGS, **tenant.auth("ADMIN")).json()["items"]
    assert [(o["id"], o["role"]) for o in items] == [(tenant.org.id, "ADMIN")]


def test_own_org_is_shown_with_the_callers_role(client, tenant):
    response = client.get(f"{ORGS}/{tenant.org.id}", **tenant.auth("MEMBER"))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["slug"], body["role"]) == (
        tenant.org.id,
        tenant.org.name,
        tenant.org.slug,
        "MEMBER",
    )


@pytest.mark.parametrize("who", ["key", "session"])
def test_an_org_the_caller_does_not_belong_to_is_404(client, two_orgs, who):
    tenant, other, foreign = two_orgs
    caller = client if who == "key" else _session(tenant.admin)
    auth = tenant.auth("ADMIN") if who == "key" else {}
    api_error(caller.get(f"{ORGS}/{foreign.id}", **auth), 404, "not_found")
    api_error(caller.get(f"{ORGS}/org_doesnotexist", **auth), 404, "not_found")


def test_api_key_cannot_see_its_users_other_org(client, two_orgs):
    tenant, other, _ = two_orgs
    api_error(client.get(f"{ORGS}/{other.org.id}", **tenant.auth("ADMIN")), 404, "not_found")


def test_switching_org_moves_the_session_and_everything_after_it(two_orgs):
    tenant, other, _ = two_orgs
    browser = _session(tenant.admin)
    assert browser.get(f"{API}/me").json()["organization"]["id"] in {tenant.org.id, other.org.id}

    for org, role in ((other.org, "MEMBER"), (tenant.org, "ADMIN"), (other.org, "MEMBER")):
        response = browser.post(
            f"{API}/me/organization", {"organization_id": org.id}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["organization"]["id"] == org.id
        assert response.json()["role"] == role
        me = browser.get(f"{API}/me").json()
        assert (me["organization"]["id"], me["role"]) == (org.id, role)

    # Acting in the other org as a MEMBER now: the audit log (admins only) is refused, and
    # the first org's member list is out of reach.
    api_error(browser.get(f"{API}/audit"), 403, "permission_denied")
    api_error(browser.get(f"{ORGS}/{tenant.org.id}/members"), 404, "not_found")


def test_switching_to_an_org_you_do_not_belong_to_is_404_and_changes_nothing(two_orgs):
    tenant, other, foreign = two_orgs
    browser = _session(tenant.admin)
    browser.post(
        f"{API}/me/organization",
        {"organization_id": tenant.org.id},
        content_type="application/json",
    )
    response = browser.post(
        f"{API}/me/organization", {"organization_id": foreign.id}, content_type="application/json"
    )
    api_error(response, 404, "not_found")
    assert browser.get(f"{API}/me").json()["organization"]["id"] == tenant.org.id


def test_api_key_cannot_switch_org(client, two_orgs):
    tenant, other, _ = two_orgs
    response = client.post(
        f"{API}/me/organization",
        {"organization_id": other.org.id},
        content_type="application/json",
        **tenant.auth("ADMIN"),
    )
    error = api_error(response, 400, "bad_request")
    assert "API key" in error["message"]
    assert (
        client.get(f"{API}/me", **tenant.auth("ADMIN")).json()["organization"]["id"]
        == tenant.org.id
    )


def test_switch_body_is_validated(two_orgs):
    tenant, _, _ = two_orgs
    browser = _session(tenant.admin)
    error = api_error(
        browser.post(f"{API}/me/organization", {"org": "x"}, content_type="application/json"),
        422,
        "validation_error",
    )
    assert set(error["fields"]) == {"org", "organization_id"}


def test_session_falls_back_when_removed_from_the_chosen_org(client, two_orgs):
    tenant, other, _ = two_orgs
    browser = _session(tenant.admin)
    browser.post(
        f"{API}/me/organization", {"organization_id": other.org.id}, content_type="application/json"
    )
    client.delete(f"{ORGS}/{other.org.id}/members/{tenant.admin.id}", **other.auth("OWNER"))
    me = browser.get(f"{API}/me").json()
    assert (me["organization"]["id"], me["role"]) == (tenant.org.id, "ADMIN")


def test_an_organization_name_that_only_looks_different_is_taken(db):
    from adminapp.accounts.services import organization_create
    from adminapp.core.errors import Conflict
    from adminapp.core.principal import SYSTEM
    from tests.factories import make_user

    owner = make_user()
    organization_create(actor=SYSTEM, name="Ärzte Nord", owner=owner)
    for twin in ("ärzte nord", "ＡＲＺＴＥ NORD".replace("Ａ", "Ä", 1)):
        with pytest.raises(Conflict):
            organization_create(actor=SYSTEM, name=twin, owner=owner, slug=f"x{len(twin)}")
