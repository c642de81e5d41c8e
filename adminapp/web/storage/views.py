"""Dashboard pages for bucket configs: the list (create, set default, check access with the
check's progress and answer in the row) and a config's page (its settings, the repos using
it, check access, and a delete guarded by the nickname typed). Repos are in ``repos.py``.

Org OWNERs and ADMINs manage storage (``me|can:"storage.manage"``), members read it with
secrets masked; hiding the controls is a courtesy, the API refuses anyway.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseStopPolling

from adminapp.client import ConflictError, NotFoundError, Permission
from adminapp.client.types import Job
from adminapp.client.types.storage import BucketConfig
from adminapp.web import render
from adminapp.web.client import can, sdk
from adminapp.web.flow import after_success, idempotency_key, submit
from adminapp.web.storage.forms import BucketConfigForm

CONFIGS = "web/storage/bucket_configs.html"
CONFIG = "web/storage/bucket_config_detail.html"
AUTH_FIELDS = "web/storage/_auth_fields.html"
CHECK = "web/storage/_check.html"
CHECK_KIND = "bucket_config_check"
REPOS_SHOWN = 50  # repos listed on a config's page (the API lists the rest)
NO_JS_REFRESH_SECONDS = 3


def _cursor(request: HttpRequest) -> str | None:
    return request.GET.get("cursor") or None


def _config_url(config: BucketConfig) -> str:
    return reverse("web:bucket_config_detail", args=[config.nickname])


# --- the list -------------------------------------------------------------------------------
def _list_context(request: HttpRequest, form: BucketConfigForm | None = None) -> dict[str, Any]:
    manage = can(request, Permission.STORAGE_MANAGE)
    context: dict[str, Any] = {
        "configs": sdk(request).storage.bucket_configs.list(cursor=_cursor(request)),
        "manage": manage,
        "narrowed": render.is_partial(request),
    }
    if manage:
        context["form"] = form or BucketConfigForm()
    return context


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def bucket_configs(request: HttpRequest) -> HttpResponse:
    form, status = None, 200
    if request.method == "POST":
        form = BucketConfigForm(request.POST)
        submission = submit(form, sdk(request).storage.bucket_configs.create, created=True)
        status = submission.status
        if submission.ok:
            created = submission.result
            note = " It is the default." if created.is_default else ""
            message = f"Added the bucket config “{created.nickname}”.{note}"
            if response := after_success(request, message, reverse("web:bucket_configs")):
                return response
            form = None
    partials = {
        "configs-panel": "configs-panel",
        "configs-results": "configs-results",
        "configs-more": "config-rows",
    }
    context = _list_context(request, form)
    return render.page(request, CONFIGS, context, partials=partials, status=status)


@require_GET
@render.dashboard_view
def bucket_config_auth_fields(request: HttpRequest) -> HttpResponse:
    """The auth fields of the method picked (htmx swaps them in when the select changes);
    on the edit form, the config's stored values when it is the stored method."""
    if not render.is_partial(request):
        return render.redirect(request, reverse("web:bucket_configs"))
    method = request.GET.get("auth_method", "")
    initial: dict[str, Any] = {"auth_method": method}
    nickname, config = request.GET.get("config", ""), None
    if nickname:
        config = sdk(request).storage.bucket_configs.get(nickname=nickname)
        if config.auth_config.get("method") == method:
            initial = BucketConfigForm.initial_for(config)
    form = BucketConfigForm(initial=initial, config=config if nickname else None)
    context = {"form": form, "narrowed": True, "config_nickname": nickname}
    return render.page(request, AUTH_FIELDS, context, partials={"auth-fields": "auth-fields"})


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def bucket_config_set_default(request: HttpRequest, nickname: str) -> HttpResponse:
    """Make a config the default (htmx: the table again, its badge moved; without JavaScript
    a GET asks first)."""
    client = sdk(request)
    config = client.storage.bucket_configs.get(nickname=nickname)
    back = reverse("web:bucket_configs")
    if request.method == "GET":
        return render.confirm(
            request,
            title=f"Make “{config.nickname}” the default?",
            message="Repos created without a bucket config use the default one. Existing "
            "repos keep theirs.",
            action=request.path,
            button="Make default",
            cancel=back,
        )
    client.storage.bucket_configs.set_default(nickname=config.nickname)
    message = f"“{config.nickname}” is now the default bucket config."
    if response := after_success(request, message, back):
        return response
    context = _list_context(request)
    return render.page(request, CONFIGS, context, partials={"configs-results": "configs-results"})


# --- check access ---------------------------------------------------------------------------
def check_context(request: HttpRequest, config: BucketConfig, job: Job | None) -> dict[str, Any]:
    """The check's cell: the button, and the last check started here (its progress or its
    answer in words)."""
    terminal = job is not None and job.state.is_terminal
    if terminal and job.result is None and job.has_result:
        job = sdk(request).jobs.get(job.id)
    return {
        "config": config,
        "check": job,
        "check_terminal": terminal,
        "check_key": uuid.uuid4().hex,
        "manage": can(request, Permission.STORAGE_MANAGE),
        "refresh_seconds": NO_JS_REFRESH_SECONDS,
    }


def _check_job(request: HttpRequest, config: BucketConfig, job_id: str) -> Job | None:
    """The check job ``job_id`` of this config, or None (another kind, another config)."""
    if not job_id:
        return None
    try:
        job = sdk(request).jobs.peek(job_id)
    except NotFoundError:  # someone else's job (a shared link): no check to show
        return None
    if job.kind != CHECK_KIND or job.params.get("bucket_config_id") != config.id:
        return None
    return job


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def bucket_config_check(request: HttpRequest, nickname: str) -> HttpResponse:
    """Start the access check (a job). htmx: the row's check cell, polling the job; without
    JavaScript: the config's page following it."""
    client = sdk(request)
    config = client.storage.bucket_configs.get(nickname=nickname)
    if request.method == "GET":
        return render.confirm(
            request,
            title=f"Check access to {config.uri}?",
            message="A job lists at most one object under the prefix with the stored "
            "credentials and says what the store answered.",
            action=request.path,
            button="Check access",
            hidden={"idempotency_key": uuid.uuid4().hex},
            cancel=_config_url(config),
        )
    job = client.storage.bucket_configs.check(
        nickname=config.nickname, idempotency_key=idempotency_key(request)
    )
    if not render.is_partial(request):
        return render.redirect(request, f"{_config_url(config)}?check={job.id}#access")
    context = check_context(request, config, job)
    return render.page(request, CHECK, context, partials={"check-*": "check-cell"})


@require_GET
@render.dashboard_view
def bucket_config_check_status(request: HttpRequest, nickname: str, job_id: str) -> HttpResponse:
    """The polled check cell. When the job ends: 286 (stop polling) with its answer."""
    config = sdk(request).storage.bucket_configs.get(nickname=nickname)
    if not render.is_partial(request):
        return render.redirect(request, f"{_config_url(config)}?check={job_id}#access")
    context = check_context(request, config, _check_job(request, config, job_id))
    if not context["check_terminal"]:
        return render.page(request, CHECK, context, partials={"check-*": "check-cell"})
    return HttpResponseStopPolling(render_to_string(f"{CHECK}#check-cell", context, request))


# --- one config -----------------------------------------------------------------------------
def config_context(
    request: HttpRequest,
    config: BucketConfig,
    *,
    form: BucketConfigForm | None = None,
    confirm_error: str | None = None,
    delete_error: str | None = None,
    blocking: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    client = sdk(request)
    repos = client.storage.bucket_configs.repos(nickname=config.nickname, limit=REPOS_SHOWN)
    in_use = bool(repos.items)
    check = _check_job(request, config, request.GET.get("check", "")) if not form else None
    context = {
        **check_context(request, config, check),
        "repos": repos,
        "in_use": in_use,
        "narrowed": render.is_partial(request),
        "confirm_error": confirm_error,
        "delete_error": delete_error,
        "blocking": blocking,
    }
    if context["manage"]:
        context["form"] = form or BucketConfigForm(config=config, nickname_only=in_use)
    return context


@require_GET
@render.dashboard_view
def bucket_config_detail(request: HttpRequest, nickname: str) -> HttpResponse:
    config = sdk(request).storage.bucket_configs.get(nickname=nickname)
    return render.page(request, CONFIG, config_context(request, config))


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def bucket_config_edit(request: HttpRequest, nickname: str) -> HttpResponse:
    """Change a config: its nickname, and while no repo uses it the rest (a secret left
    empty keeps the stored one)."""
    client = sdk(request)
    config = client.storage.bucket_configs.get(nickname=nickname)
    if request.method == "GET":
        return render.redirect(request, _config_url(config) + "#settings")
    in_use = bool(client.storage.bucket_configs.repos(nickname=config.nickname, limit=1).items)
    form = BucketConfigForm(request.POST, config=config, nickname_only=in_use)
    if form.is_valid() and not form.changes(config):
        messages.info(request, "Nothing changed.")
        return render.redirect(request, _config_url(config))
    update = partial(client.storage.bucket_configs.update, nickname=config.nickname)
    saved = submit(form, update)
    if saved.ok:
        messages.success(request, f"Saved the bucket config “{saved.result.nickname}”.")
        return render.redirect(request, _config_url(saved.result))
    context = config_context(request, config, form=form)
    return render.page(
        request, CONFIG, context, partials={"settings": "config-settings"}, status=saved.status
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def bucket_config_delete(request: HttpRequest, nickname: str) -> HttpResponse:
    """Delete a config once its nickname is typed (the view checks it again and only then
    sends both confirmations). Refused while repos use it: the answer lists them."""
    client = sdk(request)
    config = client.storage.bucket_configs.get(nickname=nickname)
    if request.method == "GET":
        return render.redirect(request, _config_url(config) + "#config-danger")
    typed, error, blocking, more, status = None, None, None, False, 422
    if request.POST.get("confirm_name", "").strip() != config.nickname:
        typed = "Type the bucket config’s nickname exactly as shown to confirm."
    else:
        try:
            client.storage.bucket_configs.delete(
                nickname=config.nickname, imsure=True, imreallysure=True
            )
        except ConflictError as exc:
            error, status = exc.message, exc.status_code
            blocking = exc.details.get("repos") or None
            more = bool(exc.details.get("more"))
        else:
            messages.success(request, f"Deleted the bucket config “{config.nickname}”.")
            return render.redirect(request, reverse("web:bucket_configs"))
    context = config_context(
        request, config, confirm_error=typed, delete_error=error, blocking=blocking
    )
    context["blocking_more"] = more
    return render.page(
        request, CONFIG, context, partials={"config-danger": "config-danger"}, status=status
    )
