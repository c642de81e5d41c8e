"""Members' administration in Chromium: an owner sorts the members table, opens a member's
page, transfers ownership to them after the confirmation (and is an admin after it), then
deactivates another member, whose open session in a second browser ends at once; an
instance admin searches every organization and every account as they type."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from adminapp.accounts.models import OrgMembership, User
from tests.browser.helpers import sign_in, wait_htmx_idle
from tests.factories import PASSWORD, add_member, make_org, make_tenant, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_transfer_ownership_and_deactivate_from_a_members_page(page, browser, live_server):
    tenant = make_tenant()
    User.objects.filter(id=tenant.member.id).update(name="Mia Member")
    User.objects.filter(id=tenant.annotator.id).update(name="Ann Annotator")
    # The annotator is signed in elsewhere.
    other = browser.new_context(base_url=live_server.url)
    their_page = other.new_page()
    sign_in(their_page, tenant.annotator.email, PASSWORD)

    sign_in(page, tenant.owner.email, PASSWORD)
    page.goto("/members/")
    page.get_by_role("link", name="Member", exact=True).click()  # sort by name
    wait_htmx_idle(page)
    first_row = page.locator("#member-results tbody tr").first
    expect(first_row).to_contain_text("Ann Annotator")

    page.get_by_role("link", name="Mia Member").click()
    expect(page.get_by_role("heading", name="Mia Member")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name="Transfer ownership").click()
    expect(page.get_by_text("now owns")).to_be_visible()
    roles = dict(
        OrgMembership.objects.filter(organization=tenant.org).values_list("user_id", "account_role")
    )
    assert roles[tenant.member.id] == "OWNER" and roles[tenant.owner.id] == "ADMIN"

    # Now an admin: deactivate the annotator; their open session ends.
    page.goto(f"/members/{tenant.annotator.id}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name="Deactivate").click()
    expect(page.get_by_text("Deactivated", exact=False).first).to_be_visible()
    expect(page.get_by_role("link", name="Reactivate")).to_be_visible()
    their_page.goto("/")
    expect(their_page.get_by_role("button", name="Sign in")).to_be_visible()
    other.close()


def test_an_instance_admin_searches_organizations_and_users_as_they_type(page):
    tenant = make_tenant()
    root = add_member(tenant.org, user=make_user(email="root@example.com", superuser=True))
    for n in range(55):
        make_org(name=f"Fleet {n:02d}")
    make_user(email="grace.hopper@example.com", name="Grace Hopper")
    sign_in(page, root.email, PASSWORD)

    page.goto("/instance/organizations/")
    rows = page.locator("#orgs-table tbody tr[id^=org-]")
    expect(rows).to_have_count(50)
    page.get_by_label("Search by name").press_sequentially("fleet 1", delay=30)
    page.wait_for_url(re.compile(r"\?q=fleet(\+|%20)1$"))
    wait_htmx_idle(page)
    expect(rows).to_have_count(10)  # Fleet 10 … Fleet 19, the search box kept
    expect(page.get_by_label("Search by name")).to_have_value("fleet 1")
    page.get_by_label("Search by name").fill("fleet")
    wait_htmx_idle(page)
    expect(rows).to_have_count(50)
    page.get_by_role("link", name="Load more").click()  # the rest, in place
    expect(rows).to_have_count(55)
    expect(page.get_by_role("link", name="Load more")).to_have_count(0)
    page.get_by_label("Search by name").fill("no such org")
    expect(page.get_by_text("No organization matches “no such org”")).to_be_visible()

    page.get_by_role("navigation", name="Instance").get_by_role("link", name="Users").click()
    page.get_by_label("Search by name or email").press_sequentially("hopper", delay=30)
    page.wait_for_url(re.compile(r"\?q=hopper$"))
    wait_htmx_idle(page)
    users = page.locator("#users-table tbody tr[id^=user-]")
    expect(users).to_have_count(1)
    expect(users.first).to_contain_text("Grace Hopper")
