"""Dashboard pages. Each view is an interface (STYLE 2): parse the form, call the embedded SDK
client, render the pydantic models it returns — the whole page, or for htmx only the partial
it swaps (STYLE 15). No ORM, services or selectors here: the API behind the client enforces
every rule once, and its errors come back as SDK exceptions rendered inline."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from adminapp.client import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from adminapp.web.forms import (
    ROLE_CHOICES,
    ApiKeyCreateForm,
    AuditFilterForm,
    JobFilterForm,
    LoginForm,
    MemberAddForm,
)
from adminapp.web.sdk import (
    apply_api_errors,
    can,
    confirm_page,
    dashboard_view,
    is_partial,
    me,
    redirect,
    render_page,
    render_removed,
    sdk,
)

# Permission names from the API's vocabulary (Me.permissions), used to show or hide controls.
# Hiding is a courtesy: the API refuses the action anyway.
MEMBER_READ = "member.read"
MEMBER_MANAGE = "member.manage"
OWNER_MANAGE = "owner.manage"
API_KEY_MANAGE = "api_key.manage"
AUDIT_READ = "audit.read"
JOB_READ_ALL = "job.read_all"

TERMINAL_STATES = {"SUCCEEDED", "FAILED", "ABORTED"}
OVERVIEW_LIMIT = 50  # counts above this show as "50+": the dashboard never COUNTs a table
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")

FORM_ERRORS = (UnprocessableEntityError, BadRequestError, ConflictError, PermissionDeniedError)


def _cursor(request: HttpRequest) -> str | None:
    return request.GET.get("cursor") or None


def _count(page) -> str:
    return f"{len(page.items)}+" if page.pagination.has_more else str(len(page.items))


# --- sign in / out ------------------------------------------------------------------------
@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            # The inner API request shares this request's session: its django login() lands
            # in the session this response saves.
            sdk(request).auth.login(
                email=form.cleaned_data["email"], password=form.cleaned_data["password"]
            )
        except RateLimitError as exc:
            form.add_error(None, exc.message)
            status = 429
        except AuthenticationError as exc:  # wrong password, or an account in no organization
            form.add_error(None, exc.message)
        except (UnprocessableEntityError, BadRequestError) as exc:
            apply_api_errors(form, exc)
        else:
            rotate_token(request)
            return redirect(request, next_url or reverse("web:overview"))
    elif request.method == "POST":
        status = 422
    return render(request, "web/login.html", {"form": form, "next": next_url}, status=status)


@require_http_methods(["GET", "POST"])
@dashboard_view
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        sdk(request).auth.logout()
        messages.info(request, "You have signed out.")
        return redirect(request, reverse("web:login"))
    return confirm_page(
        request,
        title="Sign out?",
        message="You will need your email and password to sign in again.",
        action=reverse("web:logout"),
        button="Sign out",
        cancel=reverse("web:overview"),
    )


@require_POST
@dashboard_view
def switch_org(request: HttpRequest) -> HttpResponse:
    organization_id = request.POST.get("organization_id", "")
    try:
        current = sdk(request).me.switch_organization(organization_id)
    except APIStatusError as exc:
        if exc.status_code not in (400, 404, 422):
            raise
        messages.error(request, "You are not a member of that organization.")
    else:
        messages.success(request, f"Switched to {current.organization.name}.")
    # Whatever page was open belongs to the previous organization: start from the overview.
    return redirect(request, reverse("web:overview"))


# --- overview -----------------------------------------------------------------------------
@dashboard_view
def overview(request: HttpRequest) -> HttpResponse:
    client = sdk(request)
    current = me(request)
    members = None
    if can(request, MEMBER_READ):
        members = _count(
            client.organizations.list_members(current.organization.id, limit=OVERVIEW_LIMIT)
        )
    keys = client.api_keys.list(limit=OVERVIEW_LIMIT)
    active_keys = sum(1 for k in keys.items if k.is_active)
    running = client.jobs.list(state="RUNNING", limit=OVERVIEW_LIMIT)
    recent_jobs = client.jobs.list(limit=6).items
    recent_events = client.audit.list(limit=6).items if can(request, AUDIT_READ) else None
    context = {
        "members_count": members,
        "keys_count": f"{active_keys}+" if keys.pagination.has_more else str(active_keys),
        "running_count": _count(running),
        "recent_jobs": recent_jobs,
        "recent_events": recent_events,
    }
    return render_page(request, "web/overview.html", context)


# --- API keys -----------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@dashboard_view
def api_keys(request: HttpRequest) -> HttpResponse:
    client = sdk(request)
    allow_service = can(request, API_KEY_MANAGE)
    created = None
    status = 200
    form = ApiKeyCreateForm(request.POST or None, allow_service=allow_service)
    if request.method == "POST":
        if form.is_valid():
            try:
                created = client.api_keys.create(**form.sdk_arguments())
            except RateLimitError as exc:
                form.add_error(None, exc.message)
                status = 429
            except FORM_ERRORS as exc:
                apply_api_errors(form, exc)
                status = exc.status_code
            else:
                form = ApiKeyCreateForm(allow_service=allow_service)
                status = 201
        else:
            status = 422

    include_revoked = request.GET.get("revoked") == "1"
    page = client.api_keys.list(include_revoked=include_revoked, cursor=_cursor(request))
    context = {
        "form": form,
        "created": created,
        "page": page,
        "include_revoked": include_revoked,
        "allow_service": allow_service,
        "manage_all": allow_service,
    }
    partial = "key-rows" if _cursor(request) and request.method == "GET" else "keys-content"
    response = render_page(request, "web/api_keys.html", context, partial=partial, status=status)
    if created is not None:
        # The one response that carries the secret: never cached, never stored anywhere.
        add_never_cache_headers(response)
        response["Cache-Control"] += ", no-store"
    return response


@require_http_methods(["GET", "POST"])
@dashboard_view
def api_key_revoke(request: HttpRequest, key_id: str) -> HttpResponse:
    client = sdk(request)
    if request.method == "POST":
        key = client.api_keys.revoke(key_id)
        messages.success(request, f"Revoked “{key.label}”. It stops working now.")
        if is_partial(request):
            context = {"key": key, "manage_all": can(request, API_KEY_MANAGE)}
            return render_page(request, "web/api_keys.html", context, partial="key-row")
        return redirect(request, reverse("web:api_keys"))
    key = client.api_keys.get(key_id)
    return confirm_page(
        request,
        title=f"Revoke “{key.label}”?",
        message=f"Anything using the key {key.prefix}… stops working at once. "
        "This cannot be undone.",
        action=reverse("web:api_key_revoke", args=[key.id]),
        button="Revoke key",
        danger=True,
        cancel=reverse("web:api_keys"),
    )


# --- members ------------------------------------------------------------------------------
def _member_row(request: HttpRequest, user_id: str):
    """One member as they are now (to render their row), or None once they left."""
    try:
        return sdk(request).organizations.get_member(me(request).organization.id, user_id)
    except NotFoundError:
        return None


def _members_context(request: HttpRequest) -> dict:
    return {
        "manage": can(request, MEMBER_MANAGE),
        "allow_owner": can(request, OWNER_MANAGE),
        "me_user_id": me(request).user.id if me(request).user else None,
        "role_choices": ROLE_CHOICES,
    }


@require_http_methods(["GET", "POST"])
@dashboard_view
def members(request: HttpRequest) -> HttpResponse:
    client = sdk(request)
    org_id = me(request).organization.id
    context = _members_context(request)
    status = 200
    form = MemberAddForm(request.POST or None, allow_owner=context["allow_owner"])
    if request.method == "POST":
        if form.is_valid():
            try:
                member = client.organizations.add_member(org_id, **form.sdk_arguments())
            except FORM_ERRORS as exc:
                apply_api_errors(form, exc)
                status = exc.status_code
            else:
                messages.success(request, f"Added {member.user.email} as {member.role.title()}.")
                if not is_partial(request):
                    return redirect(request, reverse("web:members"))
                form = MemberAddForm(allow_owner=context["allow_owner"])
                status = 201
        else:
            status = 422
    query = request.GET.get("q", "").strip()
    page = client.organizations.list_members(org_id, email=query or None, cursor=_cursor(request))
    context.update({"form": form, "page": page, "q": query})
    if request.method == "GET" and _cursor(request):
        partial = "member-rows"
    elif request.method == "GET" and request.htmx and request.htmx.target == "member-results":
        partial = "member-results"
    else:
        partial = "members-content"
    return render_page(request, "web/members.html", context, partial=partial, status=status)


@require_POST
@dashboard_view
def member_role(request: HttpRequest, user_id: str) -> HttpResponse:
    org_id = me(request).organization.id
    try:
        member = sdk(request).organizations.update_member(
            org_id, user_id, role=request.POST.get("role", "")
        )
    except FORM_ERRORS as exc:
        messages.error(request, exc.message)
        member = _member_row(request, user_id)
        if not is_partial(request) or member is None:
            return redirect(request, reverse("web:members"))
        status = exc.status_code
    else:
        messages.success(request, f"{member.user.email} is now {member.role.title()}.")
        if not is_partial(request):
            return redirect(request, reverse("web:members"))
        status = 200
    context = {**_members_context(request), "member": member}
    return render_page(request, "web/members.html", context, partial="member-row", status=status)


@require_http_methods(["GET", "POST"])
@dashboard_view
def member_remove(request: HttpRequest, user_id: str) -> HttpResponse:
    org_id = me(request).organization.id
    email = request.POST.get("email") or request.GET.get("email", "")
    if request.method == "POST":
        try:
            sdk(request).organizations.remove_member(org_id, user_id)
        except (ConflictError, BadRequestError) as exc:
            messages.error(request, exc.message)
            return redirect(request, reverse("web:members"))
        messages.success(request, f"Removed {email or user_id} from the organization.")
        if is_partial(request):
            return render_removed(request)
        return redirect(request, reverse("web:members"))
    member = _member_row(request, user_id)
    who = member.user.email if member else (email or user_id)
    return confirm_page(
        request,
        title=f"Remove {who}?",
        message="They lose access to this organization and their personal API keys "
        "for it are revoked.",
        action=reverse("web:member_remove", args=[user_id]),
        hidden={"email": email},
        button="Remove member",
        danger=True,
        cancel=reverse("web:members"),
    )


# --- audit log ----------------------------------------------------------------------------
def _filtered_page(
    request: HttpRequest, form: AuditFilterForm | JobFilterForm, list_page: Callable[..., Any]
) -> tuple[Any, int]:
    """One page of a filtered list and the status to answer with: ``list_page`` called with
    the form's filters and the request's cursor, or no page and 422 when the filters do not
    parse or the API refuses them (its field errors go next to the filters)."""
    if not form.is_valid():
        return None, 422
    try:
        return list_page(**form.sdk_filters(), cursor=_cursor(request)), 200
    except UnprocessableEntityError as exc:
        apply_api_errors(form, exc)
        return None, 422


@dashboard_view
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    page, status = _filtered_page(request, form, sdk(request).audit.list)
    context = {
        "form": form,
        "page": page,
        # The applied filters as typed, for the export form and the empty state.
        "filters": {k: form.data[k] for k in form.sdk_filters()} if page is not None else {},
        "export_key": uuid.uuid4().hex,
    }
    partial = "audit-rows" if _cursor(request) and page is not None else "audit-content"
    return render_page(request, "web/audit.html", context, partial=partial, status=status)


@require_POST
@dashboard_view
def audit_export(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Fix the filters before exporting.")
        return redirect(request, reverse("web:audit"))
    key = request.POST.get("idempotency_key", "")
    try:
        job = sdk(request).audit.export(
            **form.sdk_filters(), idempotency_key=key if _IDEMPOTENCY_KEY.match(key) else None
        )
    except (UnprocessableEntityError, BadRequestError, ConflictError) as exc:
        # Back to the log with the same filters, where the error shows next to them.
        messages.error(request, exc.message)
        query = urlencode({k: request.POST[k] for k in form.sdk_filters()})
        return redirect(request, reverse("web:audit") + (f"?{query}" if query else ""))
    messages.success(request, "Export started. The CSV will be ready to download here.")
    return redirect(request, reverse("web:job_detail", args=[job.id]))


# --- jobs ---------------------------------------------------------------------------------
@dashboard_view
def jobs(request: HttpRequest) -> HttpResponse:
    form = JobFilterForm(request.GET)
    page, status = _filtered_page(request, form, sdk(request).jobs.list)
    context = {"form": form, "page": page, "see_all": can(request, JOB_READ_ALL)}
    partial = "job-rows" if _cursor(request) and page is not None else "jobs-content"
    return render_page(request, "web/jobs.html", context, partial=partial, status=status)


def _items_context(request: HttpRequest, job_id: str) -> dict:
    item_status = request.GET.get("status", "").upper()
    if item_status not in ("SUCCESS", "ERROR"):
        item_status = ""
    items = sdk(request).jobs.items(
        job_id, status=item_status or None, limit=25, cursor=_cursor(request)
    )
    return {"items": items, "item_status": item_status}


@dashboard_view
def job_detail(request: HttpRequest, job_id: str) -> HttpResponse:
    client = sdk(request)
    if is_partial(request) and (request.htmx.target == "job-items" or _cursor(request)):
        # Only the items table: a status tab, a refresh when the job ends, or "load more".
        job = client.jobs.peek(job_id)
        terminal = job.state in TERMINAL_STATES  # a running job's table refreshes itself
        context = {"job": job, "terminal": terminal, **_items_context(request, job_id)}
        partial = "item-rows" if _cursor(request) else "job-items"
        return render_page(request, "web/job_detail.html", context, partial=partial)
    job = client.jobs.get(job_id)
    context = {"job": job, "terminal": job.state in TERMINAL_STATES}
    context.update(_items_context(request, job_id))
    return render_page(request, "web/job_detail.html", context)


@dashboard_view
def job_progress(request: HttpRequest, job_id: str) -> HttpResponse:
    """The polled progress bar. When the job ends: 286 (stop polling) + a ``job-finished``
    event that makes the outcome panel and the items table refresh (STYLE 17)."""
    if not is_partial(request):
        return redirect(request, reverse("web:job_detail", args=[job_id]))
    job = sdk(request).jobs.peek(job_id)
    terminal = job.state in TERMINAL_STATES
    context = {"job": job, "terminal": terminal}
    if not terminal:
        return render_page(request, "web/job_detail.html", context, partial="job-progress")
    html = render_to_string("web/job_detail.html#job-progress", context, request=request)
    response = HttpResponseStopPolling(html)
    return trigger_client_event(response, "job-finished", {"id": job.id, "state": job.state})


@dashboard_view
def job_outcome(request: HttpRequest, job_id: str) -> HttpResponse:
    if not is_partial(request):
        return redirect(request, reverse("web:job_detail", args=[job_id]))
    job = sdk(request).jobs.get(job_id)
    context = {"job": job, "terminal": job.state in TERMINAL_STATES}
    return render_page(request, "web/job_detail.html", context, partial="job-outcome")


@require_http_methods(["GET", "POST"])
@dashboard_view
def job_abort(request: HttpRequest, job_id: str) -> HttpResponse:
    client = sdk(request)
    if request.method == "POST":
        try:
            job = client.jobs.abort(job_id)
        except (ConflictError, BadRequestError) as exc:
            messages.error(request, exc.message)
            return redirect(request, reverse("web:job_detail", args=[job_id]))
        terminal = job.state in TERMINAL_STATES
        if job.state == "ABORTED":
            messages.success(request, "Job aborted.")
        elif terminal:
            messages.info(request, f"The job had already finished ({job.state.title()}).")
        else:
            messages.success(request, "Abort requested: the job stops after its current chunk.")
        if not is_partial(request):
            return redirect(request, reverse("web:job_detail", args=[job_id]))
        context = {"job": job, "terminal": terminal}
        response = render_page(request, "web/job_detail.html", context, partial="job-progress")
        if terminal:  # no poll will see the end: refresh the outcome panel now
            trigger_client_event(response, "job-finished", {"id": job.id, "state": job.state})
        return response
    job = client.jobs.peek(job_id)
    return confirm_page(
        request,
        title="Abort this job?",
        message=f"{job.kind} {job.id} stops after its current chunk. Work already done is kept.",
        action=reverse("web:job_abort", args=[job.id]),
        button="Abort job",
        danger=True,
        cancel=reverse("web:job_detail", args=[job.id]),
    )


@dashboard_view
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


@dashboard_view
def job_items_csv(request: HttpRequest, job_id: str) -> HttpResponse:
    """Every per-item outcome of the job as CSV."""
    data = sdk(request).jobs.download_items_csv(job_id)
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{job_id}-items.csv"'
    add_never_cache_headers(response)
    return response
