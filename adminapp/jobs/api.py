"""/api/v1/jobs: list, get, peek, abort, per-item outcomes and downloads."""

from __future__ import annotations

import csv
import json
from pathlib import PurePosixPath

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from ninja import Query, Router

from adminapp.client import types as wire
from adminapp.core.errors import NotFound
from adminapp.core.pagination import PageParams
from adminapp.jobs import health, selectors, services
from adminapp.jobs.models import JobState
from adminapp.jobs.schemas import job_item_out, job_kinds_out, job_out

router = Router(tags=["jobs"])
instance_router = Router(tags=["instance"])


@instance_router.get(
    "/health",
    response=wire.InstanceHealth,
    summary="The instance's health: workers, queues, the reaper, recent failures (instance admins)",
)
def instance_health(request: HttpRequest):
    return health.instance_health(actor=request.auth)


@router.get("", response=wire.JobPage, summary="List jobs (own; org admins see all)")
def list_jobs(
    request: HttpRequest,
    page: Query[PageParams],
    state: wire.JobState | None = None,
    kind: str | None = None,
    mine: bool = False,
):
    result = selectors.job_list(
        actor=request.auth,
        state=state.value if state else None,
        kind=kind,
        mine=mine,
        limit=page.limit,
        cursor=page.cursor,
    )
    return page.response([job_out(j, include_result=False) for j in result.items], result)


@router.get("/kinds", response=wire.JobKindList, summary="Every kind of job, by label")
def list_kinds(request: HttpRequest):
    return job_kinds_out()


@router.get("/{job_id}", response=wire.Job, summary="Get a job with its result summary")
def get_job(request: HttpRequest, job_id: str):
    return job_out(selectors.job_get(actor=request.auth, job_id=job_id))


@router.get("/{job_id}/peek", response=wire.Job, summary="Get a job's state without its result")
def peek_job(request: HttpRequest, job_id: str):
    return job_out(selectors.job_get(actor=request.auth, job_id=job_id), include_result=False)


@router.post("/{job_id}/abort", response=wire.Job, summary="Abort a queued or running job")
def abort_job(request: HttpRequest, job_id: str):
    return job_out(services.job_abort(actor=request.auth, job_id=job_id))


@router.get("/{job_id}/items", response=wire.JobItemPage, summary="Per-item outcomes, paged")
def list_items(
    request: HttpRequest,
    job_id: str,
    page: Query[PageParams],
    status: wire.JobItemStatus | None = None,
    error_code: str | None = None,
):
    result = selectors.job_items(
        actor=request.auth,
        job_id=job_id,
        status=status.value if status else None,
        error_code=error_code,
        limit=page.limit,
        cursor=page.cursor,
    )
    return page.response([job_item_out(i) for i in result.items], result)


class _Echo:
    def write(self, value: str) -> str:
        return value


@router.get("/{job_id}/items.csv", summary="Every per-item outcome as CSV")
def items_csv(
    request: HttpRequest,
    job_id: str,
    status: wire.JobItemStatus | None = None,
    error_code: str | None = None,
):
    job = selectors.job_get(actor=request.auth, job_id=job_id)
    items = selectors.job_items_all(
        job=job, status=status.value if status else None, error_code=error_code
    )
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(["seq", "status", "key", "error_code", "message", "data"])
        for item in items:
            yield writer.writerow(
                [
                    item.seq,
                    item.status,
                    item.key,
                    item.error_code,
                    item.message,
                    json.dumps(item.data, separators=(",", ":")),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{job.kind}-{job.id}-items.csv"'
    return response


@router.get("/{job_id}/download", summary="The job's result file")
def download(request: HttpRequest, job_id: str):
    job = selectors.job_get(actor=request.auth, job_id=job_id)
    if job.state != JobState.SUCCEEDED or not job.result_file:
        raise NotFound("This job has no result file.", code="no_result_file")
    opened = selectors.job_result_file(job)
    if opened is None:
        raise NotFound(
            "The result file is not in the storage: it was removed, or the worker wrote it "
            "under a MEDIA_ROOT this server does not share.",
            code="result_file_unavailable",
        )
    return FileResponse(
        opened,
        as_attachment=True,
        filename=PurePosixPath(job.result_file).name,
        content_type="text/csv",
    )
