"""The Global keys page: assign, clear and look up global keys in bulk, each as a job
(``client.global_keys``), with its progress and outcome on the page.

Input is pasted lines or an uploaded file. Pasted lines are parsed here into items (a
malformed line is an error next to the text, naming the line) and sent as the JSON variant
(up to ``PASTE_MAX`` items); a file is streamed to the file variant, never read here.

Assign and clear have two buttons: **Preview** (``dry_run``: the outcomes, nothing changed)
and **Apply**. The form keeps the pasted text after either, so that "Apply these" after a
preview sends exactly the text previewed (a file must be chosen again: a browser cannot
re-send one). A started job's panel polls the job's progress partial (the job page's own,
``web:job_progress``: 286 when it ends, and a ``job-finished`` event that refreshes the
outcome here). Without JavaScript the page shows the job as it was when answered, and
"Refresh" posts the same form again to show it as it is now, without starting another.

Which forms show follows the caller's permissions: assign and clear for those who hold
``global_key.assign`` in some space, lookup for everyone; the API refuses anyway.
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from adminapp.client import APIStatusError, Permission
from adminapp.client.resources.jobs import Job
from adminapp.web import render
from adminapp.web.catalog.forms import GlobalKeyAssignForm, GlobalKeyClearForm, GlobalKeyLookupForm
from adminapp.web.client import me, sdk
from adminapp.web.flow import IDEMPOTENCY_KEY, apply_api_errors, is_input_error
from adminapp.web.jobs.outcomes import counts_by_code, error_code_param

PAGE = "web/catalog/global_keys.html"
PASTE_MAX = 100_000  # the JSON variants' limit: more is a file
ROWS_PER_PAGE = 25
NO_JS_REFRESH_SECONDS = 3

ASSIGN, CLEAR, LOOKUP = "assign", "clear", "lookup"
FORMS: dict[str, type[GlobalKeyClearForm]] = {
    ASSIGN: GlobalKeyAssignForm,
    CLEAR: GlobalKeyClearForm,
    LOOKUP: GlobalKeyLookupForm,
}
KINDS = {"global_key_assign": ASSIGN, "global_key_clear": CLEAR, "global_key_lookup": LOOKUP}
TITLES = {ASSIGN: "Assign", CLEAR: "Clear", LOOKUP: "Look up"}
PARTIALS = {"gk-panel": "gk-panel", "gk-outcome": "gk-outcome", "gk-more": "gk-rows"}


# --- pasted input ---------------------------------------------------------------------------
class Malformed(ValueError):
    """A pasted line that is not an item; the message names the line."""


def _lines(text: str) -> list[tuple[int, str]]:
    """``(line number, line)`` of every line that is not blank."""
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def parse_pairs(text: str) -> list[dict[str, str]]:
    """``data_row_id,global_key`` lines (CSV; a header line with those names is skipped)
    into assign items. The key is kept as typed: the API judges it."""
    items: list[dict[str, str]] = []
    for number, line in _lines(text):
        try:
            (record,) = list(csv.reader([line], strict=True))
        except (csv.Error, ValueError):
            raise Malformed(f"Line {number}: not CSV (check its double quotes).") from None
        if not items and [r.strip().lower() for r in record] == ["data_row_id", "global_key"]:
            continue
        if len(record) != 2:
            raise Malformed(
                f"Line {number}: expected a data row id and a global key separated by a "
                f"comma, found {len(record)} value{'s' if len(record) != 1 else ''} (put a "
                "key holding a comma in double quotes)."
            )
        row_id, key = record
        if not row_id.strip():
            raise Malformed(f"Line {number}: the data row id is missing.")
        items.append({"data_row_id": row_id.strip(), "global_key": key})
        _check_count(len(items))
    return items


def parse_keys(text: str) -> list[str]:
    """One global key a line, kept as typed (only the line break removed)."""
    keys = [line for _, line in _lines(text)]
    _check_count(len(keys))
    return keys


def _check_count(n: int) -> None:
    if n > PASTE_MAX:
        raise Malformed(
            f"More than {PASTE_MAX:,} lines: upload them as a file instead (up to 5,000,000)."
        )


# --- who may do what ------------------------------------------------------------------------
def may_assign(request: HttpRequest) -> bool:
    """Whether the caller holds ``global_key.assign`` in some space (space admins hold it
    everywhere). A courtesy for hiding forms: the API refuses anyway."""
    if Permission.SPACE_ADMIN in me(request).permissions:
        return True
    return any(
        Permission.GLOBAL_KEY_ASSIGN in (space.permissions or ())
        for space in sdk(request).spaces.list(limit=100)
    )


def _ops(request: HttpRequest) -> list[str]:
    return [ASSIGN, CLEAR, LOOKUP] if may_assign(request) else [LOOKUP]


def _op(request: HttpRequest, ops: list[str], wanted: str | None) -> str:
    return wanted if wanted in ops else ops[0]


# --- the job panel --------------------------------------------------------------------------
@dataclass
class Outcome:
    """What the outcome panel shows of a finished job."""

    counts: list[tuple[str, int]]  # by code, SUCCESS first
    code: str  # the code the rows are filtered by ("" for every error)
    rows: Any  # a page of job items: the errors (assign, clear) or every result (lookup)


def _terminal(job: Job) -> bool:
    return job.state.is_terminal


def outcome_of(request: HttpRequest, job: Job, op: str) -> Outcome | None:
    if not _terminal(job):
        return None
    cursor = request.GET.get("cursor") or None
    if op == LOOKUP:
        rows = sdk(request).jobs.items(job.id, limit=ROWS_PER_PAGE, cursor=cursor)
        return Outcome(counts=counts_by_code(job), code="", rows=rows)
    code = error_code_param(request)
    rows = sdk(request).jobs.items(
        job.id, status="ERROR", error_code=code or None, limit=ROWS_PER_PAGE, cursor=cursor
    )
    return Outcome(counts=counts_by_code(job), code=code, rows=rows)


def job_context(request: HttpRequest, job: Job | None, op: str, *, pasted: bool) -> dict:
    if job is None:
        return {"job": None}
    return {
        "job": job,
        "terminal": _terminal(job),
        "refresh_seconds": NO_JS_REFRESH_SECONDS,
        "outcome": outcome_of(request, job, op),
        "preview": bool(job.params.get("dry_run")),
        "pasted": pasted,
        "outcome_query": urlencode({"op": op, **({"pasted": "1"} if pasted else {})}),
    }


def page_context(
    request: HttpRequest,
    op: str,
    ops: list[str],
    *,
    form: GlobalKeyClearForm | None = None,
    job: Job | None = None,
    pasted: bool = False,
) -> dict[str, Any]:
    return {
        "op": op,
        "ops": [(name, TITLES[name]) for name in ops],
        "form": form or FORMS[op](),
        "idempotency_key": uuid.uuid4().hex,
        **job_context(request, job, op, pasted=pasted),
    }


# --- views ----------------------------------------------------------------------------------
@require_GET
@render.dashboard_view
def global_keys(request: HttpRequest) -> HttpResponse:
    """The page, on the tab ``?op=``; ``?job=`` shows that job's progress and outcome
    (its tab is the job's kind)."""
    client = sdk(request)
    ops = _ops(request)
    job = None
    if job_id := request.GET.get("job", "").strip():
        job = client.jobs.get(job_id)
        if job.kind not in KINDS:
            return render.redirect(request, reverse("web:job_detail", args=[job.id]))
    op = _op(request, ops, KINDS[job.kind] if job else request.GET.get("op"))
    context = page_context(request, op, ops, job=job, pasted=request.GET.get("pasted") == "1")
    return render.page(request, PAGE, context, partials=PARTIALS)


@require_GET
@render.dashboard_view
def global_keys_outcome(request: HttpRequest, job_id: str) -> HttpResponse:
    """The outcome panel of a job (htmx: when it ends, a code picked, "load more");
    without JavaScript, the page showing that job."""
    job = sdk(request).jobs.get(job_id)
    op = KINDS.get(job.kind)
    if op is None or not render.is_partial(request):
        query = request.GET.copy()
        query["job"] = job.id
        return render.redirect(request, reverse("web:global_keys") + "?" + query.urlencode())
    context = job_context(request, job, op, pasted=request.GET.get("pasted") == "1")
    context["op"] = op
    return render.page(request, PAGE, context, partials=PARTIALS)


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def global_keys_run(request: HttpRequest, op: str) -> HttpResponse:
    """Start an assign, clear or lookup job from the form (``action``: preview or apply),
    or (``show``: a job id, the no-JavaScript "Refresh") show a started one again. A GET
    (a "load more" link of the page this post answered) goes to the page itself."""
    if request.method == "GET":
        query = request.GET.copy()
        query.setdefault("op", op)
        return render.redirect(request, reverse("web:global_keys") + "?" + query.urlencode())
    client = sdk(request)
    ops = _ops(request)
    if op not in FORMS:
        op = LOOKUP
    form = FORMS[op](request.POST, request.FILES)
    status, job = 200, None
    if shown := request.POST.get("show", "").strip():
        job = client.jobs.get(shown)
        form.is_valid()  # to re-render what was typed
    elif not form.is_valid():
        status = 422
    elif not form.has_input():
        form.add_error("text", "Paste at least one line, or choose a file.")
        status = 422
    elif form.cleaned_data.get("file") and form.cleaned_data.get("text", "").strip():
        form.add_error("file", "Paste lines or choose a file, not both.")
        status = 422
    else:
        dry_run = request.POST.get("action") == "preview" and op != LOOKUP
        try:
            job = _start(request, op, form, dry_run=dry_run)
        except Malformed as exc:
            form.add_error("text", str(exc))
            status = 422
        except APIStatusError as exc:
            if not (is_input_error(exc) or exc.status_code == 413):
                raise
            _refused(form, exc)
            status = exc.status_code
        else:
            what = "Previewing" if dry_run else {LOOKUP: "Looking up"}.get(op, "Applying")
            messages.success(request, f"{what}: job {job.id} started.")
            status = 202
    pasted = bool(getattr(form, "cleaned_data", {}).get("text", "").strip())
    context = page_context(request, op, ops, form=form, job=job, pasted=pasted)
    return render.page(request, PAGE, context, partials=PARTIALS, status=status)


def _refused(form: GlobalKeyClearForm, exc: APIStatusError) -> None:
    """The API's refusal next to the input: a file's next to the file, the rest as the API
    names its fields (``items`` / ``global_keys`` are the pasted text)."""
    if exc.fields:
        apply_api_errors(form, exc)
    elif form.cleaned_data.get("file"):
        form.add_error("file", exc.message)
    else:
        form.add_error("text", exc.message)


def _start(request: HttpRequest, op: str, form: GlobalKeyClearForm, *, dry_run: bool) -> Job:
    keys = sdk(request).global_keys
    data = form.cleaned_data
    key = _idempotency_key(request, op, dry_run)
    upload = data.get("file")
    on_invalid = data.get("on_invalid") or "reject"
    if upload is not None:
        if op == ASSIGN:
            return keys.assign_file(
                upload,
                on_invalid=on_invalid,
                dry_run=dry_run,
                filename=upload.name,
                idempotency_key=key,
            )
        if op == CLEAR:
            return keys.clear_file(
                upload, dry_run=dry_run, filename=upload.name, idempotency_key=key
            )
        return keys.lookup_file(upload, filename=upload.name, idempotency_key=key)
    if op == ASSIGN:
        items = parse_pairs(data["text"])
        return keys.assign_async(items, on_invalid=on_invalid, dry_run=dry_run, idempotency_key=key)
    if op == CLEAR:
        return keys.clear_async(parse_keys(data["text"]), dry_run=dry_run, idempotency_key=key)
    return keys.lookup_async(parse_keys(data["text"]), idempotency_key=key)


def _idempotency_key(request: HttpRequest, op: str, dry_run: bool) -> str | None:
    """The form's one-time key, one per button: the same form sent twice (a double click)
    starts one job, and its Preview and Apply are two jobs."""
    key = request.POST.get("idempotency_key", "")
    if not IDEMPOTENCY_KEY.match(key):
        return None
    return f"{key}-{op}-{'preview' if dry_run else 'apply'}"[:100]


@require_GET
@render.dashboard_view
def data_row_open(request: HttpRequest, data_row_id: str) -> HttpResponse:
    """A data row found by a lookup: its dataset's page, searched for the row's key."""
    row = sdk(request).data_rows.get(data_row_id)
    url = reverse("web:dataset_detail", args=[row.dataset_id])
    if row.global_key:
        url += "?" + urlencode({"match": "global_key", "q": row.global_key})
    return render.redirect(request, url)
