"""The jobs engine (SPEC §6, STYLE 13–14).

Life of a job: ``job_create`` writes a QUEUED row and publishes its id after commit;
a worker's ``job_run`` claims it with a conditional update (a second delivery is a no-op),
runs the kind's handler chunk by chunk through a ``JobContext`` (checkpoint, heartbeat and
abort check per chunk), then finishes it — each transition conditional on the attempt it
claimed, so a worker that lost its claim can never overwrite the job. ``jobs_reap`` (beat,
every 30 s) re-publishes work that was lost: QUEUED rows nobody picked up and RUNNING rows
whose heartbeat stopped, failing a job after ``JOB_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from adminapp.audit.services import audit_record
from adminapp.core.errors import ApplicationError, Conflict, ValidationFailed
from adminapp.core.principal import Principal
from adminapp.jobs import registry
from adminapp.jobs.models import TERMINAL_STATES, Job, JobItem, JobItemStatus, JobState

logger = logging.getLogger("adminapp.jobs")

IDEMPOTENCY_KEY_MAX = 128


class JobAborted(Exception):
    """Raised inside a handler at a chunk boundary when an abort was requested."""


class JobLost(Exception):
    """This worker no longer owns the job (the reaper gave it to another attempt)."""


# --- creating and publishing ------------------------------------------------------------
def job_create(
    *,
    actor: Principal,
    kind: str,
    params: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    total: int | None = None,
) -> tuple[Job, bool]:
    """Create a QUEUED job and publish it once the transaction commits.

    Returns ``(job, created)``; with an ``idempotency_key`` already used by this principal,
    the earlier job is returned instead (``created`` False), so a retried POST never starts
    the work twice. Call it inside the domain service that checked permissions.
    """
    if registry.get(kind) is None:
        raise ValidationFailed(f"Unknown job kind {kind!r}.", fields={"kind": ["Unknown."]})
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationFailed(
            f"Idempotency-Key is limited to {IDEMPOTENCY_KEY_MAX} characters.",
            fields={"Idempotency-Key": [f"At most {IDEMPOTENCY_KEY_MAX} characters."]},
        )
    owner_id = actor.actor_id or "system"
    if idempotency_key:
        existing = Job.objects.filter(
            organization_id=actor.org_id, owner_id=owner_id, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            return _same_request(existing, kind), False
    try:
        with transaction.atomic():
            job = Job.objects.create(
                organization_id=actor.org_id,
                kind=kind,
                owner_id=owner_id,
                owner_label=actor.label,
                params=params or {},
                idempotency_key=idempotency_key,
                request_id=actor.request_id or "",
                progress_total=total,
                stage="queued",
            )
            audit_record(
                actor=actor,
                action="job.create",
                target_type="job",
                target_id=job.id,
                details={"kind": kind},
            )
            transaction.on_commit(lambda: job_publish(job_id=job.id))
    except IntegrityError:
        # Two concurrent requests with one Idempotency-Key: the other one won.
        existing = Job.objects.get(
            organization_id=actor.org_id, owner_id=owner_id, idempotency_key=idempotency_key
        )
        return _same_request(existing, kind), False
    return job, True


def _same_request(job: Job, kind: str) -> Job:
    if job.kind != kind:
        raise Conflict(
            f"Idempotency-Key was already used for a {job.kind} job ({job.id}).",
            fields={"Idempotency-Key": ["Already used for another request."]},
        )
    return job


def job_publish(*, job_id: str) -> bool:
    """Send the job's id to the broker. A failure is only logged: the row stays QUEUED and
    the reaper publishes it again, so a broker outage delays work but never loses it."""
    from adminapp.jobs.tasks import run_job

    try:
        run_job.apply_async(args=[job_id])
    except Exception:  # noqa: BLE001 - any broker failure is recoverable by the reaper
        logger.warning("Could not publish job %s; the reaper will retry", job_id, exc_info=True)
        return False
    Job.objects.filter(id=job_id, state=JobState.QUEUED).update(published_at=timezone.now())
    return True


# --- running ------------------------------------------------------------------------------
@dataclass
class ItemOutcome:
    seq: int
    ok: bool
    key: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    error_code: str = ""
    message: str = ""


class JobContext:
    """What a handler gets: its job's params and checkpoint, and the per-chunk duties."""

    def __init__(self, job: Job):
        self.job = job
        self.attempt = job.attempts
        self.result_file = job.result_file  # set by handlers that produce a downloadable file

    @property
    def principal(self) -> Principal:
        """Who the job acts as: its owner with the role they hold *now*, so a job queued
        by someone since demoted or removed does not keep their old rights."""
        return job_principal(self.job)

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    @property
    def state(self) -> dict[str, Any]:
        """The last checkpoint ({} on a first run)."""
        return self.job.checkpoint or {}

    def _mine(self):
        return Job.objects.filter(id=self.job.id, state=JobState.RUNNING, attempts=self.attempt)

    def progress(
        self,
        *,
        done: int | None = None,
        total: int | None = None,
        stage: str | None = None,
        message: str | None = None,
    ) -> None:
        changes: dict[str, Any] = {"heartbeat_at": timezone.now()}
        for name, value in (
            ("progress_done", done),
            ("progress_total", total),
            ("stage", stage),
            ("message", message),
        ):
            if value is not None:
                changes[name] = value
                setattr(self.job, name, value)
        if not self._mine().update(**changes):
            raise JobLost(self.job.id)

    def record_items(self, outcomes: list[ItemOutcome]) -> None:
        """Per-item outcomes; a re-run that records the same ``seq`` again is ignored."""
        JobItem.objects.bulk_create(
            [
                JobItem(
                    job_id=self.job.id,
                    seq=o.seq,
                    status=JobItemStatus.SUCCESS if o.ok else JobItemStatus.ERROR,
                    key=o.key[:255],
                    data=o.data,
                    error_code=o.error_code,
                    message=o.message[:500],
                )
                for o in outcomes
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )

    def checkpoint(self, state: dict[str, Any], *, done: int, message: str = "") -> None:
        """Record that everything up to ``state`` is done; then honour an abort request.

        Call it after a chunk's effects are durable: a re-run resumes from here."""
        self.job.checkpoint = state
        self.job.progress_done = done
        updated = self._mine().update(
            checkpoint=state,
            progress_done=done,
            message=message[:255],
            heartbeat_at=timezone.now(),
        )
        if not updated:
            raise JobLost(self.job.id)
        if Job.objects.filter(id=self.job.id, abort_requested=True).exists():
            raise JobAborted(self.job.id)
        if settings.JOB_CHUNK_DELAY_MS:
            time.sleep(settings.JOB_CHUNK_DELAY_MS / 1000)


def job_principal(job: Job) -> Principal:
    from adminapp.accounts import principals

    kind = "service_key" if job.owner_id.startswith("key_") else "user"
    owner = principals.OwnerRef(kind=kind, id=job.owner_id, credential_id="", label=job.owner_label)
    if kind == "service_key":
        owner = principals.OwnerRef(
            kind=kind, id=job.owner_id, credential_id=job.owner_id, label=""
        )
    return principals.resolve_owner(
        org_id=job.organization_id, owner=owner, request_id=job.request_id
    )


def job_claim(*, job_id: str) -> Job | None:
    """QUEUED → RUNNING, atomically; None when another delivery already has it."""
    now = timezone.now()
    claimed = Job.objects.filter(id=job_id, state=JobState.QUEUED, abort_requested=False).update(
        state=JobState.RUNNING,
        attempts=F("attempts") + 1,
        heartbeat_at=now,
        started_at=now,
        stage="running",
    )
    if not claimed:
        return None
    return Job.objects.get(id=job_id)


def job_run(*, job_id: str) -> None:
    """Run one delivery of a job (the Celery task's whole body)."""
    job = job_claim(job_id=job_id)
    if job is None:
        logger.info("Job %s is not claimable (already taken or finished); skipping", job_id)
        return
    kind = registry.get(job.kind)
    ctx = JobContext(job)
    try:
        if kind is None:
            raise ApplicationError(f"No handler for job kind {job.kind!r}.", code="unknown_kind")
        result = kind.handler()(ctx) or {}
    except JobLost:
        logger.warning("Job %s attempt %s lost its claim; stopping", job_id, ctx.attempt)
        return
    except JobAborted:
        _finish(ctx, state=JobState.ABORTED, stage="aborted", message="Aborted on request.")
        return
    except SoftTimeLimitExceeded:
        _finish(
            ctx,
            state=JobState.FAILED,
            error_code="time_limit",
            error_message=f"The job ran longer than {settings.JOB_SOFT_TIME_LIMIT} s.",
        )
        return
    except ApplicationError as exc:
        _finish(ctx, state=JobState.FAILED, error_code=exc.code, error_message=exc.message)
        return
    except Exception as exc:  # noqa: BLE001 - a bug in a handler fails the job, visibly
        logger.exception("Job %s failed", job_id)
        _finish(
            ctx,
            state=JobState.FAILED,
            error_code="internal_error",
            error_message=f"{exc.__class__.__name__}: {exc}"[:2000],
        )
        return
    _finish(ctx, state=JobState.SUCCEEDED, stage="done", result=result)


def _finish(
    ctx: JobContext,
    *,
    state: str,
    stage: str = "",
    message: str = "",
    result: dict | None = None,
    error_code: str = "",
    error_message: str = "",
) -> None:
    changes: dict[str, Any] = {
        "state": state,
        "finished_at": timezone.now(),
        "heartbeat_at": timezone.now(),
        "stage": stage or state.lower(),
        "error_code": error_code,
        "error_message": error_message,
    }
    if message:
        changes["message"] = message
    if result is not None:
        changes["result"] = result
        if ctx.job.progress_total is not None:
            changes["progress_done"] = ctx.job.progress_total
    if ctx.result_file:
        changes["result_file"] = ctx.result_file
    ctx._mine().update(**changes)


# --- abort ------------------------------------------------------------------------------
@transaction.atomic
def job_abort(*, actor: Principal, job_id: str) -> Job:
    """QUEUED → ABORTED at once; RUNNING → abort requested (the worker stops at its next
    chunk boundary and keeps the outcomes recorded so far); finished jobs are unchanged."""
    from adminapp.jobs.selectors import job_get

    job = job_get(actor=actor, job_id=job_id)
    if job.state in TERMINAL_STATES:
        return job
    now = timezone.now()
    Job.objects.filter(id=job.id, state=JobState.QUEUED).update(
        state=JobState.ABORTED,
        abort_requested=True,
        finished_at=now,
        stage="aborted",
        message="Aborted before it started.",
    )
    Job.objects.filter(id=job.id, state=JobState.RUNNING).update(
        abort_requested=True, message="Abort requested; stopping after the current chunk."
    )
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
    for job in Job.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=stale).only(
        "id", "attempts", "abort_requested"
    ):
        base = Job.objects.filter(
            id=job.id, state=JobState.RUNNING, attempts=job.attempts, heartbeat_at__lt=stale
        )
        if job.abort_requested:
            base.update(
                state=JobState.ABORTED,
                finished_at=now,
                stage="aborted",
                message="Aborted; its worker stopped responding.",
            )
        elif job.attempts >= max_attempts:
            if base.update(
                state=JobState.FAILED,
                finished_at=now,
                stage="failed",
                error_code="worker_lost",
                error_message=f"The worker stopped responding {job.attempts} times; giving up.",
            ):
                report.failed.append(job.id)
        elif base.update(
            state=JobState.QUEUED,
            stage="requeued",
            published_at=None,
            message="Its worker stopped responding; retrying.",
        ):
            report.requeued.append(job.id)
            job_publish(job_id=job.id)

    old = now - timedelta(seconds=queued_grace)
    lost = (
        Job.objects.filter(state=JobState.QUEUED, created_at__lt=old)
        .filter(Q(published_at__isnull=True) | Q(published_at__lt=old))
        .exclude(id__in=report.requeued)
    )
    for job_id in lost.values_list("id", flat=True):
        if job_publish(job_id=job_id):
            report.republished.append(job_id)
    if report.republished or report.requeued or report.failed:
        logger.info(
            "Reaper: republished %s, requeued %s, failed %s",
            report.republished,
            report.requeued,
            report.failed,
        )
    return report
