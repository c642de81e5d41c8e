"""Creating, aborting and reaping jobs, without a worker: idempotency, abort, the reaper,
Celery's settings (the engine's run loop: ``test_engine.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from pydantic import ValidationError

from adminapp.client.types import AuditFilterParams
from adminapp.core.errors import Conflict, ValidationFailed
from adminapp.exports.services import audit_export_start
from adminapp.jobs.engine import job_claim
from adminapp.jobs.models import Job, JobState
from adminapp.jobs.services import job_abort, job_create, jobs_reap
from tests.jobs.kinds import Count, CountBulk

pytestmark = pytest.mark.django_db


def make_job(tenant, **fields) -> Job:
    defaults = {
        "organization": tenant.org,
        "kind": Count.name,
        "owner_id": tenant.admin.id,
        "params": {"n": 1},
    }
    return Job.objects.create(**{**defaults, **fields})


def test_celery_protects_long_work_with_late_acks_prefetch_one_and_ordered_time_limits():
    from adminapp.celery_app import app

    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit < conf.task_time_limit < settings.CELERY_VISIBILITY_TIMEOUT
    assert {q.name for q in conf.task_queues} == {
        "default",
        f"{settings.JOB_QUEUE_PREFIX}jobs.default",
        f"{settings.JOB_QUEUE_PREFIX}jobs.bulk",
        f"{settings.JOB_QUEUE_PREFIX}jobs.io",
    }
    assert conf.beat_schedule["jobs-reaper"]["schedule"] == 30.0
    if settings.CELERY_BROKER_URL.startswith("redis"):
        assert (
            conf.broker_transport_options["visibility_timeout"]
            == settings.CELERY_VISIBILITY_TIMEOUT
        )


def test_a_job_is_claimed_once_so_a_second_delivery_is_a_no_op(tenant):
    job = make_job(tenant)
    first = job_claim(job_id=job.id)
    second = job_claim(job_id=job.id)
    assert first is not None and first.state == JobState.RUNNING and first.attempts == 1
    assert second is None
    assert Job.objects.get(id=job.id).attempts == 1


def test_the_same_idempotency_key_returns_the_same_job(tenant):
    actor = tenant.principal("ADMIN")
    first, created = job_create(actor=actor, kind=Count, params={"n": 3}, idempotency_key="abc-1")
    again, created_again = job_create(
        actor=actor, kind=Count, params={"n": 3}, idempotency_key="abc-1"
    )
    assert created and not created_again
    assert again.id == first.id
    assert Job.objects.filter(organization=tenant.org).count() == 1


def test_the_callers_audit_events_are_written_with_the_jobs_only_when_it_is_created(tenant):
    from adminapp.audit.models import AuditEvent

    actor = tenant.principal("ADMIN")
    asked = [{"action": "count.requested", "details": {"n": 3}}]
    job, _ = job_create(
        actor=actor, kind=Count, params={"n": 3}, idempotency_key="abc-2", audit=asked
    )
    job_create(actor=actor, kind=Count, params={"n": 3}, idempotency_key="abc-2", audit=asked)
    events = AuditEvent.objects.filter(target_id=job.id).order_by("action")
    assert [(e.action, e.target_type, e.details, e.actor_id) for e in events] == [
        ("count.requested", "job", {"n": 3}, actor.actor_id),
        ("job.create", "job", {"kind": Count.name}, actor.actor_id),
    ]


def test_an_idempotency_key_is_per_principal(tenant):
    a, _ = job_create(
        actor=tenant.principal("ADMIN"), kind=Count, params={"n": 1}, idempotency_key="k1"
    )
    b, _ = job_create(
        actor=tenant.principal("OWNER"), kind=Count, params={"n": 1}, idempotency_key="k1"
    )
    assert a.id != b.id


def test_an_unknown_kind_bad_params_or_overlong_key_is_refused_and_nothing_is_written(tenant):
    actor = tenant.principal("ADMIN")
    with pytest.raises(ValidationFailed):
        job_create(actor=actor, kind="nope")
    with pytest.raises(ValidationError):
        job_create(actor=actor, kind=Count, params={"n": "many"})
    with pytest.raises(ValidationFailed):
        job_create(actor=actor, kind=Count, params={"n": 1}, idempotency_key="x" * 129)
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("kind", "params"), [(CountBulk, {"n": 1}), (Count, {"n": 2})], ids=["kind", "params"]
)
def test_an_idempotency_key_reused_for_another_request_is_a_conflict(tenant, kind, params):
    actor = tenant.principal("ADMIN")
    first, _ = job_create(actor=actor, kind=Count, params={"n": 1}, idempotency_key="same")
    with pytest.raises(Conflict) as exc_info:
        job_create(actor=actor, kind=kind, params=params, idempotency_key="same")
    assert exc_info.value.code == "idempotency_key_reused"
    assert exc_info.value.details == {"job_id": first.id}
    assert Job.objects.count() == 1


def test_aborting_a_queued_job_finishes_it_at_once(tenant):
    job = make_job(tenant)
    aborted = job_abort(actor=tenant.principal("ADMIN"), job_id=job.id)
    assert aborted.state == JobState.ABORTED
    assert aborted.finished_at is not None
    assert job_claim(job_id=job.id) is None  # a late delivery does not run it


def test_aborting_a_running_job_asks_the_worker_to_stop(tenant):
    job = make_job(tenant)
    job_claim(job_id=job.id)
    aborted = job_abort(actor=tenant.principal("ADMIN"), job_id=job.id)
    assert aborted.state == JobState.RUNNING
    assert aborted.abort_requested is True


def test_aborting_a_finished_job_changes_nothing(tenant):
    job = make_job(tenant, state=JobState.SUCCEEDED, finished_at=timezone.now())
    assert job_abort(actor=tenant.principal("ADMIN"), job_id=job.id).state == JobState.SUCCEEDED


def test_the_reaper_requeues_a_running_job_whose_heartbeat_stopped(tenant):
    stale = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 5)
    job = make_job(tenant, state=JobState.RUNNING, attempts=1, heartbeat_at=stale)
    fresh = make_job(tenant, state=JobState.RUNNING, attempts=1, heartbeat_at=timezone.now())
    report = jobs_reap()
    assert report.requeued == [job.id]
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.state == JobState.QUEUED
    assert fresh.state == JobState.RUNNING


def test_the_reaper_fails_a_job_after_the_attempt_limit(tenant):
    stale = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 5)
    job = make_job(
        tenant, state=JobState.RUNNING, attempts=settings.JOB_MAX_ATTEMPTS, heartbeat_at=stale
    )
    report = jobs_reap()
    job.refresh_from_db()
    assert report.failed == [job.id]
    assert job.state == JobState.FAILED
    assert job.error_code == "worker_lost"
    assert str(settings.JOB_MAX_ATTEMPTS) in job.error_message


def test_the_reaper_republishes_queued_jobs_nobody_picked_up_after_the_grace_period(tenant):
    old = make_job(tenant)
    Job.objects.filter(id=old.id).update(
        created_at=timezone.now() - timedelta(seconds=settings.JOB_QUEUED_GRACE + 5)
    )
    young = make_job(tenant)
    report = jobs_reap()
    assert report.republished == [old.id]
    assert young.id not in report.republished
    old.refresh_from_db()
    assert old.published_at is not None


def test_a_member_cannot_export_the_audit_log_and_no_job_is_created(tenant):
    from adminapp.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        audit_export_start(actor=tenant.principal("MEMBER"), filters=AuditFilterParams())
    assert not Job.objects.exists()


def test_starting_a_job_is_audited_with_its_kind(tenant):
    from adminapp.audit.models import AuditEvent

    job = audit_export_start(actor=tenant.principal("ADMIN"), filters=AuditFilterParams())
    event = AuditEvent.objects.get(action="job.create", target_id=job.id)
    assert event.details == {"kind": "audit_export"}
    assert event.actor_id == tenant.admin.id
