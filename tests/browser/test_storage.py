"""The storage journey in Debian's Chromium, against the loopback moto server and a real
worker: add a bucket config (the auth fields narrowed to the method picked), check its
access from the list, create a repo in it and browse its objects."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from adminapp.storage.models import BucketConfig, Repo
from tests.browser.helpers import sign_in, wait_htmx_idle
from tests.factories import PASSWORD, make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_a_config_check_it_create_a_repo_and_browse_it(page, celery_worker_process, s3_server):
    tenant = make_tenant()
    bucket = s3_server.new_bucket()
    for i in range(3):
        s3_server.client().put_object(
            Bucket=bucket, Key=f"base/climate/day-{i}.csv", Body=b"x" * (1000 * i)
        )
    sign_in(page, tenant.owner.email, PASSWORD)
    page.get_by_role("navigation", name="Main").first.get_by_role("link", name="Storage").click()
    expect(page.locator("#configs-panel")).to_contain_text("No bucket configs yet")

    form = page.locator("#config-create")
    form.get_by_label("Nickname").fill("lake")
    form.get_by_label("URI").fill(f"s3://{bucket}/base")
    form.locator("summary", has_text="Connection settings").click()
    form.get_by_label("Endpoint URL").fill(s3_server.url)
    wait_htmx_idle(page)
    expect(form.locator("#auth-fields input")).to_have_count(0)  # anonymous: none
    form.get_by_label("Authentication method").select_option("hmac")
    expect(form.get_by_label("Access key id")).to_be_visible()
    expect(form.get_by_label("Role ARN")).to_have_count(0)  # another method's field
    form.get_by_label("Access key id").fill("testing")
    form.get_by_label("Secret access key").fill("testing")
    form.get_by_role("button", name="Add bucket config").click()
    page.get_by_role("status").filter(has_text="Added the bucket config").wait_for()
    wait_htmx_idle(page)
    config = BucketConfig.objects.get(nickname="lake")
    row = page.locator(f"#config-{config.id}")
    expect(row).to_contain_text("Default")

    row.get_by_role("link", name="Check access").click()
    expect(row).to_contain_text("Access OK", timeout=30_000)
    expect(row).to_contain_text("found an object")

    page.locator(".tabs").get_by_role("link", name="Repos", exact=True).click()
    create = page.locator("#repo-create")
    create.get_by_label("Name").fill("climate")
    create.get_by_label("Prefix").fill("climate")
    create.get_by_role("button", name="Create repo").click()
    page.get_by_role("heading", name="climate").wait_for()
    assert Repo.objects.get(name="climate").bucket_config_id == config.id
    objects = page.locator("#objects-table tbody tr")
    expect(objects).to_have_count(3)
    expect(objects.nth(2)).to_contain_text("day-2.csv")
    expect(objects.nth(2)).to_contain_text("2.0 KB")
