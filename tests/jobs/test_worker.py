"""The jobs engine with a real Celery worker process (SPEC §6)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from adminapp.audit.models import AuditEvent
from adminapp.jobs.models import Job, JobItem
from adminapp.jobs.services import jobs_reap
from tests.helpers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def make_events(tenant, n: int) -> None:
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                organization=tenant.org,
                actor_type="user",
                actor_id=tenant.admin.id,
                actor_label=tenant.admin.email,
                action="test.event",
                target_type="thing",
                target_id=f"thing_{i}",
                details={"i": i},
            )
            for i in range(n)
        ],
        batch_size=1000,
    )


def start_export(client, tenant, **body):
    response = client.post(
        "/api/v1/audit/exports",
        data=body,
        content_type="application/json",
        **tenant.auth("ADMIN"),
    )
    assert response.status_code == 202, response.content
    return response.json()["id"]


def job_state(job_id: str) -> Job:
    return Job.objects.get(id=job_id)


def finished(job_id: str):
    job = job_state(job_id)
    return job if job.state in ("SUCCEEDED", "FAILED", "ABORTED") else None


def download_rows(client, tenant, job_id: str) -> list[dict]:
    response = client.get(f"/api/v1/jobs/{job_id}/download", **tenant.auth("ADMIN"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_export_runs_on_the_worker_and_the_csv_has_every_matching_event(
    client, tenant, celery_worker_process
):
    make_events(tenant, 120)
    job_id = start_export(client, tenant, action="test.event")

    job = wait_for(lambda: finished(job_id), timeout=60, message="export to finish")
    assert job.state == "SUCCEEDED", (job.error_code, job.error_message)
    assert job.progress_done == job.progress_total == 120
    rows = download_rows(client, tenant, job_id)
    assert len(rows) == 120
    assert {r["target_id"] for r in rows} == {f"thing_{i}" for i in range(120)}
    assert all(r["action"] == "test.event" for r in rows)

    api_job = client.get(f"/api/v1/jobs/{job_id}", **tenant.auth("ADMIN")).json()
    assert api_job["state"] == "SUCCEEDED"
    assert api_job["result"]["rows"] == 120


def test_a_redelivered_message_does_not_run_the_job_twice(client, tenant, celery_worker_process):
    from adminapp.jobs.services import job_publish

    make_events(tenant, 10)
    job_id = start_export(client, tenant)
    wait_for(lambda: finished(job_id), message="export to finish")
    job_publish(job_id=job_id)  # a duplicate delivery of the same message
    handled = re.compile(rf"Task adminapp\.jobs\.run\[{job_id}\.\w+\] succeeded")
    wait_for(
        lambda: len(handled.findall(celery_worker_process.logs())) == 2,
        message="the worker to have handled the duplicate too",
    )
    job = job_state(job_id)
    assert job.state == "SUCCEEDED"
    assert job.attempts == 1
    assert f"Job {job_id} is not claimable" in celery_worker_process.logs()


def _exactly_once(client, tenant, job_id: str, done_before: int) -> None:
    job = wait_for(lambda: finished(job_id), message="export to finish on the second worker")
    assert job.state == "SUCCEEDED", job.error_message
    assert job.attempts == 2
    assert done_before < 400
    rows = download_rows(client, tenant, job_id)
    # Resumed from the checkpoint: every event exactly once, none written twice.
    assert len(rows) == 400
    assert len({r["id"] for r in rows}) == 400
    assert JobItem.objects.filter(job_id=job_id).count() == 20


def test_a_killed_workers_job_is_taken_up_by_the_next_worker_as_it_starts(
    client, tenant, celery_workers
):
    """Its process is gone from this host: no waiting for the heartbeat timeout (120 s
    here) or for beat's reaper — the next worker to start re-queues it."""
    make_events(tenant, 400)
    first = celery_workers.start({"AUDIT_EXPORT_CHUNK": "20", "JOB_CHUNK_DELAY_MS": "150"})
    job_id = start_export(client, tenant, action="test.event")
    wait_for(lambda: job_state(job_id).progress_done >= 60, message="some chunks done")
    celery_workers.kill(first)
    done_before = job_state(job_id).progress_done
    assert job_state(job_id).state == "RUNNING"

    celery_workers.start({"AUDIT_EXPORT_CHUNK": "20"})

    _exactly_once(client, tenant, job_id, done_before)


def test_a_killed_workers_job_on_another_host_is_finished_by_another_after_the_reaper_runs(
    client, tenant, celery_workers, settings
):
    make_events(tenant, 400)
    slow = {"AUDIT_EXPORT_CHUNK": "20", "JOB_CHUNK_DELAY_MS": "150"}
    first = celery_workers.start(slow)
    job_id = start_export(client, tenant, action="test.event")
    wait_for(lambda: job_state(job_id).progress_done >= 60, message="some chunks done")
    celery_workers.kill(first)
    done_before = job_state(job_id).progress_done
    assert job_state(job_id).state == "RUNNING"
    # As if it had run on another machine: from here its death cannot be seen.
    Job.objects.filter(id=job_id).update(worker="another-host:4242")

    celery_workers.start({"AUDIT_EXPORT_CHUNK": "20"})
    assert job_state(job_id).state == "RUNNING"
    # Once its heartbeat is more than a second old, the reaper requeues it.
    wait_for(
        lambda: job_state(job_id).heartbeat_at < timezone.now() - timedelta(seconds=1),
        message="the dead worker's heartbeat to be a second old",
    )
    report = jobs_reap(heartbeat_timeout=1)
    assert report.requeued == [job_id]

    _exactly_once(client, tenant, job_id, done_before)


def test_an_aborted_job_stops_between_chunks_and_keeps_its_outcomes(client, tenant, celery_workers):
    make_events(tenant, 400)
    celery_workers.start({"AUDIT_EXPORT_CHUNK": "20", "JOB_CHUNK_DELAY_MS": "150"})
    job_id = start_export(client, tenant, action="test.event")
    wait_for(lambda: job_state(job_id).progress_done >= 40, message="some chunks done")

    response = client.post(f"/api/v1/jobs/{job_id}/abort", **tenant.auth("ADMIN"))
    assert response.status_code == 200
    assert response.json()["abort_requested"] is True

    job = wait_for(lambda: finished(job_id), message="the job to stop")
    assert job.state == "ABORTED"
    kept = JobItem.objects.filter(job_id=job_id).count()
    assert 2 <= kept < 20
    assert job.progress_done == kept * 20
    items = client.get(f"/api/v1/jobs/{job_id}/items?limit=100", **tenant.auth("ADMIN")).json()
    assert len(items["items"]) == kept
    # An aborted export has no file to download.
    response = client.get(f"/api/v1/jobs/{job_id}/download", **tenant.auth("ADMIN"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_result_file"


def test_a_job_whose_enqueue_failed_runs_once_the_reaper_republishes_it(
    client, tenant, celery_worker_process
):
    from adminapp.celery_app import app

    make_events(tenant, 5)
    real_broker = app.conf.broker_url, app.conf.broker_transport
    try:
        _switch_broker(app, "redis://127.0.0.1:1/0", None)  # nothing listens: "broker down"
        job_id = start_export(client, tenant)
    finally:
        _switch_broker(app, *real_broker)
    # A job sent after it to the same queue (the broker is back) runs: had the export's
    # message reached the queue, the worker would have taken it first.
    from tests.jobs.kinds import CountIO

    later = _count_job(tenant, CountIO, n=1)
    assert wait_for(lambda: finished(later), message="the later job").state == "SUCCEEDED"
    job = job_state(job_id)
    assert job.state == "QUEUED"
    assert job.published_at is None

    report = jobs_reap(queued_grace=0)
    assert job_id in report.republished
    job = wait_for(lambda: finished(job_id), message="the republished job to finish")
    assert job.state == "SUCCEEDED"


def _switch_broker(app, url: str, transport: str | None) -> None:
    app.conf.broker_url = url
    app.conf.broker_transport = transport
    app._pool = None
    app.amqp._producer_pool = None


# --- the engine's guarantees with real processes, on the test kind --------------------------
def _count_job(tenant, kind=None, actor=None, **params):
    from adminapp.jobs.services import job_create
    from tests.jobs.kinds import Count

    job, _ = job_create(actor=actor or tenant.principal("ADMIN"), kind=kind or Count, params=params)
    return job.id


def _applied(job_id: str) -> Counter:
    from tests.jobs.kinds import APPLIED

    targets = AuditEvent.objects.filter(action=APPLIED, target_id__startswith=f"{job_id}:")
    return Counter(int(t.split(":")[1]) for t in targets.values_list("target_id", flat=True))


def test_each_kind_runs_on_its_queue_and_only_a_worker_of_that_queue_takes_it(
    tenant, celery_workers
):
    from adminapp.jobs.kinds import Queue
    from tests.jobs.kinds import CountBulk, CountIO

    celery_workers.start(queues=(Queue.BULK,))
    io = _count_job(tenant, CountIO, n=3)  # first: a worker taking every queue would run it
    bulk = _count_job(tenant, CountBulk, n=3)
    assert wait_for(lambda: finished(bulk), message="the bulk job on the bulk worker").state == (
        "SUCCEEDED"
    )
    io_job = job_state(io)
    assert io_job.state == "QUEUED" and io_job.published_at is not None  # sent, not taken

    celery_workers.start(queues=(Queue.IO,))
    assert wait_for(lambda: finished(io), message="the io job on the io worker").state == (
        "SUCCEEDED"
    )


def test_a_killed_worker_mid_chunk_loses_nothing_and_applies_nothing_twice(tenant, celery_workers):
    first = celery_workers.start({"JOB_CHUNK_DELAY_MS": "200"})
    job_id = _count_job(tenant, n=200, per_chunk=5)
    wait_for(lambda: job_state(job_id).progress_done >= 30, message="some chunks done")
    celery_workers.kill(first)
    assert job_state(job_id).state == "RUNNING"

    celery_workers.start()  # re-queues it as it starts: the first one's process is gone
    job = wait_for(lambda: finished(job_id), message="the job to finish on the second worker")
    assert (job.state, job.outcome, job.attempts) == ("SUCCEEDED", "SUCCESS", 2)
    assert _applied(job_id) == Counter(range(1, 201))  # every item, each exactly once
    assert JobItem.objects.filter(job_id=job_id).count() == 200
    assert job.items_succeeded == 200


def test_revoking_the_owners_key_while_the_job_runs_fails_it_at_the_next_chunk(
    client, tenant, celery_workers
):
    from adminapp.accounts import principals
    from adminapp.accounts.models import ApiKey
    from adminapp.core import crypto

    key = ApiKey.objects.get(digest=crypto.digest(tenant.keys["ADMIN"]))
    actor = principals.for_user(tenant.admin, org_id=tenant.org.id, role="ADMIN", key_id=key.id)
    celery_workers.start({"JOB_CHUNK_DELAY_MS": "200"})
    job_id = _count_job(tenant, actor=actor, n=200, per_chunk=5)
    wait_for(lambda: job_state(job_id).progress_done >= 10, message="the job under way")

    revoked = client.post(f"/api/v1/api-keys/{key.id}/revoke", **tenant.auth("OWNER"))
    assert revoked.status_code == 200
    job = wait_for(lambda: finished(job_id), message="the job to stop")
    assert (job.state, job.error_code) == ("FAILED", "owner_credential_revoked")
    assert 10 <= job.progress_done < 200
    assert _applied(job_id) == Counter(range(1, job.progress_done + 1))


def test_a_worker_on_a_media_root_the_web_process_cannot_see_makes_it_not_ready(
    client, celery_workers, tmp_path
):
    from adminapp.jobs.models import WorkerProbe

    proc = celery_workers.start({"MEDIA_ROOT": str(tmp_path / "elsewhere")})
    wait_for(lambda: WorkerProbe.objects.exists(), message="the worker's probe")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "elsewhere" in ready.json()["checks"]["media"]

    celery_workers.stop()  # a clean stop takes its probe away
    assert proc.returncode == 0  # stopped, not killed
    assert not WorkerProbe.objects.exists()
    celery_workers.start()  # the shared MEDIA_ROOT
    wait_for(lambda: WorkerProbe.objects.exists(), message="the worker's probe")
    assert client.get("/readyz").json()["checks"]["media"] == "ok"


def test_a_worker_keeps_its_database_connection_from_one_job_to_the_next(tenant, celery_workers):
    """Celery's Django fixup closes every connection around every task; Django's own rules
    (CONN_MAX_AGE, health checks) decide here, as for requests, so one worker process reuses
    one PostgreSQL session for job after job."""
    from django.db import connection

    from tests.jobs.kinds import Session

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server session (and CONN_MAX_AGE=0 closes it anyway)")
    celery_workers.start()
    pids = []
    for _ in range(3):
        job_id = _count_job(tenant, Session)
        job = wait_for(lambda job_id=job_id: finished(job_id), message="the session job")
        assert job.state == "SUCCEEDED"
        pids.append(job.result["backend_pid"])
    assert pids[0] and len(set(pids)) == 1, pids
