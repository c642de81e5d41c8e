from __future__ import annotations

from adminapp.client import types as wire
from adminapp.jobs import kinds
from adminapp.jobs.models import Job, JobItem
from adminapp.jobs.selectors import job_has_file


def job_out(job: Job, *, include_result: bool = True) -> wire.Job:
    kind = kinds.get(job.kind)
    return wire.Job(
        id=job.id,
        kind=job.kind,
        label=kind.label if kind else job.kind,
        state=job.state,
        outcome=job.outcome or None,
        counts=wire.JobCounts(succeeded=job.items_succeeded, failed=job.items_failed),
        progress=wire.JobProgress(
            done=job.progress_done, total=job.progress_total, stage=job.stage, message=job.message
        ),
        owner=job.owner_label or job.owner_id,
        params=job.params or {},
        makes_file=bool(kind and kind.makes_file),
        has_result=job.result is not None,
        has_file=job_has_file(job),
        result=job.result if include_result else None,
        error=wire.JobError(code=job.error_code, message=job.error_message)
        if job.error_code
        else None,
        abort_requested=job.abort_requested,
        attempts=job.attempts,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        heartbeat_at=job.heartbeat_at,
    )


def job_kinds_out() -> wire.JobKindList:
    return wire.JobKindList(
        kinds=[
            wire.JobKindInfo(name=kind.name, label=kind.label, makes_file=kind.makes_file)
            for kind in sorted(kinds.all_kinds(), key=lambda kind: kind.label.casefold())
        ]
    )


def job_item_out(item: JobItem) -> wire.JobItem:
    return wire.JobItem(
        seq=item.seq,
        status=item.status,
        key=item.key,
        data=item.data,
        error_code=item.error_code,
        message=item.message,
    )
