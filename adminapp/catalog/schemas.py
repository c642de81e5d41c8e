"""ORM → wire conversions for the catalog. Response shapes and request bodies (``*Params``)
are the SDK's, in ``adminapp.client.types.catalog``; the rules live in the services."""

from __future__ import annotations

from typing import Any

from adminapp.catalog.models import DataRow, Dataset
from adminapp.catalog.services import RowOutcome
from adminapp.client import types as wire
from adminapp.client.types.jobs import JobOutcome


def dataset_out(dataset: Dataset) -> wire.Dataset:
    return wire.Dataset(
        id=dataset.id,
        space_id=dataset.space_id,
        name=dataset.name,
        description=dataset.description,
        row_count=dataset.row_count,
        created_at=dataset.created_at,
        updated_at=dataset.updated_at,
    )


def _row_fields(row: DataRow) -> dict[str, Any]:
    return dict(
        id=row.id,
        dataset_id=row.dataset_id,
        space_id=row.space_id,
        row_data=row.row_data,
        external_id=row.external_id,
        metadata=row.metadata or {},
        global_key=row.global_key,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def data_row_out(row: DataRow) -> wire.DataRow:
    return wire.DataRow(**_row_fields(row))


def data_rows_created_out(
    status: JobOutcome, outcomes: list[RowOutcome]
) -> wire.DataRowsCreateResult:
    results, errors = [], []
    for o in outcomes:
        if o.ok:
            results.append(
                wire.DataRowCreated(**_row_fields(o.row), index=o.index, sanitized=o.sanitized)
            )
        else:
            errors.append(
                wire.ItemError(index=o.index, code=o.code, message=o.message, input=o.input)
            )
    return wire.DataRowsCreateResult(status=status, results=results, errors=errors)
