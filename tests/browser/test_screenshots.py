"""Design review screenshots, not a check: run once by hand after changing the look.

    ADMINAPP_SCREENSHOTS=1 .venv/bin/python -m pytest -q tests/browser/test_screenshots.py

writes static/screenshots/overview.png, jobs.png and spaces.png (plus a few more under
var/screenshots/ for review) from a realistic organization with a running export.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.helpers import sign_in
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "static" / "screenshots"
EXTRA = ROOT / "var" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("ADMINAPP_SCREENSHOTS") != "1", reason="set ADMINAPP_SCREENSHOTS=1"
    ),
]


def _demo_org():
    from adminapp.accounts import services
    from adminapp.accounts.models import OrgMembership
    from adminapp.audit.models import AuditEvent
    from adminapp.client.types import AuditFilterParams
    from adminapp.core.principal import SYSTEM
    from adminapp.exports.services import audit_export_start
    from adminapp.jobs.services import job_abort
    from tests.factories import principal_for

    owner = services.seed_user(email="ada@acme.test", password=PASSWORD, name="Ada Lovelace")
    org = services.organization_create(actor=SYSTEM, name="Acme Data", owner=owner)
    services.organization_create(actor=SYSTEM, name="Acme Research", owner=owner)
    ada = principal_for(owner, org)
    people = [
        ("grace@acme.test", "Grace Hopper", "ADMIN"),
        ("alan@acme.test", "Alan Turing", "MEMBER"),
        ("katherine@acme.test", "Katherine Johnson", "MEMBER"),
        ("edsger@acme.test", "Edsger Dijkstra", "ANNOTATOR"),
    ]
    for email, name, role in people:
        services.org_member_add(
            actor=ada, org_id=org.id, email=email, role=role, name=name, password=PASSWORD
        )
    services.api_key_create(actor=ada, label="Nightly sync", description="cron on etl-01")
    services.api_key_create(actor=ada, label="Notebook")
    services.api_key_create(actor=ada, label="CI pipeline", kind="SERVICE", role="MEMBER")
    grace = principal_for(OrgMembership.objects.get(user__email="grace@acme.test").user, org)
    services.api_key_create(actor=grace, label="Labeling bot", kind="SERVICE", role="ADMIN")
    # Volume for the export to chew on.
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                organization=org,
                actor_type="service_key",
                actor_id="key_demo",
                actor_label="key:CI pipeline",
                action="custom.dataset_sync",
                target_type="dataset",
                target_id=f"ds_{i:05d}",
                details={"rows": i * 7},
            )
            for i in range(3000)
        ]
    )
    from adminapp.spaces import services as spaces
    from adminapp.spaces.demo import seed_spaces

    seed_spaces(actor=ada)
    for name, description in [
        ("Lidar Scans", "Point clouds from the rooftop rig, 2024 season."),
        ("Customer Support Audio", ""),
        ("Synthetic Kitchens", "Rendered scenes for the pick-and-place benchmark."),
    ]:
        spaces.space_create(actor=ada, name=name, description=description)
    done = audit_export_start(actor=ada, filters=AuditFilterParams(action="member."))
    aborted = audit_export_start(actor=ada, filters=AuditFilterParams())
    job_abort(actor=ada, job_id=aborted.id)
    return owner, done


def test_take_screenshots(page, celery_workers):
    from adminapp.jobs.models import Job
    from tests.helpers import wait_for

    # caret="initial": hiding the caret makes Playwright inject a <style>, which the CSP refuses.
    OUT.mkdir(parents=True, exist_ok=True)
    EXTRA.mkdir(parents=True, exist_ok=True)
    celery_workers.start(extra_env={"JOB_CHUNK_DELAY_MS": "700", "AUDIT_EXPORT_CHUNK": "250"})
    owner, done = _demo_org()
    wait_for(lambda: Job.objects.get(id=done.id).state == "SUCCEEDED", timeout=60)
    sign_in(page, owner.email, PASSWORD)

    # A big export, caught mid-way.
    page.goto("/audit/")
    page.get_by_role("button", name="Export CSV").click()
    page.wait_for_url(re.compile(r"/jobs/job_\w+/$"))
    page.wait_for_function(
        "() => { const b = document.querySelector('#job-progress [role=progressbar]');"
        " return b && Number(b.getAttribute('aria-valuenow')) >= 35; }",
        timeout=60_000,
    )
    page.screenshot(path=str(OUT / "jobs.png"), full_page=True, caret="initial")
    page.locator('[data-job-state="SUCCEEDED"]').wait_for(timeout=60_000)
    page.get_by_role("link", name="Download result").wait_for()
    page.screenshot(path=str(EXTRA / "jobs-done.png"), full_page=True, caret="initial")

    page.goto("/")
    page.screenshot(path=str(OUT / "overview.png"), full_page=True, caret="initial")
    for name, path in [
        ("keys", "/api-keys/"),
        ("audit", "/audit/"),
        ("members", "/members/"),
        ("jobs-list", "/jobs/"),
    ]:
        page.goto(path)
        page.screenshot(path=str(EXTRA / f"{name}.png"), full_page=False, caret="initial")
    # Spaces: the list (one row being renamed inline), a space's page, the roles page.
    page.goto("/spaces/")
    page.locator("#spaces-table tbody tr").first.wait_for()
    page.screenshot(path=str(OUT / "spaces.png"), full_page=True, caret="initial")
    robot = page.locator("#spaces-table tr", has_text="Robot Arms")
    robot.get_by_role("link", name="Edit").click()
    page.locator("tr.row--form").wait_for()
    page.locator("#spaces-table tr", has_text="Lidar Scans").get_by_role(
        "link", name="Delete"
    ).click()
    page.get_by_label("Type Lidar Scans to confirm").fill("Lidar")
    page.screenshot(path=str(EXTRA / "spaces-inline.png"), full_page=True, caret="initial")
    page.goto("/spaces/")
    page.get_by_role("link", name="Robot Arms").click()
    page.locator("#members-panel").wait_for()
    page.screenshot(path=str(EXTRA / "space-detail.png"), full_page=True, caret="initial")
    page.locator("#token-create").get_by_label("Label").fill("Nightly export")
    page.locator("#token-create").get_by_role("button", name="Create token").click()
    page.locator("#tokens-panel .secret-panel").wait_for()
    page.evaluate("window.scrollTo(0, 0)")  # the focused panel scrolled the sticky top bar
    page.screenshot(path=str(EXTRA / "space-token-created.png"), full_page=True, caret="initial")
    page.goto("/roles/")
    page.screenshot(path=str(EXTRA / "roles.png"), full_page=True, caret="initial")

    page.goto("/api-keys/")
    page.get_by_label("Label").fill("Demo")
    page.get_by_role("button", name="Create key").click()
    page.locator(".secret-panel").wait_for()
    page.screenshot(path=str(EXTRA / "key-created.png"), full_page=False, caret="initial")

    page.emulate_media(color_scheme="dark")
    page.goto("/")
    page.screenshot(path=str(EXTRA / "overview-dark.png"), full_page=True, caret="initial")
    page.goto("/jobs/")
    page.locator("#jobs-table a").first.click()
    page.screenshot(path=str(EXTRA / "jobs-dark.png"), full_page=True, caret="initial")
    page.goto("/spaces/")
    page.get_by_role("link", name="Robot Arms").click()
    page.screenshot(path=str(EXTRA / "space-detail-dark.png"), full_page=True, caret="initial")
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="light")
    page.goto("/")
    page.screenshot(path=str(EXTRA / "overview-mobile.png"), full_page=True, caret="initial")
    page.goto("/spaces/")
    page.screenshot(path=str(EXTRA / "spaces-mobile.png"), full_page=True, caret="initial")
    page.context.clear_cookies()
    page.goto("/login/")
    page.screenshot(path=str(EXTRA / "login.png"), full_page=False, caret="initial")
