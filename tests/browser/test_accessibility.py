"""axe-core over every dashboard page, in the light and the dark colour scheme: no serious or
critical violation (contrast, names of controls, labels, landmarks, ARIA). The pages are
those of an organization with something on each: a space with a member and a token, a
dataset with rows, a repo in a bucket config on the loopback S3 server, a finished job."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.helpers import sign_in, wait_htmx_idle
from tests.factories import PASSWORD, make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


def _organization(s3_server):
    from adminapp.catalog.services.global_keys import global_keys_assign
    from adminapp.client.types import AuditFilterParams
    from adminapp.exports.services import audit_export_start
    from adminapp.jobs.models import Job
    from adminapp.spaces import services as spaces
    from tests.catalog.factories import make_dataset, make_rows
    from tests.helpers import wait_for
    from tests.spaces.factories import predefined
    from tests.storage.factories import make_bucket_config, make_repo

    tenant = make_tenant("Acme Data")
    # An instance admin too, for the Operations page.
    type(tenant.owner).objects.filter(id=tenant.owner.id).update(is_superuser=True, is_staff=True)
    owner = tenant.principal("OWNER")
    space = spaces.space_create(actor=owner, name="Lidar Scans", description="Rooftop rig.")
    spaces.space_member_set(
        actor=owner, space=space.id, user_id=tenant.member.id, role=predefined("MEMBER")
    )
    spaces.space_token_create(actor=owner, space=space.id, label="Uploader")
    dataset = make_dataset(space=space, name="Scans 2024", description="Point clouds.")
    rows = make_rows(
        dataset=dataset, n=30, keys=[f"scan-{i}" if i % 2 else None for i in range(30)]
    )
    # A finished assignment with errors: its outcome page shows counts, tabs and error rows.
    assigned = global_keys_assign(
        actor=owner,
        items=[
            {"data_row_id": rows[0].id, "global_key": "scan-new"},
            {"data_row_id": rows[2].id, "global_key": "scan-1"},  # taken
            {"data_row_id": "dr_missing", "global_key": "scan-x"},
        ],
    )
    bucket = s3_server.new_bucket()
    make_bucket_config(
        tenant,
        "lake",
        f"s3://{bucket}/base",
        extra_config={"region_name": "us-east-1", "endpoint_url": s3_server.url},
        auth_config={"method": "hmac", "access_key_id": "testing", "secret_access_key": "testing"},
    )
    make_repo(tenant, "climate", prefix="climate")
    job = audit_export_start(actor=owner, filters=AuditFilterParams())
    # A plugin from the store, for the Plugins pages and the Macros page's generated form.
    from adminapp.plugins.services import plugin_install_from_store

    installed = plugin_install_from_store(actor=owner, plugin_id="global-key-template")
    role = spaces.space_role_create(actor=owner, name="Curator", permissions=["dataset.read"])
    from adminapp.accounts.services.invitations import invitation_create

    _, invitation_token = invitation_create(
        actor=owner,
        org_id=tenant.org.id,
        email="newcomer@example.com",
        role="MEMBER",
        link_for=lambda token: token,
    )
    from adminapp.accounts.services import mfa

    mfa.enrolment_start(actor=owner)  # the setup page's QR code (not on until confirmed)
    for finished in (job, assigned, installed):
        wait_for(lambda j=finished: Job.objects.get(id=j.id).state == "SUCCEEDED", timeout=60)
    return tenant, space, dataset, [job, assigned], role, invitation_token


def _pages(space, dataset, jobs, role, member_id) -> list[str]:
    return [
        "/",
        "/api-keys/",
        "/members/",
        "/spaces/",
        f"/spaces/{space.id}/",
        f"/spaces/{space.id}/edit/",
        f"/datasets/{dataset.id}/",
        f"/datasets/{dataset.id}/edit/",
        "/global-keys/",
        "/roles/",
        f"/roles/{role.id}/edit/",
        "/storage/buckets/",
        "/storage/buckets/lake/",
        "/storage/buckets/lake/edit/",
        "/storage/repos/",
        "/storage/repos/climate/",
        "/storage/repos/climate/export/",
        "/audit/",
        "/jobs/",
        *(f"/jobs/{job.id}/" for job in jobs),
        f"/global-keys/jobs/{jobs[1].id}/",
        "/instance/operations/",
        "/organization/",
        "/members/invitations/",
        "/account/password/",
        "/plugins/",
        "/plugins/installed/",
        "/plugins/upload/",
        "/plugins/git/",
        "/plugins/installed/global-key-template/",
        "/macros/",
        "/members/?sort=last_login&order=desc",
        f"/members/{member_id}/",
        "/instance/organizations/",
        "/instance/users/",
        f"/instance/users/{member_id}/",
        "/account/security/",
        "/account/security/two-factor/",  # a setup waiting for its code (see _organization)
    ]


def _violations(page) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:4])
        for v in found
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_dashboard_page_has_no_serious_or_critical_axe_violation(
    page, s3_server, celery_worker_process, scheme
):
    tenant, space, dataset, jobs, role, invitation_token = _organization(s3_server)
    page.emulate_media(color_scheme=scheme)
    failures: dict[str, list[str]] = {}
    # The pages one sees signed out.
    for url in ("/login/", "/password-reset/", f"/invitations/{invitation_token}/"):
        page.goto(url)
        if found := _violations(page):
            failures[url] = found
    sign_in(page, tenant.owner.email, PASSWORD)
    for url in _pages(space, dataset, jobs, role, tenant.member.id):
        response = page.goto(url)
        assert response is not None and response.status == 200, (url, response)
        wait_htmx_idle(page)
        if found := _violations(page):
            failures[url] = found
    assert not failures, "\n".join(
        f"{url}:\n  " + "\n  ".join(found) for url, found in failures.items()
    )
