"""The spaces journey in Debian's Chromium: search as you type, create (after a duplicate-name
error), add a member, change their role, create a token and see it once, and delete a space
by typing its name while a real worker runs the deletion job."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from adminapp.jobs.models import Job
from adminapp.spaces.models import Space, SpaceMembership, SpaceToken
from tests.browser.helpers import sign_in, wait_htmx_idle
from tests.factories import PASSWORD, make_tenant
from tests.helpers import wait_for
from tests.spaces.factories import join, make_space, make_token, predefined

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def space_rows(page) -> list[str]:
    return page.locator("#spaces-table tbody tr[id^=space-]").evaluate_all(
        "rows => rows.map(r => r.querySelector('a').textContent.trim())"
    )


def test_search_create_add_a_member_change_the_role_and_see_a_token_once(page):
    tenant = make_tenant()
    for name in ("Robot Arms", "Warehouse Fleet", "Vision Labels"):
        make_space(tenant, name)
    sign_in(page, tenant.owner.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Spaces").click()
    page.wait_for_url("**/spaces/")
    assert space_rows(page) == ["Vision Labels", "Warehouse Fleet", "Robot Arms"]

    # Search as you type: no button, the list narrows and the URL follows.
    page.get_by_label("Search spaces by name").press_sequentially("FLEET", delay=30)
    page.wait_for_url(re.compile(r"\?q=FLEET$"))
    page.wait_for_function("() => document.querySelectorAll('#spaces-table tbody tr').length === 1")
    assert space_rows(page) == ["Warehouse Fleet"]
    page.get_by_label("Search spaces by name").fill("")
    page.wait_for_function("() => document.querySelectorAll('#spaces-table tbody tr').length === 3")

    # A duplicate name (in another case) is refused next to the field; nothing is created.
    create = page.locator("#space-create")
    create.get_by_label("Name", exact=True).fill("robot arms")
    create.get_by_role("button", name="Create space").click()
    page.get_by_text("A space with this name already exists.").wait_for()
    assert Space.objects.filter(organization=tenant.org).count() == 3
    assert page.locator("#space-create").get_by_label("Name", exact=True).input_value() == (
        "robot arms"
    )

    page.locator("#space-create").get_by_label("Name", exact=True).fill("Gripper Lab")
    page.locator("#space-create").get_by_label("Description").fill("Soft grippers")
    page.locator("#space-create").get_by_role("button", name="Create space").click()
    page.get_by_role("status").filter(has_text="Created the space “Gripper Lab”.").wait_for()
    expect(page.locator("#spaces-table tbody tr a").first).to_have_text("Gripper Lab")
    gripper = Space.objects.get(name="Gripper Lab")

    # Its page: add an org member with a role, then change the role from the select.
    page.get_by_role("link", name="Gripper Lab").click()
    page.wait_for_url(f"**/spaces/{gripper.id}/")
    # The person typeahead: typing part of the email narrows the radio list to them.
    options = page.locator("#person-options input[type=radio]")
    assert options.count() == 4  # everyone in the org, nobody in the space yet
    page.get_by_label("Person").fill(tenant.member.email.split("@")[0])
    expect(options).to_have_count(1)
    page.locator("#person-options").get_by_label(tenant.member.email).check()
    page.get_by_label("Space role", exact=True).select_option("MEMBER")
    page.get_by_role("button", name="Add to space").click()
    page.locator(f"#member-{tenant.member.id}").wait_for()
    assert SpaceMembership.objects.get(space=gripper).role == "MEMBER"

    page.get_by_label(f"Space role of {tenant.member.email}").select_option("READ_ONLY")
    page.get_by_role("status").filter(has_text="is now Read only here.").wait_for()
    assert SpaceMembership.objects.get(space=gripper).role == "READ_ONLY"
    # The toast can show before htmx has swapped and settled the row: a select chosen from
    # the old row would be replaced mid-request. Wait until htmx is idle.
    wait_htmx_idle(page)

    # The annotator rule, from the same select: refused inline, the role stays.
    page.get_by_label(f"Space role of {tenant.member.email}").select_option("ANNOTATOR")
    expect(page.locator(f"#member-{tenant.member.id}").get_by_role("alert")).to_contain_text(
        "ANNOTATOR account role"
    )
    assert page.get_by_label(f"Space role of {tenant.member.email}").input_value() == "READ_ONLY"
    assert SpaceMembership.objects.get(space=gripper).role == "READ_ONLY"

    # A permanent token: its secret is shown once, with a copy button.
    tokens = page.locator("#token-create")
    tokens.get_by_label("Label").fill("Uploader")
    tokens.get_by_label("Permanent — never expires").check()
    tokens.get_by_role("button", name="Create token").click()
    panel = page.locator("#tokens-panel .secret-panel")
    panel.wait_for()
    assert "will not be shown again" in panel.inner_text()
    secret = page.get_by_label("Space token secret").input_value()
    assert re.fullmatch(r"spt_\S{20,}", secret)
    token = SpaceToken.objects.get(label="Uploader")
    assert token.permanent and secret.startswith(token.display_prefix)
    expect(page.get_by_role("button", name="Copy")).to_be_visible()  # shown by app.js
    expect(page.locator(f"#token-{token.id}")).to_contain_text("Active")

    page.reload()
    assert secret not in page.content()
    assert page.locator(".secret-panel").count() == 0
    assert page.locator(f"#token-{token.id}").is_visible()


def test_delete_a_space_by_typing_its_name(page, celery_worker_process):
    tenant = make_tenant()
    keep = make_space(tenant, "Keep Me")
    doomed = make_space(tenant, "Doomed Space", description="about to go")
    join(tenant, doomed, tenant.member, predefined("MEMBER"))
    make_token(tenant, doomed, label="bot")
    sign_in(page, tenant.owner.email, PASSWORD)
    page.goto("/spaces/")

    row = page.locator(f"#space-{doomed.id}")
    row.get_by_role("link", name="Delete").click()
    typed = page.get_by_label("Type Doomed Space to confirm")
    typed.wait_for()
    button = row.get_by_role("button", name="Delete space")
    expect(button).to_be_disabled()
    typed.fill("Doomed")
    expect(button).to_be_disabled()
    typed.fill("Doomed Space")
    expect(button).to_be_enabled()
    button.click()

    row.wait_for(state="detached")
    toast = page.get_by_role("status").filter(has_text="Deleted “Doomed Space”.")
    toast.wait_for()
    job = Job.objects.get(kind="space_delete")
    assert toast.get_by_role("link", name="follow the job").get_attribute("href") == (
        f"/jobs/{job.id}/"
    )
    # The worker removes the members, the token and then the space itself.
    wait_for(lambda: not Space.objects.filter(id=doomed.id).exists(), timeout=60)
    job.refresh_from_db()
    assert job.state == "SUCCEEDED"
    assert not SpaceMembership.objects.filter(space_id=doomed.id).exists()
    assert not SpaceToken.objects.filter(space_id=doomed.id).exists()

    page.reload()
    assert space_rows(page) == ["Keep Me"]
    assert Space.objects.filter(id=keep.id).exists()


def test_spaces_work_with_javascript_off(browser, live_server):
    tenant = make_tenant()
    space = make_space(tenant, "Plain Space")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, tenant.owner.email, PASSWORD)

    page.goto("/spaces/?q=plain")
    assert space_rows(page) == ["Plain Space"]
    # Delete: the link leads to a page where the name is typed; a wrong name is refused.
    page.locator(f"#space-{space.id}").get_by_role("link", name="Delete").click()
    page.get_by_label("Type Plain Space to confirm").fill("plain space")
    page.get_by_role("button", name="Delete space").click()
    page.get_by_text("Type the space’s name exactly as shown to confirm.").wait_for()
    page.get_by_label("Type Plain Space to confirm").fill("Plain Space")
    page.get_by_role("button", name="Delete space").click()
    page.wait_for_url("**/spaces/")
    assert "Deleted “Plain Space”." in page.content()
    space.refresh_from_db()
    assert space.deleted_at is not None

    # Add a member: the person search is a plain GET form, the match a radio button.
    other = make_space(tenant, "Second Space")
    page.goto(f"/spaces/{other.id}/")
    page.get_by_label("Person").fill(tenant.admin.email)
    page.locator("#member-add").get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"person="))
    assert "csrfmiddlewaretoken" not in page.url
    page.locator("#person-options").get_by_label(tenant.admin.email).check()
    page.get_by_role("button", name="Add to space").click()
    page.locator(f"#member-{tenant.admin.id}").wait_for()
    assert SpaceMembership.objects.filter(space=other).count() == 1
    context.close()
