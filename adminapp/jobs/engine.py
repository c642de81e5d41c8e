"""The engine: runs one delivery of a job, chunk by chunk (SPEC §6, STYLE 13–14).

A worker's ``job_run`` claims the job with a conditional update (QUEUED → RUNNING; a second
delivery is a no-op), then drives its kind:

1. once per job, ``plan`` gives the total (written at once), unless the kind declares a
   fixed ``total``, which the job was created with;
2. for each chunk of ``chunks(after)``: between chunks it stops on an abort request and
   re-resolves the owner (a revoked key, a removed member, or an owner who no longer holds
   the permission the kind declares fails the job with a clear code); then the kind's
   ``apply``, the chunk's item outcomes (numbered here) and the checkpoint are written in
   **one transaction**, conditional on the attempt this worker claimed. A worker that lost
   its claim (the reaper gave the job to another) rolls its chunk back instead of
   committing it, so every chunk is applied exactly once;
3. ``result`` gives the summary, and the job finishes with its state and outcome — in the
   last chunk's transaction when the kind marked that chunk ``last`` (one write less per
   job), else in one conditional update after it. The item counts the outcome follows are
   the claimed row's plus what this attempt committed, so the finish reads nothing back.

Every transition is conditional on the claimed attempt, so a lost worker never overwrites
the job.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from pydantic import ValidationError

from adminapp import authz
from adminapp.accounts import principals
from adminapp.core import logs
from adminapp.core.errors import ApplicationError
from adminapp.core.principal import Principal
from adminapp.jobs import blocks, kinds, statements
from adminapp.jobs.kinds import Chunk, ItemOutcome, JobContext, JobKind, Outcomes, StartOver
from adminapp.jobs.models import Job, JobItem, JobItemStatus, JobState, outcome_of
from adminapp.jobs.workers import this_worker

logger = logging.getLogger("adminapp.jobs")


class JobAborted(Exception):
    """An abort was requested; the engine stops before the next chunk."""


class JobLost(Exception):
    """This worker no longer owns the job (the reaper gave it to another attempt)."""


def owner_ref(job: Job) -> principals.OwnerRef:
    return principals.OwnerRef(
        kind=job.owner_type,
        id=job.owner_id,
        credential_id=job.credential_id,
        label=job.owner_label,
    )


def job_principal(job: Job, kind: JobKind | None = None) -> Principal:
    """Who the job acts as *now*. Raises ``OwnerGone`` when its owner can no longer act, or
    no longer holds the permission ``kind`` needs (``JobKind.permission``): an ADMIN made a
    MEMBER while their export runs stops it at the next chunk."""
    principal = principals.resolve_owner(
        org_id=job.organization_id, owner=owner_ref(job), request_id=job.request_id
    )
    return _permitted(principal, kind)


def _permitted(principal: Principal, kind: JobKind | None) -> Principal:
    """``principal``, unless it lacks the permission ``kind`` needs (``OwnerGone``)."""
    needed = kind.permission if kind is not None else None
    if needed and not authz.can(principal, needed):
        meaning = authz.VOCABULARY[authz.Permission(needed)].meaning[authz.Scope.ORG]
        raise principals.OwnerGone(
            f"{principal.label} may no longer {meaning[0].lower()}{meaning[1:-1]} ({needed}), "
            "which this job needs: their role changed after it started. It stopped there.",
            code="owner_permission_lost",
        )
    return principal


class _Run:
    """One delivery of one job, from its claim to its finish."""

    def __init__(self, job: Job, kind: JobKind):
        self.job, self.kind = job, kind
        self.attempt = job.attempts
        checkpoint = job.checkpoint or {}
        self.planned = bool(checkpoint.get("planned"))
        self.after = checkpoint.get("after")
        self.seq = int(checkpoint.get("seq", 0))
        self.done = int(checkpoint.get("done", 0))
        self.state = dict(checkpoint.get("state") or {})
        self.total = job.progress_total
        # The job's item counts as this attempt has them: every write to them is conditional
        # on this attempt, so they are the claimed row's plus what this attempt committed,
        # and the finish needs no query to read them back.
        self.succeeded, self.failed = job.items_succeeded, job.items_failed
        self.finished = False  # by the kind's last chunk, in that chunk's transaction
        self.ctx: JobContext | None = None

    def write(self, changes: dict[str, Any], items: list[ItemOutcome] = (), seq: int = 0) -> bool:
        """One UPDATE of the job's row, conditional on this attempt still holding it
        (RUNNING, its attempt number); whether it did. Each value is prepared by its model
        field as the ORM would; the statement is written here because these writes are the
        floor of every job and ``QuerySet.update`` spent ~3x their CPU compiling them.

        ``items``: outcomes to number from ``seq`` and INSERT in the same statement
        (a data-modifying WITH on PostgreSQL; it runs whether or not the UPDATE matches,
        and a lost claim raises, so the chunk's transaction rolls them back)."""
        fields = [Job._meta.get_field(name) for name in changes]
        values = [f.get_db_prep_save(changes[f.name], connection) for f in fields]
        sql = statements.update_sql(tuple(f.column for f in fields))
        if items:
            sql = statements.items_sql(len(items)) + sql
            values = [*self.item_values(items, seq), *values]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*values, self.job.id, JobState.RUNNING, self.attempt])
            return cursor.rowcount > 0

    def update(self, items: list[ItemOutcome] = (), seq: int = 0, **changes: Any) -> None:
        changes.setdefault("heartbeat_at", timezone.now())
        if not self.write(changes, items, seq):
            raise JobLost(self.job.id)

    def run(self) -> None:
        try:
            params = self.kind.Params.model_validate(self.job.params)
        except ValidationError as exc:
            raise ApplicationError(
                f"The job's parameters are not valid: {exc.errors()[0]['msg']}",
                code="invalid_params",
            ) from None
        self.ctx = JobContext(
            job_id=self.job.id,
            org_id=self.job.organization_id,
            created_at=self.job.created_at,
            params=params,
            state=self.state,
            principal=job_principal(self.job, self.kind),  # raises OwnerGone
            result_file=self.job.result_file,
        )
        try:
            self.work()
        except StartOver as exc:
            logger.warning("Job %s starts over: %s", self.job.id, exc)
            self.forget(str(exc))
            self.work()  # a second StartOver in one delivery fails the job

    def work(self) -> None:
        if not self.planned:
            fixed = self.kind.total
            if fixed is None or self.job.progress_total != fixed:
                self.total = self.kind.plan(self.ctx)
                self.update(
                    progress_total=self.total, stage="running", checkpoint=self.checkpoint()
                )
            else:  # a plan known before the job ran: written with it (job_create)
                self.total = fixed
            self.planned = True
        for chunk in self.kind.chunks(self.ctx, self.after):
            self.between_chunks()
            self.apply(chunk)
            if self.finished:
                return  # a chunk marked last: nothing after it is asked for
            if settings.JOB_CHUNK_DELAY_MS:  # a test and benchmark knob; 0 in production
                time.sleep(settings.JOB_CHUNK_DELAY_MS / 1000)

    def forget(self, reason: str) -> None:
        """Back to the start: no checkpoint, no item outcomes, no progress."""
        self.planned, self.after, self.seq, self.done = False, None, 0, 0
        self.state.clear()
        self.ctx.local.clear()
        with transaction.atomic():
            blocks.forget(self.job.id)
            self.update(
                checkpoint={},
                progress_done=0,
                items_succeeded=0,
                items_failed=0,
                message=f"Started over: {reason}"[:255],
            )
        self.succeeded = self.failed = 0

    def between_chunks(self) -> None:
        """Stop on an abort request; else re-resolve the owner (``OwnerGone``). For an
        account owner, one statement reads the job's abort flag beside the owner's key,
        membership and user (``principals.owner_query``)."""
        job = self.job
        query = principals.owner_query(
            org_id=job.organization_id, owner=owner_ref(job), request_id=job.request_id
        )
        with connection.cursor() as cursor:
            if query is None:
                cursor.execute(statements.abort_sql(), [job.id])
            else:
                cursor.execute(statements.abort_and_sql(query.sql), [*query.params, job.id])
            found = cursor.fetchone()
        if found is None:
            raise JobLost(job.id)  # the job itself is gone
        if found[0]:
            raise JobAborted(job.id)
        if query is None:
            self.ctx.principal = job_principal(job, self.kind)
        else:
            self.ctx.principal = _permitted(query.resolve(found[1:]), self.kind)

    def checkpoint(self) -> dict[str, Any]:
        return {
            "planned": True,
            "after": self.after,
            "seq": self.seq,
            "done": self.done,
            "state": self.state,
        }

    def apply(self, chunk: Chunk) -> None:
        with transaction.atomic():
            self.ctx.seq = self.seq
            applied = self.kind.apply(self.ctx, chunk)
            inline: list[ItemOutcome] = []  # written with the checkpoint, in its statement
            if isinstance(applied, Outcomes):  # written by the kind itself, set-based
                succeeded, total = applied.succeeded, applied.total
            else:
                outcomes = list(applied or ())
                if statements.items_with_update(outcomes):
                    inline = outcomes
                else:
                    self.record(outcomes)
                succeeded, total = sum(1 for o in outcomes if o.ok), len(outcomes)
            failed = total - succeeded
            first_seq = self.seq
            self.after = chunk.after
            self.seq += total
            self.done += chunk.size
            changes: dict[str, Any] = {
                "checkpoint": self.checkpoint(),
                "progress_done": self.done,
                "message": self.message(),
                # This attempt's counts (see __init__): only a write of this attempt lands.
                "items_succeeded": self.succeeded + succeeded,
                "items_failed": self.failed + failed,
                **({"stage": chunk.stage[:64]} if chunk.stage else {}),
            }
            if chunk.last:  # the job succeeds with this chunk, in its transaction
                result = self.kind.result(self.ctx).model_dump(mode="json")
                changes |= self.finish_changes(
                    JobState.SUCCEEDED,
                    succeeded=self.succeeded + succeeded,
                    failed=self.failed + failed,
                    stage="done",
                    result=result,
                )
            self.update(items=inline, seq=first_seq, **changes)
        self.succeeded += succeeded
        self.failed += failed
        if chunk.last:
            self.finished = True
            job_cleanup(job_id=self.job.id, kind=self.kind, ctx=self.ctx, state=JobState.SUCCEEDED)

    def item_values(self, outcomes: list[ItemOutcome], first: int) -> list[Any]:
        """The parameters of ``statements.items_sql`` for ``outcomes``, numbered from
        ``first``, as ``record`` numbers them."""
        data = JobItem._meta.get_field("data")
        values: list[Any] = []
        for i, o in enumerate(outcomes):
            values += [
                self.job.id,
                first + i,
                JobItemStatus.SUCCESS if o.ok else JobItemStatus.ERROR,
                o.key[:255],
                data.get_db_prep_save(o.data, connection),
                o.error_code[:64],
                o.message[:500],
            ]
        return values

    def record(self, outcomes: list[ItemOutcome]) -> None:
        JobItem.objects.bulk_create(
            [
                JobItem(
                    job_id=self.job.id,
                    seq=self.seq + i,
                    status=JobItemStatus.SUCCESS if o.ok else JobItemStatus.ERROR,
                    key=o.key[:255],
                    data=o.data,
                    error_code=o.error_code[:64],
                    message=o.message[:500],
                )
                for i, o in enumerate(outcomes)
            ],
            batch_size=1000,
        )

    def message(self) -> str:
        unit = self.kind.unit
        if self.total is None:
            return f"{self.done} {unit} so far"
        return f"{self.done} of {self.total} {unit}"

    def finish_changes(
        self,
        state: str,
        *,
        succeeded: int,
        failed: int,
        stage: str = "",
        message: str = "",
        result: dict | None = None,
        error_code: str = "",
        error_message: str = "",
    ) -> dict[str, Any]:
        """The changes that finish the job in ``state``."""
        now = timezone.now()
        changes: dict[str, Any] = {
            "state": state,
            "outcome": outcome_of(state, succeeded=succeeded, failed=failed),
            "finished_at": now,
            "heartbeat_at": now,
            "stage": stage or state.lower(),
            "error_code": error_code,
            "error_message": error_message,
        }
        if message:
            changes["message"] = message
        if result is not None:
            changes["result"] = result
            if self.total is not None:
                changes["progress_done"] = self.total
        if self.ctx is not None and self.ctx.result_file:
            changes["result_file"] = self.ctx.result_file
        return changes

    def finish(self, state: str, **how: Any) -> None:
        """Finish the job in ``state`` (``how``: see ``finish_changes``), unless this attempt
        lost it meanwhile: then the new owner of the job finishes it."""
        changes = self.finish_changes(state, succeeded=self.succeeded, failed=self.failed, **how)
        if self.write(changes):
            job_cleanup(job_id=self.job.id, kind=self.kind, ctx=self.ctx, state=state)


def job_cleanup(
    *,
    job_id: str,
    kind: JobKind | str | None,
    ctx: JobContext | None = None,
    state: str = "",
) -> None:
    """Let the kind drop what it kept for the run (``JobKind.cleanup``) once the job is
    finished. Called by the engine on every finish (with the run's context and the state
    it finished in: ``JobKind.finished``), by an abort of a queued job and by the reaper
    when it gives a job up; a failure here is logged and never changes the job."""
    found = kinds.get(kind) if isinstance(kind, str) or kind is None else kind
    if found is None:
        return
    try:
        if ctx is not None and state:
            found.finished(ctx, state)
        else:
            found.cleanup(job_id)
    except Exception:  # noqa: BLE001 - the job is finished; leftovers are only logged
        logger.exception("Cleanup of job %s (%s) failed", job_id, found.name)


def job_claim(*, job_id: str) -> Job | None:
    """QUEUED → RUNNING, atomically; None when another delivery already has it (or the job
    was aborted while queued). One statement: the conditional UPDATE returns the row it
    claimed (``RETURNING``, PostgreSQL and SQLite ≥ 3.35), where the ORM's ``update()``
    would need a second query to read it back."""
    now = timezone.now()
    params = [JobState.RUNNING, now, now, "running", this_worker(), job_id, JobState.QUEUED]
    with connection.cursor() as cursor:
        cursor.execute(statements.claim_sql(), params)
        row = cursor.fetchone()
    if row is None:
        return None
    # The row as the ORM would load it (each column through its field's converters),
    # without ``Manager.raw``'s work of matching the cursor's columns to the model's.
    compiler, converters, names = statements.claim_loader()
    (values,) = compiler.apply_converters([row], converters) if converters else [row]
    return Job.from_db(connection.alias, names, list(values))


def job_run(*, job_id: str) -> None:
    """Run one delivery of a job (the Celery task's whole body). Its log lines carry the
    job's id, organization, owner and the request that started it."""
    with logs.log_context(job_id=job_id):
        job = job_claim(job_id=job_id)
        if job is None:
            logger.info("Job %s is not claimable (already taken or finished); skipping", job_id)
            return
        logs.bind(org_id=job.organization_id, principal=job.owner_id, request_id=job.request_id)
        _run_claimed(job)


def _run_claimed(job: Job) -> None:
    job_id = job.id
    kind = kinds.get(job.kind)
    if kind is None:
        Job.objects.filter(id=job.id, state=JobState.RUNNING).update(
            state=JobState.FAILED,
            outcome=outcome_of(JobState.FAILED, succeeded=0, failed=0),
            finished_at=timezone.now(),
            stage="failed",
            error_code="unknown_kind",
            error_message=f"No worker here knows the job kind {job.kind!r}.",
        )
        return
    run = _Run(job, kind)
    try:
        run.run()
        summary = None if run.finished else kind.result(run.ctx)
    except JobLost:
        logger.warning("Job %s attempt %s lost its claim; stopping", job_id, run.attempt)
        return
    except JobAborted:
        run.finish(JobState.ABORTED, stage="aborted", message="Aborted on request.")
        return
    except StartOver as exc:
        run.finish(
            JobState.FAILED,
            error_code="start_over_failed",
            error_message=f"Started over and still could not go on: {exc}"[:2000],
        )
        return
    except SoftTimeLimitExceeded:
        run.finish(
            JobState.FAILED,
            error_code="time_limit",
            error_message=f"The job ran longer than {settings.JOB_SOFT_TIME_LIMIT} s.",
        )
        return
    except ApplicationError as exc:
        run.finish(JobState.FAILED, error_code=exc.code, error_message=exc.message)
        return
    except Exception as exc:  # noqa: BLE001 - a bug in a kind fails the job, visibly
        logger.exception("Job %s failed", job_id)
        run.finish(
            JobState.FAILED,
            error_code="internal_error",
            error_message=f"{exc.__class__.__name__}: {exc}"[:2000],
        )
        return
    if summary is not None:  # else its last chunk finished it
        run.finish(JobState.SUCCEEDED, stage="done", result=summary.model_dump(mode="json"))
