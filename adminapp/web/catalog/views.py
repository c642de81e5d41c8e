"""Dashboard pages for the catalog: a space's datasets (a panel of the space's page, and a
page of their own for browsers without JavaScript), and a dataset's page (its rows, searched
and paged by keyset, a form to add one, its settings and deletion).

Which controls show follows the caller's permissions in the dataset's space
(``space|can:"dataset.write"``); the API refuses anyway.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from adminapp.client import AdminClient, APIStatusError, Permission
from adminapp.client.types import Dataset, Space
from adminapp.web import render
from adminapp.web.catalog.forms import DatasetForm, ImportForm, RowFilterForm, RowForm
from adminapp.web.client import sdk
from adminapp.web.flow import (
    REQUIRED,
    after_removal,
    apply_api_errors,
    filtered_page,
    idempotency_key,
    is_input_error,
    submit,
)

DATASETS = "web/catalog/datasets.html"
DATASET = "web/catalog/dataset_detail.html"


def _cursor(request: HttpRequest) -> str | None:
    return request.GET.get("cursor") or None


def datasets_context(
    request: HttpRequest, space: Space, *, form: DatasetForm | None = None, query: str = ""
) -> dict[str, Any]:
    """The datasets panel: a page of the space's datasets (``query`` filters by name) and,
    for those who may write, the form that creates one."""
    allowed = set(space.permissions or ())
    context: dict[str, Any] = {"space": space, "dataset_q": query}
    if Permission.DATASET_READ in allowed:
        context["datasets"] = sdk(request).datasets.list(
            space=space.id, name=query or None, cursor=_cursor(request)
        )
    if Permission.DATASET_WRITE in allowed:
        context["dataset_form"] = form or DatasetForm(prefix="dataset")
    return context


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def datasets(request: HttpRequest, space_id: str) -> HttpResponse:
    client = sdk(request)
    space = client.spaces.get(space_id)
    form, status = None, 200
    if request.method == "POST":
        form = DatasetForm(request.POST, prefix="dataset")
        submission = submit(form, partial(client.datasets.create, space=space.id), created=True)
        status = submission.status
        if submission.ok:
            created = submission.result
            messages.success(request, f"Created the dataset “{created.name}”.")
            return render.redirect(request, reverse("web:dataset_detail", args=[created.id]))
    query = request.GET.get("q", "").strip()[:255] if request.method == "GET" else ""
    context = datasets_context(request, space, form=form, query=query)
    partials = {
        "datasets-panel": "datasets-panel",
        "dataset-results": "dataset-results",
        "datasets-more": "dataset-rows",
    }
    return render.page(request, DATASETS, context, partials=partials, status=status)


# --- one dataset ----------------------------------------------------------------------------
def _dataset_and_space(client: AdminClient, dataset_id: str) -> tuple[Dataset, Space]:
    dataset = client.datasets.get(dataset_id)
    return dataset, client.spaces.get(dataset.space_id)


def _edit_form(dataset: Dataset, data=None) -> DatasetForm:
    initial = {"name": dataset.name, "description": dataset.description}
    return DatasetForm(data, initial=initial, prefix="edit")


def dataset_context(
    request: HttpRequest,
    dataset: Dataset,
    space: Space,
    *,
    row_form: RowForm | None = None,
    edit_form: DatasetForm | None = None,
    import_form: ImportForm | None = None,
    delete_error: str | None = None,
) -> tuple[dict[str, Any], int]:
    filters = RowFilterForm(request.GET if request.method == "GET" else None)
    if request.method == "GET":
        page, status = filtered_page(
            request, filters, partial(sdk(request).data_rows.list, dataset=dataset.id)
        )
    else:  # after a post the table starts over, unfiltered
        page, status = sdk(request).data_rows.list(dataset=dataset.id), 200
    allowed = set(space.permissions or ())
    context: dict[str, Any] = {
        "dataset": dataset,
        "space": space,
        "rows": page,
        "filters": filters,
        "filtered": bool(filters.is_bound and filters.is_valid() and filters.sdk_filters()),
    }
    if Permission.DATASET_WRITE in allowed:
        context["row_form"] = row_form or RowForm()
        context["import_form"] = import_form or ImportForm()
        context["import_key"] = uuid.uuid4().hex
        context["edit_form"] = edit_form or _edit_form(dataset)
        context["delete_error"] = delete_error
        context["delete_key"] = uuid.uuid4().hex
    return context, status


@require_GET
@render.dashboard_view
def dataset_detail(request: HttpRequest, dataset_id: str) -> HttpResponse:
    dataset, space = _dataset_and_space(sdk(request), dataset_id)
    context, status = dataset_context(request, dataset, space)
    partials = {"row-results": "row-results", "rows-more": "row-rows"}
    return render.page(request, DATASET, context, partials=partials, status=status)


@require_POST
@render.dashboard_view
def data_row_add(request: HttpRequest, dataset_id: str) -> HttpResponse:
    """Add one row. The API answers per row: a refused key goes next to the key field."""
    client = sdk(request)
    dataset, space = _dataset_and_space(client, dataset_id)
    form = RowForm(request.POST)
    submission = submit(form, partial(client.data_rows.create, dataset=dataset.id))
    status = submission.status
    if submission.ok:
        outcome = submission.result
        if outcome.errors:
            error = outcome.errors[0]
            field = "global_key" if "KEY" in error.code else None
            form.add_error(field, error.message)
            status = 409 if error.code == "KEY_TAKEN" else 422
        else:
            created = outcome.results[0]
            note = " (its key was sanitized)" if created.sanitized else ""
            messages.success(request, f"Added the row {created.id}{note}.")
            url = reverse("web:dataset_detail", args=[dataset.id])
            if not render.is_partial(request):
                return render.redirect(request, url)
            dataset, form = client.datasets.get(dataset.id), None
    context, _ = dataset_context(request, dataset, space, row_form=form)
    return render.page(
        request, DATASET, context, partials={"dataset-rows-panel": "rows-panel"}, status=status
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def data_row_import(request: HttpRequest, dataset_id: str) -> HttpResponse:
    """Import rows from an uploaded file: the upload is streamed on to the API
    (``client.data_rows.import_file``), and the job's page follows the import's progress
    and outcome. A refused file (its format, its size, empty) is said next to the field."""
    client = sdk(request)
    dataset, space = _dataset_and_space(client, dataset_id)
    url = reverse("web:dataset_detail", args=[dataset.id])
    if request.method == "GET":
        return render.redirect(request, url + "#import")
    form = ImportForm(request.POST, request.FILES)
    status = 422
    if form.is_valid() and not form.cleaned_data.get("file"):
        form.add_error("file", REQUIRED)
    elif form.is_valid():
        try:
            job = client.data_rows.import_file(
                dataset=dataset.id,
                idempotency_key=idempotency_key(request),
                **form.sdk_arguments(),
            )
        except APIStatusError as exc:
            if not (is_input_error(exc) or exc.status_code == 413):
                raise
            if "format" in (exc.fields or {}) and not form.cleaned_data.get("format"):
                # "From the file name", which names none: the API's sentence says so.
                form.add_error("format", exc.message)
            elif exc.fields:
                apply_api_errors(form, exc)
            else:
                form.add_error("file", exc.message)
            status = exc.status_code
        else:
            name = form.cleaned_data["file"].name
            messages.success(request, f"Importing “{name}” into {dataset.name}.")
            return render.redirect(request, reverse("web:job_detail", args=[job.id]))
    context, _ = dataset_context(request, dataset, space, import_form=form)
    return render.page(
        request, DATASET, context, partials={"import": "dataset-import"}, status=status
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def data_row_delete(request: HttpRequest, data_row_id: str) -> HttpResponse:
    """Delete one row (htmx asks with hx-confirm; without JavaScript a GET shows the
    question first). Its global key is free again at once."""
    client = sdk(request)
    row = client.data_rows.get(data_row_id)
    back = reverse("web:dataset_detail", args=[row.dataset_id])
    if request.method == "GET":
        key = f" and frees its global key “{row.global_key}”" if row.global_key else ""
        return render.confirm(
            request,
            title="Delete this data row?",
            message=f"This removes the row {row.id}{key}. It cannot be undone.",
            action=request.path,
            button="Delete row",
            cancel=back,
            danger=True,
        )
    client.data_rows.delete(row.id)
    return after_removal(
        request,
        f"Deleted the row {row.id}.",
        back,
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def dataset_edit(request: HttpRequest, dataset_id: str) -> HttpResponse:
    client = sdk(request)
    dataset, space = _dataset_and_space(client, dataset_id)
    url = reverse("web:dataset_detail", args=[dataset.id])
    if request.method == "GET":
        return render.redirect(request, url + "#settings")
    form = _edit_form(dataset, request.POST)
    saved = submit(form, partial(client.datasets.update, dataset.id))
    if saved.ok:
        messages.success(request, f"Saved the dataset “{saved.result.name}”.")
        return render.redirect(request, url)
    context, _ = dataset_context(request, dataset, space, edit_form=form)
    return render.page(
        request, DATASET, context, partials={"settings": "dataset-settings"}, status=saved.status
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def dataset_delete(request: HttpRequest, dataset_id: str) -> HttpResponse:
    """Delete a dataset after its name is typed (app.js enables the button once it matches;
    this view checks again). Its rows are removed by a job."""
    client = sdk(request)
    dataset, space = _dataset_and_space(client, dataset_id)
    if request.method == "GET":
        return render.redirect(
            request, reverse("web:dataset_detail", args=[dataset.id]) + "#dataset-danger"
        )
    if request.POST.get("confirm_name", "").strip() != dataset.name:
        error = "Type the dataset’s name exactly as shown to confirm."
        context, _ = dataset_context(request, dataset, space, delete_error=error)
        return render.page(
            request, DATASET, context, partials={"dataset-danger": "dataset-danger"}, status=422
        )
    job = client.datasets.delete(dataset.id, idempotency_key=idempotency_key(request))
    message = format_html(
        'Deleted “{}”. Its rows are being removed: <a href="{}">follow the job</a>.',
        dataset.name,
        reverse("web:job_detail", args=[job.id]),
    )
    messages.success(request, message)
    return render.redirect(request, reverse("web:space_detail", args=[space.id]) + "#datasets")
