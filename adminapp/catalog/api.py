"""/api/v1/datasets, /api/v1/data-rows and /api/v1/global-keys. Each endpoint: input schema
→ service or selector → output schema.

``adminapp.api`` mounts the three routers with space-token authentication, so space tokens
can call them, confined to their own space by the permission resolver.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import File, Form, Router, Status, UploadedFile

from adminapp.catalog.services import imports
from adminapp.client import types as wire
from adminapp.client.types.catalog import ImportFormat, OnInvalid
from adminapp.jobs.schemas import job_out

datasets_router = Router(tags=["datasets"])
data_rows_router = Router(tags=["data rows"])
global_keys_router = Router(tags=["global keys"])

# --- datasets and data rows -----------------------------------------------------------------


# --- datasets and data rows: imports -------------------------------------------------------
@datasets_router.post(
    "/{dataset_id}/imports",
    response={202: wire.Job},
    summary="Import data rows from an uploaded CSV or JSONL file (a job)",
    description=(
        "multipart/form-data: `file` (CSV with a header row, or JSON Lines), `format` "
        "(`csv` | `jsonl`; default from the file name), `on_invalid` (`reject` | "
        "`sanitize`). At most IMPORT_MAX_BYTES bytes (413 above, before it is read) and "
        "IMPORT_MAX_ROWS rows. Answers 202 with the job: poll it under /jobs; its items are "
        "the rows refused, by line."
    ),
)
def import_data_rows_file(
    request: HttpRequest,
    dataset_id: str,
    file: File[UploadedFile],
    format: Form[ImportFormat | None] = None,
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
