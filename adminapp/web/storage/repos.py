"""Dashboard pages for repos: the list (live ones, and those deleted and still restorable,
with Restore), creating one, and a repo's page (its objects, paged by key; exporting a
dataset to it and importing rows from it, each a job whose page follows it; a soft delete
guarded by the name typed, or an immediate one).
"""

from __future__ import annotations

import uuid
from functools import partial
from itertools import islice
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from adminapp.client import APIStatusError, NotFoundError, Permission, PermissionDeniedError
from adminapp.client.types.storage import Repo
from adminapp.web import render
from adminapp.web.client import can, sdk
from adminapp.web.flow import REQUIRED, after_removal, idempotency_key, submit
from adminapp.web.storage.forms import RepoExportForm, RepoForm, RepoImportForm

REPOS = "web/storage/repos.html"
REPO = "web/storage/repo_detail.html"
OBJECTS_PER_PAGE = 50
CONFIGS_OFFERED = 200  # bucket configs the create form offers (a select; past it, typed)
SPACES_OFFERED = 20  # spaces, and datasets of each, the dataset select offers
DATASETS_PER_SPACE = 50


def _repo_url(repo: Repo) -> str:
    return reverse("web:repo_detail", args=[repo.name])


def _repo_form(request: HttpRequest, data: Any = None) -> RepoForm:
    """The create form with the first ``CONFIGS_OFFERED`` bucket configs, and whether the
    organization has more (then the config is typed, see ``RepoForm``)."""
    listed = sdk(request).storage.bucket_configs.list(limit=100)
    configs = list(islice(listed, CONFIGS_OFFERED + 1))
    more = len(configs) > CONFIGS_OFFERED
    return RepoForm(data, configs=configs[:CONFIGS_OFFERED], more=more)


def dataset_choices(request: HttpRequest) -> list[tuple[str, list[tuple[str, str]]]]:
    """The dataset select: the datasets of the caller's spaces, grouped by space (the first
    ``SPACES_OFFERED`` spaces, ``DATASETS_PER_SPACE`` datasets each: the SDK lists datasets
    space by space)."""
    client = sdk(request)
    groups = []
    for space in client.spaces.list(limit=SPACES_OFFERED).items:
        try:
            datasets = client.datasets.list(space=space.id, limit=DATASETS_PER_SPACE).items
        except (PermissionDeniedError, NotFoundError):  # no dataset.read in that space
            continue
        if datasets:
            groups.append((space.name, [(d.id, d.name) for d in datasets]))
    return groups


# --- the list -------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@render.dashboard_view
def repos(request: HttpRequest) -> HttpResponse:
    """Live repos (newest first) and the form that creates one; ``?deleted=1``: the deleted
    ones that can still be restored."""
    client = sdk(request)
    manage = can(request, Permission.STORAGE_MANAGE)
    deleted = request.method == "GET" and request.GET.get("deleted") == "1"
    form, status = None, 200
    if request.method == "POST":
        form = _repo_form(request, request.POST)
        submission = submit(form, client.storage.repos.create, created=True)
        status = submission.status
        if submission.ok:
            created = submission.result
            messages.success(request, f"Created the repo “{created.name}”.")
            return render.redirect(request, _repo_url(created))
    page = client.storage.repos.list(deleted=deleted, cursor=request.GET.get("cursor") or None)
    context: dict[str, Any] = {"repos": page, "deleted": deleted, "manage": manage}
    if manage and not deleted:
        context["form"] = form or _repo_form(request)
    partials = {"repos-panel": "repos-panel", "repos-more": "repo-rows"}
    return render.page(request, REPOS, context, partials=partials, status=status)


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def repo_restore(request: HttpRequest, name: str) -> HttpResponse:
    """Restore a deleted repo (htmx asks with hx-confirm; without JavaScript a GET asks)."""
    if request.method == "GET":
        return render.confirm(
            request,
            title=f"Restore the repo “{name}”?",
            message="It is listed again, with its bucket config, prefix and metadata.",
            action=request.path,
            button="Restore",
            cancel=reverse("web:repos") + "?deleted=1",
        )
    repo = sdk(request).storage.repos.restore(name=name)
    return after_removal(request, f"Restored the repo “{repo.name}”.", _repo_url(repo))


# --- one repo -------------------------------------------------------------------------------
def _objects(request: HttpRequest, repo: Repo) -> tuple[Any, str | None]:
    """A page of the repo's objects, or what the store answered instead."""
    try:
        page = sdk(request).storage.repos.objects(
            name=repo.name, after=request.GET.get("after") or None, limit=OBJECTS_PER_PAGE
        )
    except APIStatusError as exc:
        if not (exc.code or "").startswith("store_"):
            raise
        return None, exc.message
    return page, None


def repo_context(
    request: HttpRequest,
    repo: Repo,
    *,
    export_form: RepoExportForm | None = None,
    import_form: RepoImportForm | None = None,
    delete_error: str | None = None,
) -> dict[str, Any]:
    objects, objects_error = _objects(request, repo)
    context: dict[str, Any] = {
        "repo": repo,
        "objects": objects,
        "objects_error": objects_error,
        "manage": can(request, Permission.STORAGE_MANAGE),
    }
    if context["manage"]:
        datasets = dataset_choices(request)
        context.update(
            {
                "export_form": export_form or RepoExportForm(datasets=datasets),
                "import_form": import_form or RepoImportForm(datasets=datasets),
                "job_key": uuid.uuid4().hex,
                "delete_error": delete_error,
            }
        )
    return context


@require_GET
@render.dashboard_view
def repo_detail(request: HttpRequest, name: str) -> HttpResponse:
    repo = sdk(request).storage.repos.get(name=name)
    context = repo_context(request, repo)
    return render.page(request, REPO, context, partials={"objects-more": "object-rows"})


def _start_job(
    request: HttpRequest, repo: Repo, form: forms.Form, call, what: str, anchor: str
) -> HttpResponse:
    """Start an export or import job from ``form``: its page follows the job; a refusal is
    said next to the fields."""
    status = 422
    if form.is_valid() and not form.cleaned_data.get("dataset"):
        form.add_error("dataset", REQUIRED)
    elif form.is_valid():
        try:
            submission = submit(
                form, partial(call, name=repo.name, idempotency_key=idempotency_key(request))
            )
        except NotFoundError as exc:  # the dataset went meanwhile
            form.add_error("dataset", exc.message)
            status = 404
        else:
            status = submission.status
            if submission.ok:
                job = submission.result
                url = reverse("web:job_detail", args=[job.id])
                messages.success(
                    request, format_html('{} started: <a href="{}">job {}</a>.', what, url, job.id)
                )
                return render.redirect(request, url)
    forms_given = {"export_form" if anchor == "export" else "import_form": form}
    context = repo_context(request, repo, **forms_given)
    return render.page(request, REPO, context, partials={anchor: f"repo-{anchor}"}, status=status)


# What each transfer's form starts: (form, the SDK method of client.storage.repos, words).
TRANSFERS = {
    "export": (RepoExportForm, "export_dataset", "Exporting to"),
    "import": (RepoImportForm, "import_rows", "Importing from"),
}


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def repo_transfer(request: HttpRequest, name: str, direction: str) -> HttpResponse:
    """Export a dataset to the repo, or import rows from it (``direction``), as a job."""
    client = sdk(request)
    repo = client.storage.repos.get(name=name)
    if request.method == "GET":
        return render.redirect(request, f"{_repo_url(repo)}#{direction}")
    form_class, method, words = TRANSFERS[direction]
    form = form_class(request.POST, datasets=dataset_choices(request))
    call = getattr(client.storage.repos, method)
    return _start_job(request, repo, form, call, f"{words} {repo.name}", direction)


@require_POST
@render.dashboard_view
def repo_delete(request: HttpRequest, name: str) -> HttpResponse:
    """Delete a repo once its name is typed: restorable for 7 days, or at once when
    "immediately" is ticked. Its objects stay in the bucket either way."""
    client = sdk(request)
    repo = client.storage.repos.get(name=name)
    if request.POST.get("confirm_name", "").strip() != repo.name:
        error = "Type the repo’s name exactly as shown to confirm."
        context = repo_context(request, repo, delete_error=error)
        return render.page(
            request, REPO, context, partials={"repo-danger": "repo-danger"}, status=422
        )
    immediate = request.POST.get("immediate") == "on"
    client.storage.repos.delete(name=repo.name, imsure=True, imreallysure=True, immediate=immediate)
    if immediate:
        messages.success(request, f"Deleted the repo “{repo.name}”.")
        return render.redirect(request, reverse("web:repos"))
    messages.success(
        request, f"Deleted the repo “{repo.name}”: it can be restored for 7 days (Deleted repos)."
    )
    return render.redirect(request, reverse("web:repos") + "?deleted=1")
