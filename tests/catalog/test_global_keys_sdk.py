"""``client.global_keys``: in-process (the dashboard's transport, files streamed through
Django's multipart parser) with the jobs run here by ``job_run``, and over real HTTP against
a live server with a real worker running them."""

from __future__ import annotations

import io

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from adminapp.api.inprocess import client_for_request
from adminapp.catalog.models import DataRow
from adminapp.client import AdminClient, FileUpload, JobOutcome, JobTimeoutError
from adminapp.client._transport import CHUNK_SIZE
from adminapp.client.types import GlobalKeyAssignItem, JobState
from adminapp.jobs.engine import job_run
from tests.catalog.factories import make_dataset, make_rows
from tests.spaces.factories import make_space


def keys_of(rows) -> list[str | None]:
    found = dict(
        DataRow.objects.filter(id__in=[r.id for r in rows]).values_list("id", "global_key")
    )
    return [found.get(r.id) for r in rows]


# --- in-process -----------------------------------------------------------------------------
@pytest.fixture
def dashboard(client, tenant):
    """The SDK as the dashboard gets it: in-process, acting as the signed-in admin."""
    client.force_login(tenant.admin)
    request = RequestFactory().post("/")
    request.session = SessionStore(session_key=client.session.session_key)
    request.user = tenant.admin
    return client_for_request(request)


class CountingReads(io.BytesIO):
    """A file that records the largest single read asked of it."""

    largest = 0

    def read(self, size=-1):
        data = super().read(size)
        self.largest = max(self.largest, len(data))
        return data


@pytest.mark.django_db
def test_a_file_streams_in_process_and_its_lookup_results_come_back_in_order(dashboard, tenant):
    rows = make_rows(dataset=make_dataset(space=make_space(tenant, "S")), n=2, keys=["a", "B"])
    pad = "x" * 90
    keys = [f"{n:06d}-{pad}" for n in range(12_000)]  # about 1.2 MB: more than one read
    keys[5], keys[11_000] = "A", "b"
    source = CountingReads(b"".join(f'"{k}"\n'.encode() for k in keys))
    source.name = "keys.jsonl"

    job = dashboard.global_keys.lookup_file(source)
    assert job.state == JobState.QUEUED and job.params["items"] == len(keys)
    job_run(job_id=job.id)
    found = dashboard.global_keys.lookup_result(job, timeout_seconds=10)

    assert source.largest <= CHUNK_SIZE  # streamed, never read whole
    assert found.status == JobOutcome.SUCCESS and found.job_id == job.id
    assert len(found.results) == len(keys) and found.errors == []
    assert (found.results[5], found.results[11_000]) == (rows[0].id, rows[1].id)
    assert [r for r in found.results if r is not None] == [rows[0].id, rows[1].id]


@pytest.mark.django_db
def test_assign_file_with_options_and_a_timeout_that_resumes_by_job_id(dashboard, tenant, tmp_path):
    rows = make_rows(dataset=make_dataset(space=make_space(tenant, "S")), n=3)
    path = tmp_path / "pairs.csv"
    path.write_text(
        "data_row_id,global_key\n"
        f"{rows[0].id},first\n{rows[1].id},bad\u0007key\n{rows[2].id},FIRST\n"
    )

    preview = dashboard.global_keys.assign_file(path, on_invalid="sanitize", dry_run=True)
    with pytest.raises(JobTimeoutError) as exc_info:
        dashboard.global_keys.assign_result(preview, timeout_seconds=0.3)  # nobody runs it
    assert exc_info.value.job_id == preview.id
    job_run(job_id=preview.id)
    resumed = dashboard.jobs.get(exc_info.value.job_id).wait(timeout=5)
    outcome = dashboard.global_keys.assign_result(resumed.id)

    assert resumed.params["on_invalid"] == "sanitize" and resumed.params["dry_run"] is True
    assert outcome.status == JobOutcome.PARTIAL_SUCCESS and outcome.dry_run is True
    assert [(r.data_row_id, r.global_key, r.sanitized) for r in outcome.results] == [
        (rows[0].id, "first", False),
        (rows[1].id, "bad_key", True),
    ]
    assert [(e.position, e.code, e.input) for e in outcome.errors] == [
        (2, "DUPLICATE_IN_REQUEST", GlobalKeyAssignItem(data_row_id=rows[2].id, global_key="FIRST"))
    ]
    assert keys_of(rows) == [None, None, None]  # a preview changes nothing


def test_a_file_upload_is_one_known_length_body_that_can_be_sent_again(tmp_path):
    path = tmp_path / "k.csv"
    path.write_bytes(b"global_key\n" + b"k\n" * 100_000)
    upload = FileUpload(path, fields={"dry_run": "true"}, content_type="text/csv")

    first, again = upload.open(), upload.open()
    chunks = list(first)
    body = b"".join(chunks)

    assert len(body) == len(upload) == len(first)
    assert max(len(c) for c in chunks) <= CHUNK_SIZE
    assert body.startswith(f"--{upload.boundary}\r\n".encode())
    assert b'name="dry_run"\r\n\r\ntrue\r\n' in body
    assert b'name="file"; filename="k.csv"\r\nContent-Type: text/csv\r\n\r\nglobal_key\nk\n' in body
    assert body.endswith(f"\r\n--{upload.boundary}--\r\n".encode())
    assert again.read() == body  # a retry sends it whole again
    with pytest.raises(TypeError):
        FileUpload(iter([b"not a file"]))


# --- over HTTP, with a real worker ------------------------------------------------------------
@pytest.fixture
def sdk(live_server, tenant):
    clients: list[AdminClient] = []

    def make(role: str = "ADMIN") -> AdminClient:
        client = AdminClient(api_key=tenant.keys[role], base_url=live_server.url)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.mark.live
@pytest.mark.worker
def test_round_trip_assign_lookup_exists_clear_and_revert(
    sdk, tenant, celery_worker_process, tmp_path
):
    client = sdk("ADMIN")
    rows = make_rows(
        dataset=make_dataset(space=make_space(tenant, "S")), n=4, keys=[None] * 3 + ["held"]
    )
    inputs = [
        {"data_row_id": rows[0].id, "global_key": "Alpha"},
        GlobalKeyAssignItem(data_row_id=rows[1].id, global_key="beta"),
        {"data_row_id": "dr_missing", "global_key": "gamma"},
        {"data_row_id": rows[2].id, "global_key": "HELD"},
        {"data_row_id": rows[2].id, "global_key": "ALPHA"},
    ]

    preview = client.global_keys.assign(inputs, dry_run=True)
    assigned = client.global_keys.assign(inputs)
    taken = client.jobs.get(assigned.job_id).items(error_code="KEY_TAKEN")

    for outcome in (preview, assigned):
        assert outcome.status == JobOutcome.PARTIAL_SUCCESS
        assert [(r.data_row_id, r.global_key) for r in outcome.results] == [
            (rows[0].id, "Alpha"),
            (rows[1].id, "beta"),
        ]
        assert [(e.position, e.code, e.input) for e in outcome.errors] == [
            (
                2,
                "DATA_ROW_NOT_FOUND",
                GlobalKeyAssignItem(data_row_id="dr_missing", global_key="gamma"),
            ),
            (3, "KEY_TAKEN", GlobalKeyAssignItem(data_row_id=rows[2].id, global_key="HELD")),
            (
                4,
                "DUPLICATE_IN_REQUEST",
                GlobalKeyAssignItem(data_row_id=rows[2].id, global_key="ALPHA"),
            ),
        ]
        assert all(e.message for e in outcome.errors)
    assert (preview.dry_run, assigned.dry_run) == (True, False)
    assert assigned.counts == {
        "SUCCESS": 2,
        "DATA_ROW_NOT_FOUND": 1,
        "KEY_TAKEN": 1,
        "DUPLICATE_IN_REQUEST": 1,
    }
    assert [i.seq for i in taken] == [3]
    assert keys_of(rows) == ["Alpha", "beta", None, "held"]

    looked = client.global_keys.lookup(["BETA", "nope", "alpha", "beta"])
    assert looked.status == JobOutcome.SUCCESS
    assert looked.results == [rows[1].id, None, rows[0].id, rows[1].id]
    assert client.global_keys.exists(["held", "nope", "ALPHA"]) == [True, False, True]

    cleared = client.global_keys.clear(["beta", "never"])
    assert [(c.global_key, c.data_row_id) for c in cleared.results] == [("beta", rows[1].id)]
    assert [(e.code, e.input) for e in cleared.errors] == [("NOT_FOUND", "never")]
    assert keys_of(rows) == ["Alpha", None, None, "held"]

    uncleared = client.global_keys.revert(cleared.job_id)
    assert uncleared.status == JobOutcome.SUCCESS
    assert [(r.data_row_id, r.global_key) for r in uncleared.results] == [(rows[1].id, "beta")]
    DataRow.objects.filter(id=rows[0].id).update(global_key="changed-since")
    reverted = client.global_keys.revert(assigned.job_id)
    assert reverted.status == JobOutcome.PARTIAL_SUCCESS
    assert [(r.data_row_id, r.global_key) for r in reverted.results] == [(rows[1].id, None)]
    assert [(e.code, e.input) for e in reverted.errors] == [("CONFLICT", rows[0].id)]

    path = tmp_path / "pairs.csv"
    path.write_text(f"data_row_id,global_key\n{rows[2].id},from-a-file\n")
    job = client.global_keys.assign_file(path)
    from_file = client.global_keys.assign_result(job, timeout_seconds=60)
    assert from_file.status == JobOutcome.SUCCESS
    assert keys_of(rows)[2] == "from-a-file"


@pytest.mark.live
def test_assign_times_out_with_the_job_id_while_nobody_runs_it(sdk, tenant, worker_queue):
    client = sdk("ADMIN")
    rows = make_rows(dataset=make_dataset(space=make_space(tenant, "S")), n=1)

    with pytest.raises(JobTimeoutError) as exc_info:
        client.global_keys.assign(
            [{"data_row_id": rows[0].id, "global_key": "k"}], timeout_seconds=0.3
        )

    job = client.jobs.get(exc_info.value.job_id)
    assert job.kind == "global_key_assign" and job.state == JobState.QUEUED
    assert client.global_keys.lookup_async(["k"]).kind == "global_key_lookup"
