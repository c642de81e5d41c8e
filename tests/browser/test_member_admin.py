"""Members' administration in Chromium: an owner sorts the members table, opens a member's
page, transfers ownership to them after the confirmation (and is an admin after it), then
deactivates another member, whose open session in a second browser ends at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from adminapp.accounts.models import OrgMembership, User
from tests.browser.helpers import sign_in, wait_htmx_idle
from tests.factories import PASSWORD, make_tenant

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
