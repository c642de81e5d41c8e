"""/api/v1/datasets, /api/v1/data-rows and /api/v1/global-keys. Each endpoint: input schema
→ service or selector → output schema.

``adminapp.api`` mounts the three routers with space-token authentication, so space tokens
can call them, confined to their own space by the permission resolver.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from adminapp.catalog.services import global_keys
from adminapp.client import types as wire
from adminapp.jobs.schemas import job_out

datasets_router = Router(tags=["datasets"])
data_rows_router = Router(tags=["data rows"])
global_keys_router = Router(tags=["global keys"])

# --- datasets and data rows -----------------------------------------------------------------

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
