"""Creating, publishing, aborting and reaping jobs (SPEC §6, STYLE 13). Running them is the
engine's (``adminapp.jobs.engine``).

``job_create`` writes a QUEUED row and publishes its id after commit, to its kind's queue;
``jobs_reap`` (beat, every JOB_REAPER_INTERVAL s) re-publishes work that was lost: QUEUED
rows nobody picked up and RUNNING rows whose heartbeat stopped, failing a job after
``JOB_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from pydantic import BaseModel

from adminapp.accounts import principals
from adminapp.audit.services import audit_record, audit_records
from adminapp.core.errors import Conflict, ValidationFailed
from adminapp.core.principal import Principal
from adminapp.jobs import kinds
from adminapp.jobs.engine import job_cleanup
from adminapp.jobs.kinds import JobKind, Queue
from adminapp.jobs.models import TERMINAL_STATES, Job, JobState, outcome_of
from adminapp.jobs.workers import gone

logger = logging.getLogger("adminapp.jobs")

IDEMPOTENCY_KEY_MAX = 128
RUN_TASK = "adminapp.jobs.run"  # adminapp.jobs.tasks.run_job


def queue_name(queue: Queue | str) -> str:
    """The broker queue of a kind's queue (``JOB_QUEUE_PREFIX`` namespaces them, so that
    several installations, or a test run, can share one broker)."""
    return f"{settings.JOB_QUEUE_PREFIX}{queue}"


def _kind(kind: type[JobKind] | JobKind | str) -> JobKind:
    name = kind if isinstance(kind, str) else kind.name
    found = kinds.get(name)
    if found is None:
        raise ValidationFailed(f"Unknown job kind {name!r}.", fields={"kind": ["Unknown."]})
    return found


# --- creating and publishing ------------------------------------------------------------
def job_create(
    *,
    actor: Principal,
    kind: type[JobKind] | JobKind | str,
    params: BaseModel | dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    audit: Sequence[dict[str, Any]] = (),
) -> tuple[Job, bool]:
    """Create a QUEUED job of ``kind`` and publish it once the transaction commits.
    ``audit``: the caller's own events about the new job (each a dict of
    ``audit_record``'s keywords; ``target_type`` and ``target_id`` default to the job),
    written with its ``job.create`` event in one INSERT, only when the job is created.

    Returns ``(job, created)``. With an ``idempotency_key`` this principal already used for
    the same request (same kind and parameters), the earlier job is returned instead
    (``created`` False), so a retried POST never starts the work twice; the same key for
    another request is a 409. Call it inside the domain service that checked permissions.
    """
    job_kind = _kind(kind)
    if not isinstance(params, BaseModel):
        params = job_kind.Params.model_validate(params or {})
    params_json = params.model_dump(mode="json")
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationFailed(
            f"Idempotency-Key is limited to {IDEMPOTENCY_KEY_MAX} characters.",
            fields={"Idempotency-Key": [f"At most {IDEMPOTENCY_KEY_MAX} characters."]},
        )
    owner = principals.owner_of(actor)
    if idempotency_key:
        earlier = job_for_idempotency_key(actor=actor, idempotency_key=idempotency_key)
        if earlier is not None:
            return _same_request(earlier, job_kind.name, params_json), False
    try:
        # A savepoint only where a concurrent request with the same key can make the INSERT
        # fail and the earlier job must then be read in the caller's transaction.
        with transaction.atomic(savepoint=bool(idempotency_key)):
            job = Job.objects.create(
                organization_id=actor.org_id,
                kind=job_kind.name,
                owner_type=owner.kind,
                owner_id=owner.id,
                owner_label=owner.label,
                credential_id=owner.credential_id,
                params=params_json,
                idempotency_key=idempotency_key,
                request_id=actor.request_id or "",
                stage="queued",
                progress_total=job_kind.total,  # a plan known before it runs, if any
                # Published as this commits (below): written now, not by an UPDATE after
                # the publish; a publish that fails sets it back to None.
                published_at=timezone.now(),
            )
            about_job = {"target_type": "job", "target_id": job.id}
            audit_records(
                actor=actor,
                events=[
                    {**about_job, "action": "job.create", "details": {"kind": job_kind.name}},
                    *({**about_job, **event} for event in audit),
                ],
            )
            transaction.on_commit(
                lambda: job_publish(job_id=job.id, kind=job_kind.name, stamped=True)
            )
    except IntegrityError:
        # Two concurrent requests with one Idempotency-Key: the other one won.
        earlier = job_for_idempotency_key(actor=actor, idempotency_key=idempotency_key)
        if earlier is None:
            raise
        return _same_request(earlier, job_kind.name, params_json), False
    return job, True


def job_for_idempotency_key(*, actor: Principal, idempotency_key: str) -> Job | None:
    """The job this principal started with this Idempotency-Key, if any."""
    if not idempotency_key:
        return None
    return Job.objects.filter(
        organization_id=actor.org_id,
        owner_id=principals.owner_of(actor).id,
        idempotency_key=idempotency_key,
    ).first()


def idempotency_key_reused(job: Job) -> Conflict:
    """An Idempotency-Key belongs to one request (Stripe's rule): the same key with another
    kind of job or other parameters is refused, never answered with the first job."""
    return Conflict(
        f"This Idempotency-Key was already used for another request (job {job.id}); "
        "send a new key for a new request.",
        code="idempotency_key_reused",
        fields={"Idempotency-Key": ["Already used for another request."]},
        details={"job_id": job.id},
    )


def _same_request(job: Job, kind: str, params: dict[str, Any]) -> Job:
    if job.kind != kind or job.params != params:
        raise idempotency_key_reused(job)
    return job


def job_publish(*, job_id: str, kind: str | None = None, stamped: bool = False) -> bool:
    """Send the job's id to its kind's queue and stamp ``published_at``. A failure is only
    logged and leaves ``published_at`` None: the row stays QUEUED and the reaper publishes
    it again, so a broker outage delays work but never loses it.

    ``stamped``: a new job, whose row was written with ``published_at`` (its publish
    follows its commit), so a publish that works writes nothing more. Should the process
    die between the commit and the publish, the stamp is as old as the job itself, and the
    reaper, which takes QUEUED jobs created and published before its grace period, takes
    it up exactly as it would an unstamped one."""
    if kind is None:
        kind = Job.objects.filter(id=job_id).values_list("kind", flat=True).first() or ""
    job_kind = kinds.get(kind)
    queue = queue_name(job_kind.queue if job_kind else Queue.DEFAULT)
    try:
        # The task id starts with the job's, so Celery's own log lines name the job too.
        task_id = f"{job_id}.{uuid.uuid4().hex[:8]}"
        current_app.send_task(RUN_TASK, args=[job_id], queue=queue, task_id=task_id)
    except Exception:  # noqa: BLE001 - any broker failure is recoverable by the reaper
        logger.warning("Could not publish job %s; the reaper will retry", job_id, exc_info=True)
        if stamped:
            Job.objects.filter(id=job_id, state=JobState.QUEUED).update(published_at=None)
        return False
    if not stamped:
        Job.objects.filter(id=job_id, state=JobState.QUEUED).update(published_at=timezone.now())
    return True


# --- abort ------------------------------------------------------------------------------
@transaction.atomic
def job_abort(*, actor: Principal, job_id: str) -> Job:
    """QUEUED → ABORTED at once; RUNNING → abort requested (the worker stops at its next
    chunk boundary and keeps the outcomes recorded so far); finished jobs are unchanged."""
    from adminapp.jobs.selectors import job_get

    job = job_get(actor=actor, job_id=job_id)
    if job.state in TERMINAL_STATES:
        return job
    aborted_queued = Job.objects.filter(id=job.id, state=JobState.QUEUED).update(
        state=JobState.ABORTED,
        outcome=outcome_of(JobState.ABORTED, succeeded=0, failed=0),
        abort_requested=True,
        finished_at=timezone.now(),
        stage="aborted",
        message="Aborted before it started.",
    )
    Job.objects.filter(id=job.id, state=JobState.RUNNING).update(
        abort_requested=True, message="Abort requested; stopping after the current chunk."
    )
    if aborted_queued:  # a requeued job may have kept something from its earlier run
        transaction.on_commit(lambda: job_cleanup(job_id=job.id, kind=job.kind))
    audit_record(
        actor=actor,
        action="job.abort",
        target_type="job",
        target_id=job.id,
        details={"kind": job.kind},
    )
    job.refresh_from_db()
    return job


# --- reaper -------------------------------------------------------------------------------
@dataclass
class ReapReport:
    republished: list[str] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _lost_running(stale):
    """``(job, its conditional update)`` for every RUNNING job whose worker is lost: its
    heartbeat stopped before ``stale``, or its process is gone from this host
    (``jobs.workers.gone``). The update applies only while the job is still that attempt
    (and, for a dead process, still claimed by it)."""
    fields = ("id", "kind", "attempts", "abort_requested", "items_succeeded", "items_failed")
    running = Job.objects.filter(state=JobState.RUNNING)
    for job in running.filter(heartbeat_at__lt=stale).only(*fields):
        yield job, running.filter(id=job.id, attempts=job.attempts, heartbeat_at__lt=stale)
    here = running.filter(heartbeat_at__gte=stale, worker__startswith=f"{socket.gethostname()}:")
    for job in here.only(*fields, "worker"):
        if gone(job.worker):
            yield job, running.filter(id=job.id, attempts=job.attempts, worker=job.worker)


def jobs_reap_orphans() -> ReapReport:
    """Re-queue at once the RUNNING jobs of processes gone from this host (a worker calls
    this as it starts: its predecessor may have been killed mid-job)."""
    return jobs_reap(queued_grace=10**9, heartbeat_timeout=10**9)


def jobs_reap(
    *,
    queued_grace: int | None = None,
    heartbeat_timeout: int | None = None,
    max_attempts: int | None = None,
) -> ReapReport:
    """Find lost work and set it going again (beat runs this every JOB_REAPER_INTERVAL s)."""
    queued_grace = settings.JOB_QUEUED_GRACE if queued_grace is None else queued_grace
    heartbeat_timeout = (
        settings.JOB_HEARTBEAT_TIMEOUT if heartbeat_timeout is None else heartbeat_timeout
    )
    max_attempts = settings.JOB_MAX_ATTEMPTS if max_attempts is None else max_attempts
    now = timezone.now()
    report = ReapReport()

    stale = now - timedelta(seconds=heartbeat_timeout)
    for job, base in _lost_running(stale):
        counts = {"succeeded": job.items_succeeded, "failed": job.items_failed}
        if job.abort_requested:
            if base.update(
                state=JobState.ABORTED,
                outcome=outcome_of(JobState.ABORTED, **counts),
                finished_at=now,
                stage="aborted",
                message="Aborted; its worker stopped responding.",
            ):
                job_cleanup(job_id=job.id, kind=job.kind)
        elif job.attempts >= max_attempts:
            if base.update(
                state=JobState.FAILED,
                outcome=outcome_of(JobState.FAILED, **counts),
                finished_at=now,
                stage="failed",
                error_code="worker_lost",
                error_message=f"The worker stopped responding {job.attempts} times; giving up.",
            ):
                report.failed.append(job.id)
                job_cleanup(job_id=job.id, kind=job.kind)
        elif base.update(
            state=JobState.QUEUED,
            stage="requeued",
            published_at=None,
            message="Its worker stopped responding; retrying.",
        ):
            report.requeued.append(job.id)
            job_publish(job_id=job.id, kind=job.kind)

    old = now - timedelta(seconds=queued_grace)
    lost = (
        Job.objects.filter(state=JobState.QUEUED, created_at__lt=old)
        .filter(Q(published_at__isnull=True) | Q(published_at__lt=old))
        .exclude(id__in=report.requeued)
    )
    for job_id, kind in lost.values_list("id", "kind"):
        if job_publish(job_id=job_id, kind=kind):
            report.republished.append(job_id)
    if report.republished or report.requeued or report.failed:
        logger.info(
            "Reaper: republished %s, requeued %s, failed %s",
            report.republished,
            report.requeued,
            report.failed,
        )
    return report
