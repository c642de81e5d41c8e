"""Deleting many data rows at once, as a job (SPEC §4: large deletes run on workers).

The request names up to ``DELETE_MANY_MAX`` row ids; they are written as one JSONL file
through Django's storage API (never into the job's parameters) and the ``data_rows_delete``
job deletes them chunk by chunk (``catalog.jobs.DataRowsDelete``). Per id: deleted, or
``DATA_ROW_NOT_FOUND`` (no such row in the organization — or already deleted, by someone else
or by an earlier occurrence of the id), ``ACCESS_DENIED`` (a space where the caller may not
write data) or ``DUPLICATE_IN_REQUEST`` (the id again in the same chunk).
"""

from __future__ import annotations

import hashlib
import uuid

import orjson
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.catalog.jobs import DELETE_INPUTS, DataRowsDelete, DataRowsDeleteParams
from adminapp.catalog.services.global_keys import _earlier, _require_somewhere
from adminapp.core.errors import PayloadTooLarge, ValidationFailed
from adminapp.core.principal import Principal
from adminapp.jobs.models import Job
from adminapp.jobs.services import job_create

DELETE_MANY_MAX = 100_000


def data_rows_delete_many(
    *, actor: Principal, data_row_ids: list[str], idempotency_key: str | None = None
) -> Job:
    """Start a ``data_rows_delete`` job for these ids (1 to ``DELETE_MANY_MAX``)."""
    if not data_row_ids:
        raise ValidationFailed(
            "Name at least one data row.", fields={"data_row_ids": ["At least one id."]}
        )
    if len(data_row_ids) > DELETE_MANY_MAX:
        raise PayloadTooLarge(
            f"{len(data_row_ids):,} ids is more than the {DELETE_MANY_MAX:,} one request may "
            "delete: send them in several requests.",
            code="too_many_items",
        )
    _require_somewhere(actor, Permission.DATASET_WRITE)
    body = b"".join(orjson.dumps(row_id) + b"\n" for row_id in data_row_ids)
    digest = hashlib.sha256(body).hexdigest()
    key = (idempotency_key or "").strip()
    earlier = _earlier(actor, key, DataRowsDelete.name, {"sha256": digest}) if key else None
    if earlier is not None:  # a retried request: the same ids, by their hash
        return earlier
    name = default_storage.save(f"{DELETE_INPUTS}/{uuid.uuid4().hex}.jsonl", ContentFile(body))
    params = DataRowsDeleteParams(input=name, items=len(data_row_ids), sha256=digest)
    try:
        with transaction.atomic():
            job, created = job_create(
                actor=actor, kind=DataRowsDelete, params=params, idempotency_key=key
            )
            if created:
                audit_record(
                    actor=actor,
                    action="data_rows.delete_many",
                    target_type="job",
                    target_id=job.id,
                    details={"items": len(data_row_ids)},
                )
    except BaseException:
        default_storage.delete(name)
        raise
    if not created:  # a concurrent retry won: its file is the input
        default_storage.delete(name)
    return job
