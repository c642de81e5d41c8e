"""/api/v1/datasets, /api/v1/data-rows and /api/v1/global-keys. Each endpoint: input schema
→ service or selector → output schema.

``adminapp.api`` mounts the three routers with space-token authentication, so space tokens
can call them, confined to their own space by the permission resolver.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from pydantic import Field

from adminapp.catalog import selectors, services
from adminapp.catalog.schemas import data_row_out, data_rows_created_out, dataset_out
from adminapp.catalog.services import global_keys, imports, rows_bulk
from adminapp.client import types as wire
from adminapp.client.types.catalog import OnInvalid
from adminapp.core.pagination import PageParams
from adminapp.jobs.schemas import job_out

datasets_router = Router(tags=["datasets"])
data_rows_router = Router(tags=["data rows"])
global_keys_router = Router(tags=["global keys"])


# --- datasets and data rows -----------------------------------------------------------------
class DatasetListParams(PageParams):
    space: str = Field(min_length=1, max_length=255, description="The space's id or exact name.")
    name: str | None = Field(None, max_length=255, description="Case-insensitive substring.")


class DataRowListParams(PageParams):
    external_id: str | None = Field(None, max_length=255, description="Exact.")
    global_key: str | None = Field(None, max_length=200, description="Exact, any letter case.")
    global_key_prefix: str | None = Field(
        None,
        max_length=200,
        description="Keys starting with this, any letter case; the rows then come in key order.",
    )
    has_global_key: bool | None = Field(None, description="Only rows with (or without) a key.")


class GlobalKeyParam(Schema):
    global_key: str = Field(min_length=1, max_length=200)


@datasets_router.get(
    "", response=wire.DatasetPage, summary="List a space's datasets (newest first)"
)
def list_datasets(request: HttpRequest, params: Query[DatasetListParams]):
    page = selectors.dataset_list(
        actor=request.auth,
        space=params.space,
        name=params.name,
        limit=params.limit,
        cursor=params.cursor,
    )
    return params.response([dataset_out(d) for d in page.items], page)


@datasets_router.post("", response={201: wire.Dataset}, summary="Create a dataset in a space")
def create_dataset(request: HttpRequest, payload: wire.DatasetCreateParams):
    dataset = services.dataset_create(
        actor=request.auth,
        space=payload.space,
        name=payload.name,
        description=payload.description,
    )
    return Status(201, dataset_out(dataset))


@datasets_router.get(
    "/import-formats",
    response=wire.ImportFormatList,
    summary="The import's formats: csv, jsonl and the enabled plugins' importers",
)
def list_import_formats(request: HttpRequest):
    return selectors.import_formats_list(actor=request.auth)


@datasets_router.get("/{dataset_id}", response=wire.Dataset, summary="Get a dataset")
def get_dataset(request: HttpRequest, dataset_id: str):
    return dataset_out(selectors.dataset_get(actor=request.auth, dataset_id=dataset_id))


@datasets_router.patch(
    "/{dataset_id}", response=wire.Dataset, summary="Rename a dataset or change its description"
)
def update_dataset(request: HttpRequest, dataset_id: str, payload: wire.DatasetUpdateParams):
    dataset = services.dataset_update(
        actor=request.auth,
        dataset_id=dataset_id,
        name=payload.name,
        description=payload.description,
    )
    return dataset_out(dataset)


@datasets_router.delete(
    "/{dataset_id}",
    response={202: wire.Job},
    summary="Delete a dataset (202: gone at once; a dataset_delete job removes its rows)",
)
def delete_dataset(request: HttpRequest, dataset_id: str):
    job = services.dataset_delete(
        actor=request.auth,
        dataset_id=dataset_id,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return Status(202, job_out(job, include_result=False))


@datasets_router.get(
    "/{dataset_id}/data-rows",
    response=wire.DataRowPage,
    summary="List a dataset's data rows (in the order they were added)",
)
def list_data_rows(request: HttpRequest, dataset_id: str, params: Query[DataRowListParams]):
    page = selectors.data_row_list(
        actor=request.auth,
        dataset_id=dataset_id,
        external_id=params.external_id,
        global_key=params.global_key,
        global_key_prefix=params.global_key_prefix,
        has_global_key=params.has_global_key,
        limit=params.limit,
        cursor=params.cursor,
    )
    return params.response([data_row_out(r) for r in page.items], page)


@datasets_router.post(
    "/{dataset_id}/data-rows",
    response=wire.DataRowsCreateResult,
    summary="Add up to 1,000 data rows (key problems are reported per row)",
)
def create_data_rows(request: HttpRequest, dataset_id: str, payload: wire.DataRowsCreateParams):
    status, outcomes = services.data_rows_create(
        actor=request.auth,
        dataset_id=dataset_id,
        rows=[row.model_dump() for row in payload.rows],
        on_invalid=payload.on_invalid.value,
    )
    return data_rows_created_out(status, outcomes)


@data_rows_router.get(
    "/by-global-key", response=wire.DataRow, summary="Get the data row with a global key"
)
def get_data_row_by_global_key(request: HttpRequest, params: Query[GlobalKeyParam]):
    row = selectors.data_row_get_by_global_key(actor=request.auth, global_key=params.global_key)
    return data_row_out(row)


# Before the "/{data_row_id}" routes: Django takes the first pattern that matches.
@data_rows_router.post(
    "/delete",
    response={202: wire.Job},
    summary="Delete up to 100,000 data rows (a job)",
    description=(
        "Answers 202 with the `data_rows_delete` job; its items say per id: deleted, "
        "DATA_ROW_NOT_FOUND, ACCESS_DENIED or DUPLICATE_IN_REQUEST (413 over 100,000 ids)."
    ),
)
def delete_data_rows(request: HttpRequest, payload: wire.DataRowsDeleteParams):
    job = rows_bulk.data_rows_delete_many(
        actor=request.auth,
        data_row_ids=payload.data_row_ids,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return Status(202, job_out(job, include_result=False))


@data_rows_router.get("/{data_row_id}", response=wire.DataRow, summary="Get a data row")
def get_data_row(request: HttpRequest, data_row_id: str):
    return data_row_out(selectors.data_row_get(actor=request.auth, data_row_id=data_row_id))


@data_rows_router.patch(
    "/{data_row_id}",
    response=wire.DataRow,
    summary="Change a data row's row_data, external_id or metadata",
)
def update_data_row(request: HttpRequest, data_row_id: str, payload: wire.DataRowUpdateParams):
    row = services.data_row_update(
        actor=request.auth,
        data_row_id=data_row_id,
        row_data=payload.row_data,
        external_id=payload.external_id,
        metadata=payload.metadata,
    )
    return data_row_out(row)


@data_rows_router.delete(
    "/{data_row_id}", response={204: None}, summary="Delete a data row (frees its global key)"
)
def delete_data_row(request: HttpRequest, data_row_id: str):
    services.data_row_delete(actor=request.auth, data_row_id=data_row_id)
    return Status(204, None)


# --- datasets and data rows: imports -------------------------------------------------------
@datasets_router.post(
    "/{dataset_id}/imports",
    response={202: wire.Job},
    summary="Import data rows from an uploaded CSV or JSONL file (a job)",
    description=(
        "multipart/form-data: `file` (CSV with a header row, or JSON Lines), `format` "
        "(`csv` | `jsonl` | an importer `<plugin id>/<importer id>` listed by "
        "GET /datasets/import-formats; default csv or jsonl from the file name), `on_invalid` (`reject` | "
        "`sanitize`). At most IMPORT_MAX_BYTES bytes (413 above, before it is read) and "
        "IMPORT_MAX_ROWS rows. Answers 202 with the job: poll it under /jobs; its items are "
        "the rows refused, by line."
    ),
)
def import_data_rows_file(
    request: HttpRequest,
    dataset_id: str,
    file: File[UploadedFile],
    format: Form[str | None] = None,
    on_invalid: Form[OnInvalid] = OnInvalid.REJECT,
):
    job = imports.data_rows_import_file(
        actor=request.auth,
        dataset_id=dataset_id,
        file=file,
        filename=file.name or "",
        size=file.size,
        format=format,
        on_invalid=on_invalid,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return Status(202, job_out(job, include_result=False))


@datasets_router.post(
    "/{dataset_id}/data-rows/async",
    response={202: wire.Job},
    summary="Import up to 100,000 data rows given as JSON (a job)",
    description=(
        "For batches over the synchronous create's 1,000 rows: the rows are written as a "
        "JSONL file and imported by the same job as an uploaded file (413 over "
        "IMPORT_JSON_MAX_ROWS rows: upload a file instead)."
    ),
)
def import_data_rows_json(
    request: HttpRequest, dataset_id: str, payload: wire.DataRowsImportParams
):
    job = imports.data_rows_import_rows(
        actor=request.auth,
        dataset_id=dataset_id,
        rows=payload.rows,
        on_invalid=payload.on_invalid,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return Status(202, job_out(job, include_result=False))


# --- global keys ----------------------------------------------------------------------------
# Each POST answers 202 with the job at once; ``Idempotency-Key`` makes a retried request
# return the job the first one started. The per-item outcomes are /jobs/{id}/items (paged,
# filter by status and error_code) and /jobs/{id}/items.csv.


def _idempotency_key(request: HttpRequest) -> str | None:
    return request.headers.get("Idempotency-Key")


def _accepted(job):
    return Status(202, job_out(job, include_result=False))


@global_keys_router.post(
    "/assign", response={202: wire.Job}, summary="Assign global keys (a job; dry_run previews)"
)
def assign_global_keys(request: HttpRequest, payload: wire.GlobalKeyAssignParams):
    return _accepted(
        global_keys.global_keys_assign(
            actor=request.auth,
            items=[item.model_dump() for item in payload.items],
            on_invalid=payload.on_invalid.value,
            dry_run=payload.dry_run,
            idempotency_key=_idempotency_key(request),
        )
    )


@global_keys_router.post(
    "/assign/file",
    response={202: wire.Job},
    summary="Assign global keys from a data_row_id,global_key CSV or a JSONL file (a job)",
)
def assign_global_keys_file(
    request: HttpRequest,
    file: File[UploadedFile],
    on_invalid: Form[wire.OnInvalid] = wire.OnInvalid.REJECT,
    dry_run: Form[bool] = False,
):
    return _accepted(
        global_keys.global_keys_assign(
            actor=request.auth,
            upload=file,
            on_invalid=on_invalid.value,
            dry_run=dry_run,
            idempotency_key=_idempotency_key(request),
        )
    )


@global_keys_router.post("/clear", response={202: wire.Job}, summary="Clear global keys (a job)")
def clear_global_keys(request: HttpRequest, payload: wire.GlobalKeyKeysParams):
    return _accepted(
        global_keys.global_keys_clear(
            actor=request.auth,
            keys=payload.global_keys,
            dry_run=payload.dry_run,
            idempotency_key=_idempotency_key(request),
        )
    )


@global_keys_router.post(
    "/clear/file", response={202: wire.Job}, summary="Clear the keys of a global_key CSV/JSONL"
)
def clear_global_keys_file(
    request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = False
):
    return _accepted(
        global_keys.global_keys_clear(
            actor=request.auth,
            upload=file,
            dry_run=dry_run,
            idempotency_key=_idempotency_key(request),
        )
    )


@global_keys_router.post(
    "/lookup", response={202: wire.Job}, summary="Data row ids for keys, in input order (a job)"
)
def lookup_global_keys(request: HttpRequest, payload: wire.GlobalKeyLookupParams):
    return _accepted(
        global_keys.global_keys_lookup(
            actor=request.auth,
            keys=payload.global_keys,
            idempotency_key=_idempotency_key(request),
        )
    )


@global_keys_router.post(
    "/lookup/file", response={202: wire.Job}, summary="Look up the keys of a CSV/JSONL file"
)
def lookup_global_keys_file(request: HttpRequest, file: File[UploadedFile]):
    return _accepted(
        global_keys.global_keys_lookup(
            actor=request.auth, upload=file, idempotency_key=_idempotency_key(request)
        )
    )


@global_keys_router.post(
    "/revert", response={202: wire.Job}, summary="Revert a finished assign or clear job (a job)"
)
def revert_global_keys(request: HttpRequest, payload: wire.GlobalKeyRevertParams):
    return _accepted(
        global_keys.global_keys_revert(
            actor=request.auth, job_id=payload.job_id, idempotency_key=_idempotency_key(request)
        )
    )


@global_keys_router.post(
    "/exists",
    response=wire.GlobalKeyExistsResult,
    summary="Whether each key is held by a data row you can read",
)
def global_keys_exist(request: HttpRequest, payload: wire.GlobalKeyExistsParams):
    return {"results": global_keys.global_keys_exists(actor=request.auth, keys=payload.global_keys)}
