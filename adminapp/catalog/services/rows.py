"""Creating, changing and deleting data rows: the synchronous ``POST …/data-rows`` (up to
``SYNC_ROWS_MAX`` rows, through ``rows_insert``: see ``services.rows_insert`` for the
duplicate-key policy shared with the import job), and the single-row update and delete.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F

from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.catalog import selectors
from adminapp.catalog.keys import OnInvalid
from adminapp.catalog.models import (
    DataRow,
    Dataset,
)
from adminapp.catalog.services.datasets import lock_dataset
from adminapp.catalog.services.rows_checks import (
    INVALID_ROW,
    SYNC_ROWS_MAX,
    RowOutcome,
    clean_external_id,
    clean_metadata,
    clean_row_data,
    prepare_rows,
)
from adminapp.catalog.services.rows_insert import insert_checked
from adminapp.client.types.jobs import JobOutcome
from adminapp.core.errors import (
    ApplicationError,
    BadRequest,
    PayloadTooLarge,
    ValidationFailed,
)
from adminapp.core.principal import Principal


def outcome_status(outcomes: Sequence[RowOutcome]) -> JobOutcome:
    created = sum(1 for o in outcomes if o.ok)
    if created == len(outcomes):
        return JobOutcome.SUCCESS
    return JobOutcome.PARTIAL_SUCCESS if created else JobOutcome.FAILURE


def too_many_rows(count: int) -> ApplicationError:
    return PayloadTooLarge(
        f"At most {SYNC_ROWS_MAX:,} rows per request (got {count:,}): import more from a "
        "CSV or JSONL file with an import job instead (client.data_rows.import_file).",
        code="too_many_items",
        details={"max_items": SYNC_ROWS_MAX, "items": count},
    )


# --- the services ------------------------------------------------------------------------------
@transaction.atomic
def data_rows_create(
    *,
    actor: Principal,
    dataset_id: str,
    rows: Sequence[Any],
    on_invalid: OnInvalid | str = OnInvalid.REJECT,
) -> tuple[JobOutcome, list[RowOutcome]]:
    """Add up to SYNC_ROWS_MAX rows to a dataset at once. A row whose content is wrong
    refuses the whole request (422 naming ``rows.<i>.<field>``, nothing written); key
    problems are reported per row and the other rows are created. Returns the status
    (SUCCESS / PARTIAL_SUCCESS / FAILURE) and one outcome per row, in input order."""
    if len(rows) > SYNC_ROWS_MAX:
        raise too_many_rows(len(rows))
    if not rows:
        raise ValidationFailed("Give at least one row.", fields={"rows": ["At least one row."]})
    dataset = selectors.dataset_get(actor=actor, dataset_id=dataset_id)
    selectors.require_dataset(actor, dataset, Permission.DATASET_WRITE)
    checked = prepare_rows(rows, on_invalid=on_invalid)
    invalid = [c for c in checked if isinstance(c, RowOutcome) and c.code == INVALID_ROW]
    if invalid:
        fields: dict[str, list[str]] = {}
        for c in invalid:
            for name, messages in c.fields.items():
                fields.setdefault(
                    ".".join(p for p in ("rows", str(c.index), name) if p), []
                ).extend(messages)
        raise ValidationFailed(
            f"{len(invalid)} row(s) are not valid, first row {invalid[0].index}: "
            f"{invalid[0].message} Nothing was created.",
            fields=fields,
        )
    dataset = lock_dataset(dataset)  # a concurrent delete cannot miss these rows
    outcomes = insert_checked(dataset=dataset, checked=checked)
    status = outcome_status(outcomes)
    errors: dict[str, int] = {}
    for o in outcomes:
        if not o.ok:
            errors[o.code] = errors.get(o.code, 0) + 1
    audit_record(
        actor=actor,
        action="data_rows.create",
        target_type="dataset",
        target_id=dataset.id,
        details={
            "status": status.value,
            "created": sum(1 for o in outcomes if o.ok),
            "sanitized": sum(1 for o in outcomes if o.ok and o.sanitized),
            "errors": errors,
        },
    )
    return status, outcomes


@transaction.atomic
def data_row_update(
    *,
    actor: Principal,
    data_row_id: str,
    row_data: str | None = None,
    external_id: str | None = None,
    metadata: dict | None = None,
) -> DataRow:
    """Change a row's ``row_data``, ``external_id`` and/or ``metadata`` (its global key
    changes through the global-key jobs)."""
    if row_data is None and external_id is None and metadata is None:
        raise BadRequest(
            "Give row_data, external_id or metadata to change.",
            fields={"row_data": ["Give row_data, external_id or metadata."]},
        )
    row = selectors.data_row_get(actor=actor, data_row_id=data_row_id)
    selectors.require_data_row(actor, row, Permission.DATASET_WRITE)
    row = DataRow.objects.select_for_update().get(id=row.id)
    changed: list[str] = []
    if row_data is not None:
        value = clean_row_data(row_data)
        if value != row.row_data:
            row.row_data = value
            changed.append("row_data")
    if external_id is not None:
        value = clean_external_id(external_id)
        if value != row.external_id:
            row.external_id = value
            changed.append("external_id")
    if metadata is not None:
        value = clean_metadata(metadata)
        if value != row.metadata:
            row.metadata = value
            changed.append("metadata")
    if changed:
        row.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action="data_row.update",
            target_type="data_row",
            target_id=row.id,
            details={"dataset_id": row.dataset_id, "fields": changed},
        )
    return row


@transaction.atomic
def data_row_delete(*, actor: Principal, data_row_id: str) -> None:
    """Delete a row: its global key is free again and its dataset counts one row less."""
    row = selectors.data_row_get(actor=actor, data_row_id=data_row_id)
    selectors.require_data_row(actor, row, Permission.DATASET_WRITE)
    deleted, _ = DataRow.objects.filter(id=row.id).delete()
    if deleted:
        Dataset.objects.filter(id=row.dataset_id).update(row_count=F("row_count") - deleted)
        audit_record(
            actor=actor,
            action="data_row.delete",
            target_type="data_row",
            target_id=row.id,
            details={"dataset_id": row.dataset_id, "global_key": row.global_key},
        )
