"""The plugins journey in Debian's Chromium, with a real worker running the install and the
macro (in its sandbox, talking to the live server through the SDK): an instance admin
installs membership-report from the store and watches its job finish; the organization's
owner then runs its macro from the Macros page and downloads the CSV it wrote."""

from __future__ import annotations

import csv

import pytest
from playwright.sync_api import expect

from adminapp.plugins.models import Plugin
from tests.browser.helpers import sign_in, wait_htmx_idle
from tests.factories import PASSWORD, add_member, make_tenant, make_user
from tests.spaces.factories import join, make_space, predefined

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_install_from_the_store_then_run_the_macro_and_download_its_csv(
    page, live_server, celery_workers, tmp_path
):
    celery_workers.start(
        {
            "PLUGINS_API_BASE_URL": live_server.url,
            "PLUGINS_CACHE_DIR": str(tmp_path / "worker-cache"),
        }
    )
    tenant = make_tenant("Acme Data")
    admin = make_user(email="root@example.com", superuser=True)
    add_member(tenant.org, role="MEMBER", user=admin)
    research = make_space(tenant, "Research")
    ops = make_space(tenant, "Ops")
    join(tenant, research, tenant.member, predefined("MEMBER"))
    join(tenant, ops, tenant.annotator, predefined("ANNOTATOR"))

    # The instance admin installs the plugin from the store.
    sign_in(page, admin.email, PASSWORD)
    page.get_by_role("navigation", name="Main").first.get_by_role("link", name="Instance").click()
    page.get_by_role("navigation", name="Instance").get_by_role("link", name="Plugins").click()
    expect(page.locator("#store-table tbody tr")).to_have_count(3)
    page.get_by_role("searchbox", name="Search").fill("membership")
    page.get_by_role("button", name="Search").click()
    wait_htmx_idle(page)
    expect(page.locator("#store-table tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Install Membership report").click()
    page.get_by_role("heading", name="Progress").wait_for()
    expect(
        page.get_by_role("status").filter(has_text="Install of Membership report")
    ).to_be_visible()
    expect(page.locator("[data-job-state]")).to_have_attribute(
        "data-job-state", "SUCCEEDED", timeout=60_000
    )
    assert Plugin.objects.get().current.version == "1.0.0"
    page.goto("/plugins/")
    expect(page.locator("#store-membership-report")).to_contain_text("Installed")

    # The owner runs its macro and downloads the result.
    page.context.clear_cookies()
    sign_in(page, tenant.owner.email, PASSWORD)
    page.get_by_role("navigation", name="Main").first.get_by_role("link", name="Macros").click()
    card = page.locator("#macro-membership-report-report")
    expect(card).to_contain_text("Report every space membership")
    card.get_by_label("Only spaces whose name contains").fill("search")  # "Research" only
    card.get_by_role("button", name="Run").click()
    page.get_by_role("heading", name="Progress").wait_for()
    expect(page.locator("[data-job-state]")).to_have_attribute(
        "data-job-state", "SUCCEEDED", timeout=60_000
    )
    download_link = page.get_by_role("link", name="Download result")
    expect(download_link).to_be_visible()
    with page.expect_download() as info:
        download_link.click()
    saved = tmp_path / "report.csv"
    info.value.save_as(saved)
    with saved.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["space_name"], r["email"], r["account_role"], r["space_role"]) for r in rows] == [
        ("Research", tenant.member.email, "MEMBER", "MEMBER")
    ]
