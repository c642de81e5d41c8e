"""The SDK over real HTTP against a live server on loopback (STYLE 18)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from adminapp.accounts.models import ApiKey
from adminapp.client import (
    AdminClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    Job,
    JobTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableEntityError,
)
from adminapp.client.types import AccountRole, JobState
from adminapp.client.types import ApiKey as WireApiKey

pytestmark = [pytest.mark.live]


@pytest.fixture
def sdk(live_server, tenant):
    """``sdk("ADMIN")``: a client over HTTP with that role's personal key in ``tenant``."""
    clients: list[AdminClient] = []

    def make(role: str = "OWNER", *, key: str | None = None, **kwargs) -> AdminClient:
        client = AdminClient(api_key=key or tenant.keys[role], base_url=live_server.url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_me_describes_the_key_owner_and_their_org(sdk, tenant):
    me = sdk("ADMIN").me.get()

    assert me.principal_type == "user"
    assert me.user.email == tenant.admin.email
    assert me.organization.id == tenant.org.id
    assert me.role == AccountRole.ADMIN
    assert me.api_key_id.startswith("key_")
    assert "audit.read" in me.permissions


def test_organizations_list_and_get(sdk, tenant, other_tenant):
    client = sdk("MEMBER")

    page = client.organizations.list()
    org = client.organizations.get(tenant.org.id)

    assert [o.id for o in page] == [tenant.org.id]
    assert page.pagination.has_more is False
    assert (org.name, org.role) == (tenant.org.name, AccountRole.MEMBER)
    with pytest.raises(NotFoundError):
        client.organizations.get(other_tenant.org.id)


def test_members_can_be_added_updated_listed_and_removed(sdk, tenant):
    client = sdk("OWNER")
    org_id = tenant.org.id

    added = client.organizations.add_member(
        org_id,
        email="New.Person@Example.com",
        role="ANNOTATOR",
        name="New Person",
        password="a-long-enough-passphrase-42",
    )
    found = client.organizations.list_members(org_id, email="new.person@example.com")
    updated = client.organizations.update_member(org_id, added.user.id, role=AccountRole.MEMBER)
    everyone = list(client.organizations.list_members(org_id, limit=2))
    client.organizations.remove_member(org_id, added.user.id)
    after = {m.user.id for m in client.organizations.list_members(org_id)}

    assert (added.user.email, added.role) == ("new.person@example.com", AccountRole.ANNOTATOR)
    assert [m.user.id for m in found] == [added.user.id]
    assert updated.role == AccountRole.MEMBER
    assert len(everyone) == 5 and len({m.user.id for m in everyone}) == 5
    assert added.user.id not in after and len(after) == 4


def test_adding_an_existing_member_is_a_conflict(sdk, tenant):
    with pytest.raises(ConflictError) as exc_info:
        sdk("OWNER").organizations.add_member(
            tenant.org.id, email=tenant.member.email, role="MEMBER"
        )

    err = exc_info.value
    assert (err.status_code, err.code) == (409, "conflict")
    assert err.fields == {"email": ["Already a member."]}


def test_an_api_key_secret_is_shown_once_and_works(sdk, tenant):
    client = sdk("MEMBER")

    created = client.api_keys.create(label="ci", description="for CI")
    fetched = client.api_keys.get(created.id)

    assert created.secret.startswith("adm_") and created.secret.startswith(created.prefix)
    assert type(fetched) is WireApiKey and not hasattr(fetched, "secret")
    assert fetched.label == "ci" and fetched.is_active
    assert sdk(key=created.secret).me.get().api_key_id == created.id


def test_api_keys_iterate_across_pages(sdk, tenant):
    client = sdk("MEMBER")  # a member sees their own keys: the fixture's and these four
    ids = {client.api_keys.create(label=f"key {i}").id for i in range(4)}
    ids |= set(ApiKey.objects.filter(user=tenant.member).values_list("id", flat=True))

    first = client.api_keys.list(limit=2)
    everything = list(client.api_keys.list(limit=2))

    assert len(first.items) == 2 and first.pagination.has_more and first.pagination.next_cursor
    assert len(everything) == 5
    assert {k.id for k in everything} == ids


def test_a_revoked_key_is_refused_with_api_key_revoked(sdk):
    client = sdk("OWNER")
    created = client.api_keys.create(label="short-lived")

    revoked = client.api_keys.revoke(created.id)
    with pytest.raises(AuthenticationError) as exc_info:
        sdk(key=created.secret).me.get()

    assert revoked.revoked_at is not None and revoked.is_active is False
    err = exc_info.value
    assert (err.status_code, err.code) == (401, "api_key_revoked")
    assert err.request_id.startswith("req_")
    assert created.id not in {k.id for k in client.api_keys.list()}
    assert created.id in {k.id for k in client.api_keys.list(include_revoked=True)}


def test_audit_list_and_iter_filter_the_log(sdk, tenant):
    client = sdk("ADMIN")
    for n in range(3):
        client.audit.record_custom("deploy.done", {"n": n})
    created = client.api_keys.create(label="audited")

    deploys = client.audit.list(action="custom.deploy.done")
    custom = list(client.audit.list(action="custom.", limit=2))
    by_actor = client.audit.list(actor=tenant.admin.email, action="api_key.create")
    by_target = client.audit.list(target=created.id)
    future = client.audit.list(since=datetime.now(UTC) + timedelta(hours=1))

    assert [e.details["params"]["n"] for e in deploys] == [2, 1, 0]  # newest first
    assert len(custom) == 3
    assert by_actor.items[0].target_id == created.id  # then the fixture's own key
    assert {(e.actor_id, e.action) for e in by_actor} == {(tenant.admin.id, "api_key.create")}
    assert [e.action for e in by_target] == ["api_key.create"]
    assert future.items == [] and not future.has_more


def test_record_custom_returns_the_event(sdk, tenant):
    event = sdk("MEMBER").audit.record_custom("report.viewed", {"report": "q1"})

    assert event.action == "custom.report.viewed"
    assert event.details == {"params": {"report": "q1"}}
    assert event.actor_id == tenant.member.id
    assert event.request_id.startswith("req_")


def test_errors_map_to_sdk_classes_with_code_fields_and_request_id(sdk, other_tenant):
    client = sdk("MEMBER")
    other_key = ApiKey.objects.filter(organization=other_tenant.org).first()

    with pytest.raises(NotFoundError) as not_found:
        client.api_keys.get(other_key.id)
    with pytest.raises(PermissionDeniedError) as forbidden:
        client.audit.list()
    with pytest.raises(UnprocessableEntityError) as invalid:
        client.api_keys.create(label="x" * 101)
    with pytest.raises(BadRequestError) as bad:
        client.me.switch_organization(other_tenant.org.id)

    assert (not_found.value.status_code, not_found.value.code) == (404, "not_found")
    assert (forbidden.value.status_code, forbidden.value.code) == (403, "permission_denied")
    assert invalid.value.code == "validation_error" and "label" in invalid.value.fields
    assert bad.value.status_code == 400
    for err in (not_found, forbidden, invalid, bad):
        assert err.value.request_id.startswith("req_")
        assert err.value.body["error"]["request_id"] == err.value.request_id


def test_permission_check(sdk, tenant):
    client = sdk("ADMIN")

    assert client.permissions.check(principal=tenant.member.email, action="audit.read") is False
    assert client.permissions.check(principal=tenant.owner.id, action="audit.read") is True


# --- jobs -------------------------------------------------------------------------------
def test_job_kinds_name_every_kind_with_its_label(sdk):
    kinds = sdk("MEMBER").jobs.kinds()

    by_name = {kind.name: kind for kind in kinds}
    assert by_name["audit_export"].label == "Audit log export"
    assert by_name["audit_export"].makes_file is True
    assert by_name["space_delete"].label == "Space deletion"
    assert [k.label.casefold() for k in kinds] == sorted(k.label.casefold() for k in kinds)


def test_wait_times_out_with_the_job_id_while_nobody_runs_the_job(sdk, worker_queue):
    client = sdk("ADMIN")  # worker_queue: the message goes to a queue no worker consumes
    job = client.audit.export(action="api_key.")

    with pytest.raises(JobTimeoutError) as exc_info:
        job.wait(timeout=0.5)

    assert isinstance(job, Job) and job.state == JobState.QUEUED
    assert exc_info.value.job_id == job.id
    assert client.jobs.peek(job.id).state == JobState.QUEUED
    # Aborting a queued job ends it at once; waiting resumes and returns it (no raise).
    client.jobs.abort(job.id)
    assert client.jobs.wait(exc_info.value.job_id, timeout=5).state == JobState.ABORTED


def test_a_retried_export_with_one_idempotency_key_is_one_job(sdk, worker_queue):
    client = sdk("ADMIN")

    first = client.audit.export(idempotency_key="nightly-2026-01-02")
    again = client.audit.export(idempotency_key="nightly-2026-01-02")
    other = client.audit.export()

    assert first.id == again.id != other.id
    mine = {j.id for j in client.jobs.list(mine=True, limit=1)}
    assert mine == {first.id, other.id}


@pytest.mark.worker
def test_audit_export_runs_to_completion_and_downloads(sdk, tenant, celery_worker_process):
    client = sdk("ADMIN")
    for n in range(3):
        client.audit.record_custom("export.me", {"n": n})

    job = client.audit.export(action="custom.export.me")
    final = client.jobs.wait(job.id, timeout=60)
    job.wait(timeout=5)

    assert final.state == JobState.SUCCEEDED and final.has_result
    assert job.state == JobState.SUCCEEDED  # the bound job updated itself
    rows = list(csv.DictReader(io.StringIO(client.jobs.download(job.id).decode())))
    assert sorted(r["action"] for r in rows) == ["custom.export.me"] * 3
    with client.jobs.open_download(job.id) as response:
        streamed = b"".join(response.iter_bytes())
    assert streamed == client.jobs.download(job.id)
    assert job.id in {j.id for j in client.jobs.list(state="SUCCEEDED")}
    assert client.jobs.download_items_csv(job.id).startswith(b"seq,status,key")
