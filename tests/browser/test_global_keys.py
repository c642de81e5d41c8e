"""The global keys journey in Debian's Chromium with a real worker: import a file of rows on
the dataset page, paste pairs on the Global keys page, preview them (the counts by code
shown, nothing changed), apply them with "Apply these", download the outcomes as CSV, and
revert the job from its page."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from adminapp.catalog.models import DataRow
from adminapp.jobs.models import Job
from tests.browser.helpers import sign_in, wait_htmx_idle
from tests.catalog.factories import make_dataset, make_rows
from tests.factories import PASSWORD, make_tenant
from tests.helpers import wait_for
from tests.spaces.factories import make_space

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_import_preview_apply_download_and_revert(page, celery_worker_process, tmp_path):
    tenant = make_tenant()
    space = make_space(tenant, "Robot Arms")
    dataset = make_dataset(space=space, name="Camera frames")
    (holder,) = make_rows(dataset=make_dataset(space=space, name="Other"), n=1, keys=["taken"])
    sign_in(page, tenant.owner.email, PASSWORD)

    # Import two rows from a file on the dataset page: the job's page follows it.
    upload = tmp_path / "rows.csv"
    upload.write_text("row_data,external_id\nhttps://x/1.jpg,one\nhttps://x/2.jpg,two\n")
    page.goto(f"/datasets/{dataset.id}/")
    form = page.locator("#import-form")
    form.get_by_label("File").set_input_files(str(upload))
    form.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/jobs/job_"))
    expect(page.locator("[data-job-outcome]")).to_have_attribute(
        "data-job-outcome", "SUCCESS", timeout=30_000
    )
    one, two = DataRow.objects.filter(dataset=dataset).order_by("external_id")
    assert (one.external_id, two.external_id) == ("one", "two")

    # Paste pairs on the Global keys page (from the main nav) and preview them.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Global keys").click()
    page.get_by_role("heading", name="Global keys", level=1).wait_for()
    pairs = f"{one.id},arm-0001\n{two.id},TAKEN\ndr_missing,arm-0003"
    page.get_by_label("Pairs (one a line)").fill(pairs)
    page.get_by_role("button", name="Preview").click()
    outcome = page.locator("#gk-outcome")
    expect(outcome.locator("[data-count=SUCCESS]")).to_have_text("1", timeout=30_000)
    expect(outcome.locator("[data-count=KEY_TAKEN]")).to_have_text("1")
    expect(outcome.locator("[data-count=DATA_ROW_NOT_FOUND]")).to_have_text("1")
    expect(outcome).to_contain_text("A preview: nothing was changed.")
    assert DataRow.objects.get(id=one.id).global_key is None
    expect(page.get_by_label("Pairs (one a line)")).to_have_value(pairs)

    # The errors filter by code.
    outcome.get_by_role("link", name="KEY_TAKEN").click()
    expect(page.locator("#gk-errors tbody tr")).to_have_count(1)
    expect(page.locator("#gk-errors")).to_contain_text("TAKEN")

    # Apply these: the same text, for real.
    page.locator("#gk-outcome").get_by_role("button", name="Apply these").click()
    expect(page.locator("#gk-outcome")).to_contain_text("Applied, with errors", timeout=30_000)
    applied = Job.objects.get(kind="global_key_assign", params__dry_run=False)
    assert DataRow.objects.get(id=one.id).global_key == "arm-0001"
    assert DataRow.objects.get(id=holder.id).global_key == "taken"

    # Every outcome as CSV.
    with page.expect_download() as download:
        page.locator("#gk-outcome").get_by_role("link", name="All outcomes CSV").click()
    saved = tmp_path / "outcomes.csv"
    download.value.save_as(saved)
    with saved.open() as f:
        records = list(csv.DictReader(f))
    assert sorted(r["error_code"] for r in records) == ["", "DATA_ROW_NOT_FOUND", "KEY_TAKEN"]

    # Revert it from its page (after a confirmation): the new job's page follows it.
    page.locator("#gk-outcome").get_by_role("link", name="Job page").click()
    page.wait_for_url(f"**/jobs/{applied.id}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name="Revert").click()
    wait_for(lambda: Job.objects.filter(kind="global_key_revert").exists())
    revert = Job.objects.get(kind="global_key_revert")
    page.wait_for_url(f"**/jobs/{revert.id}/")
    expect(page.locator("[data-job-outcome]")).to_have_attribute(
        "data-job-outcome", "SUCCESS", timeout=30_000
    )
    assert DataRow.objects.get(id=one.id).global_key is None


def test_a_style_left_on_a_field_by_the_browser_does_not_trip_the_csp_on_a_swap(page):
    """Browsers and tools touch an element's style through the CSSOM (allowed) and leave
    ``style=""`` behind; htmx copying attributes from the old element to the new one while
    it settles would apply that inline style, which the policy refuses. The page fixture
    fails the test on any refusal."""
    tenant = make_tenant()
    sign_in(page, tenant.owner.email, PASSWORD)
    page.goto("/global-keys/")
    field = page.get_by_label("Pairs (one a line)")
    field.evaluate("el => { el.style.color = 'red'; el.style.color = ''; }")
    assert field.get_attribute("style") == ""
    field.fill("not a pair")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#gk-panel")).to_contain_text("Line 1:")
    wait_htmx_idle(page)
