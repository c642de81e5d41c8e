"""Reading jobs: a principal sees its own jobs; org admins see every job of the org."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import islice
from operator import attrgetter

from django.core.files.storage import default_storage
from django.db.models import QuerySet

from adminapp import authz
from adminapp.authz import Permission
from adminapp.core.errors import NotFound, ValidationFailed
from adminapp.core.files import storage_is_local, stored_exists
from adminapp.core.pagination import Page, check_limit, paginate
from adminapp.core.principal import Principal
from adminapp.jobs import blocks
from adminapp.jobs.models import Job, JobItem, JobItemStatus, JobState

ERROR_CODE_MAX = JobItem._meta.get_field("error_code").max_length


def job_queryset(*, actor: Principal, mine: bool = False) -> QuerySet[Job]:
    qs = Job.objects.filter(organization_id=actor.org_id)
    if mine or not authz.can(actor, Permission.JOB_READ_ALL):
        qs = qs.filter(owner_id=actor.actor_id or "-")
    return qs


def job_get(*, actor: Principal, job_id: str) -> Job:
    job = job_queryset(actor=actor).filter(id=job_id).first()
    if job is None:
        raise NotFound(f"Job {job_id} not found.")
    return job


def job_list(
    *,
    actor: Principal,
    state: str | None = None,
    kind: str | None = None,
    mine: bool = False,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    qs = job_queryset(actor=actor, mine=mine)
    if state:
        if state not in JobState.values:
            raise ValidationFailed(
                f"Unknown state {state!r}.",
                fields={"state": [f"One of {', '.join(JobState.values)}."]},
            )
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return paginate(qs, limit=limit, cursor=cursor)


def job_items(
    *,
    actor: Principal,
    job_id: str,
    status: str | None = None,
    error_code: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """Per-item outcomes in ``seq`` order, optionally only those of one ``status`` and/or
    one ``error_code`` (e.g. ``KEY_TAKEN``); the cursor is the last seq seen."""
    job = job_get(actor=actor, job_id=job_id)
    check_limit(limit)
    after = None
    if cursor:
        try:
            after = int(cursor)
        except ValueError:
            raise ValidationFailed(
                "Invalid cursor.", fields={"cursor": ["Invalid cursor."]}
            ) from None
    qs = _filtered(JobItem.objects.filter(job=job), status=status, error_code=error_code)
    qs = qs.order_by("seq")
    if after is not None:
        qs = qs.filter(seq__gt=after)
    rows = _with_blocks(qs[: limit + 1], job, after, status, error_code, per_read=2)
    rows = list(islice(rows, limit + 1))
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, has_more=has_more, next_cursor=str(rows[-1].seq) if has_more else None)


def _filtered(qs, *, status: str | None, error_code: str | None):
    if status:
        if status not in JobItemStatus.values:
            raise ValidationFailed(
                f"Unknown status {status!r}.", fields={"status": ["SUCCESS or ERROR."]}
            )
        qs = qs.filter(status=status)
    if error_code:
        if len(error_code) > ERROR_CODE_MAX:
            raise ValidationFailed(
                "error_code is too long.",
                fields={"error_code": [f"At most {ERROR_CODE_MAX} characters."]},
            )
        qs = qs.filter(error_code=error_code)
    return qs


def _with_blocks(rows, job: Job, after, status, error_code, *, per_read: int) -> Iterator[JobItem]:
    """``rows`` (JobItems in seq order) merged with the job's packed successes
    (``jobs.blocks``) when the filter lets successes through."""
    if status == JobItemStatus.ERROR or error_code:
        return iter(rows)
    packed = blocks.block_items(job.id, after=after, per_read=per_read)
    return heapq.merge(rows, packed, key=attrgetter("seq"))


def job_items_all(
    *,
    job: Job,
    status: str | None = None,
    error_code: str | None = None,
    chunk_size: int = 2000,
) -> Iterator[JobItem]:
    """Every item of an already-authorised job (optionally of one status / error code),
    streamed in seq order (CSV download)."""
    qs = _filtered(JobItem.objects.filter(job=job), status=status, error_code=error_code)
    rows = qs.order_by("seq").iterator(chunk_size=chunk_size)
    return _with_blocks(rows, job, None, status, error_code, per_read=20)


def job_has_file(job: Job) -> bool:
    """Whether the job offers a result file: it succeeded with one, and — on the local
    filesystem storage — this machine can see it (a worker that writes under a MEDIA_ROOT
    it does not share with the web process). In a bucket the file is taken to be there (one
    HEAD request per listed job would cost more than it tells); the download says if not."""
    if job.state != JobState.SUCCEEDED or not job.result_file:
        return False
    return stored_exists(job.result_file) if storage_is_local() else True


def job_result_file(job: Job):
    """The job's result file opened from the storage, or None: no file, the job did not
    succeed, a name outside the storage, or a file the storage does not have."""
    if job.state != JobState.SUCCEEDED or not stored_exists(job.result_file):
        return None
    return default_storage.open(job.result_file, "rb")
