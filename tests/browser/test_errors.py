"""Refusals and failures of htmx actions, in Debian's Chromium, with DEBUG on as
``manage.py up`` runs it: each shows inline or as a toast, and the page stays the page (no
unstyled fragment or crash page swapped over the whole document)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from adminapp.accounts.models import OrgMembership
from adminapp.spaces.models import SpaceMembership
from adminapp.web.accounts import views as account_views
from tests.browser.helpers import sign_in, wait_htmx_idle
from tests.factories import PASSWORD, add_member, make_tenant
from tests.spaces.factories import join, make_space, predefined

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def debug_on(settings):
    """DEBUG as in development: the live server renders the pages as ``manage.py up`` does."""
    settings.DEBUG = True


def still_the_page(page, heading: str) -> None:
    """The page the user was on is still whole: its top bar and heading."""
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()


def error_toast(page, text: str):
    return page.locator("#toasts").get_by_role("alert").filter(has_text=text)


def test_an_annotator_made_space_admin_is_refused_in_the_row(page, debug_on):
    tenant = make_tenant()
    space = make_space(tenant, "Labelling")
    join(tenant, space, tenant.annotator, predefined("ANNOTATOR"))
    other = add_member(tenant.org, role="ANNOTATOR")
    sign_in(page, tenant.owner.email, PASSWORD)
    page.goto(f"/spaces/{space.id}/")

    page.get_by_label(f"Space role of {tenant.annotator.email}").select_option("ADMIN")
    row = page.locator(f"#members-table #member-{tenant.annotator.id}")
    expect(row.get_by_role("alert")).to_contain_text("can only have the ANNOTATOR space role")
    still_the_page(page, "Labelling")
    wait_htmx_idle(page)
    assert page.get_by_label(f"Space role of {tenant.annotator.email}").input_value() == (
        "ANNOTATOR"
    )
    assert SpaceMembership.objects.get(space=space).role == "ANNOTATOR"

    # The same rule refusing the add form: next to the role picked.
    page.locator("#person-options").get_by_label(other.email).check()
    page.get_by_label("Space role", exact=True).select_option("ADMIN")
    page.get_by_role("button", name="Add to space").click()
    expect(field_errors(page, "Space role")).to_have_text(
        ["Only ANNOTATOR for an annotator account."]
    )
    still_the_page(page, "Labelling")
    assert SpaceMembership.objects.filter(space=space).count() == 1


def test_removing_a_member_already_removed_in_another_tab_is_a_toast(page, debug_on):
    tenant = make_tenant("Acme & Co")
    sign_in(page, tenant.owner.email, PASSWORD)
    page.goto("/members/")
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    # Their row is rendered again after a role change (#22: its confirmation still names
    # the organization).
    page.get_by_label(f"Role of {tenant.member.email}").select_option("ADMIN")
    page.get_by_role("status").filter(has_text="is now Admin").wait_for()
    wait_htmx_idle(page)

    # Another tab removes them first.
    other_tab = page.context.new_page()
    other_tab.on("dialog", lambda dialog: dialog.accept())
    other_tab.goto("/members/")
    other_tab.locator(f"#member-{tenant.member.id}").get_by_role("link", name="Remove").click()
    other_tab.locator(f"#member-{tenant.member.id}").wait_for(state="detached")
    other_tab.close()
    assert not OrgMembership.objects.filter(user=tenant.member).exists()

    page.locator(f"#member-{tenant.member.id}").get_by_role("link", name="Remove").click()
    expect(error_toast(page, "Not found.")).to_contain_text("is not a member")
    still_the_page(page, "Members")
    assert asked == [
        f"Remove {tenant.member.email} from Acme & Co? Their personal API keys for it are revoked."
    ]


def test_a_crash_is_a_toast_not_the_debug_page(page, debug_on, monkeypatch):
    tenant = make_tenant()

    def crash(*args, **kwargs):
        raise RuntimeError("planted crash")

    # A real server error: the view raises, Django answers with its DEBUG error page.
    monkeypatch.setattr(account_views, "after_removal", crash)
    sign_in(page, tenant.owner.email, PASSWORD)
    page.goto("/members/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(f"#member-{tenant.member.id}").get_by_role("link", name="Remove").click()

    expect(error_toast(page, "Something went wrong (HTTP 500)")).to_be_visible()
    still_the_page(page, "Members")
    assert "planted crash" not in page.content()


def field_errors(page, label: str):
    """The messages under the field whose label starts with ``label``."""
    labelled = page.get_by_label(re.compile(rf"^{re.escape(label)}\b"))
    return page.locator(".field", has=labelled).locator(".field__error")


def test_form_refusals_are_next_to_their_fields_in_words(page):
    tenant = make_tenant()
    space = make_space(tenant, "Pickers")
    sign_in(page, tenant.owner.email, PASSWORD)

    # A past expiry date: under the expiry field, without the API's name for it.
    page.goto("/api-keys/")
    page.get_by_label("Label").fill("Old key")
    page.get_by_label("Expires on").fill("2001-01-01")
    page.get_by_role("button", name="Create key").click()
    expect(field_errors(page, "Expires on")).to_have_text(["Must be in the future."])
    expect(page.locator("main .alert")).to_have_count(0)
    assert "expires_at" not in page.locator("main").inner_text()

    # An empty email, and no person picked: required, like every empty required field.
    page.goto("/members/")
    page.get_by_role("button", name="Add member").click()
    expect(field_errors(page, "Email")).to_have_text(["This field is required."])

    page.goto(f"/spaces/{space.id}/")
    page.get_by_role("button", name="Add to space").click()
    expect(page.locator(".typeahead .field__error")).to_have_text(["This field is required."])
    still_the_page(page, "Pickers")
