"""The issue's browser journey in Debian's Chromium: sign in, create a key (shown once),
export the audit log, watch the bar reach 100%, download the CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest

from adminapp.accounts.models import ApiKey
from adminapp.audit.models import AuditEvent
from tests.browser.helpers import sign_in, wait_htmx_idle
from tests.factories import PASSWORD, make_tenant
from tests.spaces.factories import join, make_space, predefined

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_create_a_key_see_it_once_then_revoke_it(page):
    tenant = make_tenant()
    sign_in(page, tenant.owner.email, PASSWORD)
    assert page.get_by_role("heading", name="Overview").is_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys").click()
    page.get_by_label("Label").fill("Browser key")
    page.get_by_label("Description").fill("made in Chromium")
    page.get_by_role("button", name="Create key").click()

    panel = page.locator(".secret-panel")
    panel.wait_for()
    assert "will not be shown again" in panel.inner_text()
    secret = page.get_by_label("API key secret").input_value()
    assert re.fullmatch(r"adm_\S{20,}", secret)
    key = ApiKey.objects.get(label="Browser key")
    assert secret.startswith(key.display_prefix)
    # The copy button is there (JavaScript on) and the new key is in the table.
    assert page.get_by_role("button", name="Copy").is_visible()
    assert page.locator(f"#key-{key.id}").is_visible()

    # Shown once: a reload of the keys page does not have it.
    page.reload()
    assert secret not in page.content()
    assert page.locator(".secret-panel").count() == 0

    # Revoke it, confirming the browser's dialog.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#key-{key.id}").get_by_role("link", name="Revoke").click()
    page.locator(f"#key-{key.id}").get_by_text("Revoked").wait_for()
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_a_wrong_password_is_shown_inline_and_the_theme_toggle_sticks(page):
    tenant = make_tenant()
    page.goto("/login/")
    page.get_by_label("Email").fill(tenant.owner.email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().strip() == "Email or password is incorrect."

    sign_in(page, tenant.owner.email, PASSWORD)
    html = page.locator("html")
    before = html.get_attribute("data-theme")
    page.get_by_role("button", name="Toggle dark mode").click()
    after = html.get_attribute("data-theme")
    assert after in ("light", "dark") and after != before
    page.reload()
    assert html.get_attribute("data-theme") == after


def test_switch_organization_and_change_a_role_without_reloading(page):
    from adminapp.accounts.models import OrgMembership
    from tests.factories import make_org

    tenant = make_tenant()
    second = make_org(name="Second Org", owner=tenant.owner)
    join(tenant, make_space(tenant, "Arms"), tenant.member, predefined("MEMBER"))
    sign_in(page, tenant.owner.email, PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    # Hardening II #24: an ANNOTATOR account holds no other space role; the refusal names
    # the space, and the select goes back to the role the member still has.
    role = page.get_by_label(f"Role of {tenant.member.email}")
    role.select_option("ANNOTATOR")
    page.get_by_role("alert").filter(has_text="other roles in 1 space: Arms (Member)").wait_for()
    wait_htmx_idle(page)
    assert page.get_by_label(f"Role of {tenant.member.email}").input_value() == "MEMBER"
    page.get_by_label(f"Role of {tenant.member.email}").select_option("ADMIN")
    page.get_by_role("status").filter(has_text="is now Admin").wait_for()
    wait_htmx_idle(page)
    membership = OrgMembership.objects.get(user=tenant.member, organization=tenant.org)
    assert membership.account_role == "ADMIN"

    page.get_by_label("Organization").select_option(second.id)
    page.get_by_text("Second Org · you are Owner").wait_for()
    assert page.get_by_label("Organization").input_value() == second.id


def test_export_the_audit_log_watch_progress_and_download_the_csv(page, celery_worker_process):
    tenant = make_tenant()  # its four personal keys are four api_key.create events
    expected = set(
        AuditEvent.objects.filter(organization=tenant.org, action="api_key.create").values_list(
            "id", flat=True
        )
    )
    assert len(expected) == 4
    sign_in(page, tenant.owner.email, PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").fill("api_key.create")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"action=api_key.create"))
    page.get_by_role("button", name="Export CSV").click()

    page.wait_for_url(re.compile(r"/jobs/job_\w+/$"))
    bar = page.locator("#job-progress [role=progressbar]")
    bar.wait_for()
    page.locator('#job-progress [role=progressbar][aria-valuenow="100"]').wait_for(timeout=60_000)
    assert page.locator("#job-progress .progress__percent").inner_text() == "100%"
    assert "4 / 4" in page.locator("#job-progress").inner_text()
    page.locator('[data-job-state="SUCCEEDED"]').wait_for()
    # The fill is as wide as its track: drawn by a stylesheet class, not an inline style
    # (which the Content-Security-Policy would refuse, leaving the bar empty).
    track = page.locator("#job-progress .progress").bounding_box()
    fill = page.locator("#job-progress .progress__fill").bounding_box()
    assert fill["width"] == pytest.approx(track["width"], abs=2)

    # The job-finished event refreshed the outcome panel: the download is offered now.
    download_link = page.get_by_role("link", name="Download result")
    download_link.wait_for()
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8") as fh:
        rows = list(csv.DictReader(io.StringIO(fh.read())))
    assert rows and {"id", "created_at", "action", "actor_label"} <= set(rows[0])
    assert {r["id"] for r in rows} == expected
    assert {r["action"] for r in rows} == {"api_key.create"}


def test_the_api_docs_render_under_the_content_security_policy(page):
    response = page.goto("/api/v1/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 20
    assert page.locator(".opblock", has_text="/api/v1/audit").count() >= 1


def test_everything_above_also_works_with_javascript_off(browser, live_server):
    tenant = make_tenant()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, tenant.owner.email, PASSWORD)

    page.goto("/api-keys/")
    page.get_by_label("Label").fill("No-JS key")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_label("API key secret").input_value()
    assert secret.startswith("adm_")
    key = ApiKey.objects.get(label="No-JS key")

    # Revoke: the link leads to a confirmation page with a real form.
    page.locator(f"#key-{key.id}").get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke key").click()
    page.wait_for_url("**/api-keys/")
    key.refresh_from_db()
    assert key.revoked_at is not None

    # Filters are a GET form; export is a POST form that lands on the job page.
    page.goto("/audit/")
    page.get_by_label("Action").fill("api_key.revoke")
    page.get_by_role("button", name="Apply filters").click()
    assert "api_key.revoke" in page.url
    page.get_by_role("button", name="Export CSV").click()
    page.wait_for_url(re.compile(r"/jobs/job_\w+/$"))
    assert page.get_by_role("progressbar").count() == 1
    context.close()
