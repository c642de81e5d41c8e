"""Jobs: the list, a job's page with its live progress (polled), outcome and items, abort,
and its downloads streamed through the SDK."""

from __future__ import annotations

import re
import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from adminapp.client import (
    BadRequestError,
    ConflictError,
    Permission,
    UnprocessableEntityError,
)
from adminapp.web import query, render
from adminapp.web.client import can, sdk
from adminapp.web.flow import filtered_page, idempotency_key
from adminapp.web.jobs.forms import JobFilterForm
from adminapp.web.jobs.outcomes import counts_by_code, error_code_param

JOBS = "web/jobs/jobs.html"
JOB = "web/jobs/job_detail.html"
ITEMS_PER_PAGE = 25
NO_JS_REFRESH_SECONDS = 3  # a running job's page reloads itself this often without JavaScript
# Kinds whose finished, applied jobs can be undone by a new job (client.global_keys.revert).
REVERTIBLE_KINDS = ("global_key_assign", "global_key_clear")


@render.dashboard_view
def jobs(request: HttpRequest) -> HttpResponse:
    return query.clean_filters(request, lambda: _jobs(request))


def _jobs(request: HttpRequest) -> HttpResponse:
    client = sdk(request)
    form = JobFilterForm(request.GET, kinds=client.jobs.kinds())
    page, status = filtered_page(request, form, client.jobs.list)
    context = {"form": form, "page": page, "see_all": can(request, Permission.JOB_READ_ALL)}
    partials = {"jobs-content": "jobs-content", "jobs-more": "job-rows"}
    return render.page(request, JOBS, context, partials=partials, status=status)


def revertible(job) -> bool:
    """A global key assign or clear job that finished and changed keys (not a preview).
    Only a courtesy for showing the button: the API refuses any other."""
    return (
        job.kind in REVERTIBLE_KINDS
        and job.state == "SUCCEEDED"
        and not (job.params or {}).get("dry_run")
    )


def _job_context(job) -> dict:
    return {
        "job": job,
        "terminal": job.state.is_terminal,
        "refresh_seconds": NO_JS_REFRESH_SECONDS,
        "revertible": revertible(job),
        "revert_key": uuid.uuid4().hex,
    }


def _items_context(request: HttpRequest, job) -> dict:
    """The items table: all, the successes, the errors, or the errors of one code (a tab
    per code the job's result counts)."""
    item_status = request.GET.get("status", "").upper()
    if item_status not in ("SUCCESS", "ERROR"):
        item_status = ""
    error_codes = [(c, n) for c, n in counts_by_code(job) if c != "SUCCESS"]
    code = error_code_param(request) if item_status == "ERROR" else ""
    items = sdk(request).jobs.items(
        job.id,
        status=item_status or None,
        error_code=code or None,
        limit=ITEMS_PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    return {
        "items": items,
        "item_status": item_status,
        "item_code": code,
        "error_codes": error_codes,
    }


@render.dashboard_view
def job_detail(request: HttpRequest, job_id: str) -> HttpResponse:
    """The job's page; for htmx, only its items table (a status tab, a refresh while it
    runs or when it ends, "load more")."""
    client = sdk(request)
    partials = {"job-items": "job-items", "items-more": "item-rows"}
    # The items table only needs the job's state, not its result.
    items_only = render.partial_for(request, partials) is not None
    job = client.jobs.peek(job_id) if items_only else client.jobs.get(job_id)
    if items_only and job.state.is_terminal:
        job = client.jobs.get(job_id)  # its result counts the errors by code (the code tabs)
    context = {**_job_context(job), **_items_context(request, job)}
    return render.page(request, JOB, context, partials=partials)


@render.dashboard_view
def job_progress(request: HttpRequest, job_id: str) -> HttpResponse:
    """The polled progress bar. When the job ends: 286 (stop polling) + a ``job-finished``
    event that makes the outcome panel and the items table refresh (STYLE 17)."""
    if not render.is_partial(request):
        return render.redirect(request, reverse("web:job_detail", args=[job_id]))
    job = sdk(request).jobs.peek(job_id)
    context = _job_context(job)
    if not job.state.is_terminal:
        return render.page(request, JOB, context, partials={"job-progress": "job-progress"})
    html = render_to_string(f"{JOB}#job-progress", context, request=request)
    response = HttpResponseStopPolling(html)
    return trigger_client_event(response, "job-finished", {"id": job.id, "state": job.state})


@render.dashboard_view
def job_outcome(request: HttpRequest, job_id: str) -> HttpResponse:
    if not render.is_partial(request):
        return render.redirect(request, reverse("web:job_detail", args=[job_id]))
    job = sdk(request).jobs.get(job_id)
    context = _job_context(job)
    return render.page(request, JOB, context, partials={"job-outcome": "job-outcome"})


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def job_abort(request: HttpRequest, job_id: str) -> HttpResponse:
    client = sdk(request)
    if request.method == "POST":
        try:
            job = client.jobs.abort(job_id)
        except (ConflictError, BadRequestError) as exc:
            messages.error(request, exc.message)
            return render.redirect(request, reverse("web:job_detail", args=[job_id]))
        terminal = job.state.is_terminal
        if job.state == "ABORTED":
            messages.success(request, "Job aborted.")
        elif terminal:
            messages.info(request, f"The job had already finished ({job.state.title()}).")
        else:
            messages.success(request, "Abort requested: the job stops after its current chunk.")
        if not render.is_partial(request):
            return render.redirect(request, reverse("web:job_detail", args=[job_id]))
        context = _job_context(job)
        response = render.page(request, JOB, context, partials={"job-progress": "job-progress"})
        if terminal:  # no poll will see the end: refresh the outcome panel now
            trigger_client_event(response, "job-finished", {"id": job.id, "state": job.state})
        return response
    job = client.jobs.peek(job_id)
    # A kind that writes a file keeps none when aborted (the download needs SUCCEEDED).
    kept = (
        "its file is discarded: there will be nothing to download."
        if job.makes_file
        else "work already done is kept."
    )
    return render.confirm(
        request,
        title="Abort this export?" if job.makes_file else "Abort this job?",
        message=f"{job.label or job.kind} {job.id} stops after its current chunk; {kept}",
        action=reverse("web:job_abort", args=[job.id]),
        button="Abort job",
        danger=True,
        cancel=reverse("web:job_detail", args=[job.id]),
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def job_revert(request: HttpRequest, job_id: str) -> HttpResponse:
    """Undo a finished global key assign or clear job: a new job gives each row it changed
    its previous key back (where nothing changed since), and its page follows it. htmx asks
    with hx-confirm; without JavaScript a GET shows the question first."""
    client = sdk(request)
    here = reverse("web:job_detail", args=[job_id])
    if request.method == "POST":
        try:
            job = client.global_keys.revert_async(job_id, idempotency_key=idempotency_key(request))
        except (ConflictError, BadRequestError, UnprocessableEntityError) as exc:
            messages.error(request, exc.message)
            return render.redirect(request, here)
        messages.success(request, f"Reverting {job_id}: job {job.id} started.")
        return render.redirect(request, reverse("web:job_detail", args=[job.id]))
    job = client.jobs.peek(job_id)
    return render.confirm(
        request,
        title="Revert this job?",
        message=f"A new job gives every data row that {job.label or job.kind} {job.id} "
        "changed its previous global key back, except rows changed since (reported as "
        "conflicts).",
        action=reverse("web:job_revert", args=[job.id]),
        button="Revert",
        hidden={"idempotency_key": uuid.uuid4().hex},
        cancel=here,
    )


@render.dashboard_view
def job_download(request: HttpRequest, job_id: str) -> HttpResponse:
    """The job's result file, streamed from the API through the SDK (never held in memory)."""
    upstream = sdk(request).jobs.open_download(job_id)
    response = StreamingHttpResponse(
        upstream.iter_bytes(), content_type=upstream.headers.get("Content-Type", "text/csv")
    )
    response["Content-Disposition"] = upstream.headers.get(
        "Content-Disposition", f'attachment; filename="{job_id}.csv"'
    )
    if upstream.headers.get("Content-Length"):
        response["Content-Length"] = upstream.headers["Content-Length"]
    add_never_cache_headers(response)
    return response


@render.dashboard_view
def job_items_csv(request: HttpRequest, job_id: str) -> HttpResponse:
    """Every per-item outcome of the job as CSV; ``?status=ERROR`` / ``?error_code=KEY_TAKEN``
    keep only those (the API checks the values)."""
    status = request.GET.get("status", "").strip().upper() or None
    code = request.GET.get("error_code", "").strip().upper() or None
    data = sdk(request).jobs.download_items_csv(job_id, status=status, error_code=code)
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    suffix = "-".join(re.sub(r"[^a-z0-9_]", "", p.lower()) for p in (status, code) if p)
    name = f"{job_id}-items{'-' + suffix if suffix else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    add_never_cache_headers(response)
    return response
