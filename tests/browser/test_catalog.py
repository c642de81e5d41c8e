"""The catalog journey in Debian's Chromium: create a dataset from the space's page, add rows
(a taken key refused next to the field), search and load more in the rows table, delete a
row, and delete the dataset by typing its name while a real worker removes its rows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from adminapp.catalog.models import DataRow, Dataset
from tests.browser.helpers import sign_in, wait_htmx_idle
from tests.catalog.factories import make_dataset, make_rows
from tests.factories import PASSWORD, make_tenant
from tests.helpers import wait_for
from tests.spaces.factories import make_space

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shown_rows(page) -> list[str]:
    return page.locator("#rows-table tbody tr[id^=row-]").evaluate_all(
        "rows => rows.map(r => r.id.slice(4))"
    )


def test_create_a_dataset_add_rows_search_them_and_delete_it(page, celery_worker_process):
    tenant = make_tenant()
    space = make_space(tenant, "Robot Arms")
    other = make_dataset(space=make_space(tenant, "Elsewhere"), name="Other")
    make_rows(dataset=other, n=1, keys=["taken-key"])
    sign_in(page, tenant.owner.email, PASSWORD)
    page.goto(f"/spaces/{space.id}/")
    expect(page.locator("#datasets-panel")).to_contain_text("No datasets yet")

    create = page.locator("#dataset-create")
    create.get_by_label("Name", exact=True).fill("Camera frames")
    create.get_by_role("button", name="Create dataset").click()
    page.get_by_role("heading", name="Camera frames").wait_for()
    dataset = Dataset.objects.get(space=space)
    expect(page.locator("#row-results")).to_contain_text("No rows yet")

    # A key held by a row of another space (keys are unique in the organization, in any
    # case) is refused next to the key field; nothing is added.
    form = page.locator("#row-add")
    form.get_by_label("Row data").fill("https://example.com/a.jpg")
    form.get_by_label("Global key").fill("TAKEN-KEY")
    form.get_by_role("button", name="Add row").click()
    expect(page.locator("#row-add")).to_contain_text("belongs to another data row")
    assert not DataRow.objects.filter(dataset=dataset).exists()

    page.locator("#row-add").get_by_label("Global key").fill("arm-0001")
    page.locator("#row-add").get_by_role("button", name="Add row").click()
    page.get_by_role("status").filter(has_text="Added the row").wait_for()
    wait_htmx_idle(page)
    (first,) = DataRow.objects.filter(dataset=dataset)
    assert shown_rows(page) == [first.id]

    # Many more rows (as a script would add them): the table pages with "Load more".
    more = make_rows(dataset=dataset, n=70, keys=[f"arm-{i:04d}" for i in range(2, 72)])
    page.reload()
    assert len(shown_rows(page)) == 50
    page.get_by_role("link", name="Load more").click()
    expect(page.locator("#rows-table tbody tr[id^=row-]")).to_have_count(71)
    assert sorted(shown_rows(page)) == sorted([first.id] + [r.id for r in more])

    # Search as you type, by key prefix.
    page.get_by_label("Match").select_option("global_key_prefix")
    page.get_by_label("Search rows").press_sequentially("ARM-006", delay=30)
    expect(page.locator("#rows-table tbody tr[id^=row-]")).to_have_count(10)

    # Delete one row: its key is free again.
    target = DataRow.objects.get(global_key="arm-0065")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#row-{target.id}").get_by_role("link", name="Delete").click()
    expect(page.locator(f"#row-{target.id}")).to_have_count(0)
    assert not DataRow.objects.filter(id=target.id).exists()

    # Delete the dataset by typing its name; a worker removes the rows.
    page.goto(f"/datasets/{dataset.id}/")
    danger = page.locator("#dataset-danger")
    button = danger.get_by_role("button", name="Delete dataset")
    expect(button).to_be_disabled()
    danger.get_by_label("Type Camera frames to confirm").fill("Camera frames")
    button.click()
    page.wait_for_url(f"**/spaces/{space.id}/#datasets")
    expect(page.locator("#datasets-panel")).to_contain_text("No datasets yet")
    wait_for(lambda: not DataRow.objects.filter(dataset_id=dataset.id).exists())
    assert DataRow.objects.filter(global_key="taken-key").exists()  # the other space's row
