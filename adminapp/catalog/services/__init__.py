"""Writes for datasets and data rows (SPEC §4).

Every function takes the acting ``Principal``, checks it through ``adminapp.authz``
(``dataset.write`` in the dataset's space), writes in one transaction and records one audit
event in it — one per request, never one per row. One module per aggregate: ``datasets``,
``rows`` (with ``rows_checks`` and ``rows_insert``), ``rows_bulk``, ``imports`` and
``global_keys``; what the datasets and rows modules export is
importable from here.
"""

from adminapp.catalog.services.datasets import (
    DATASET_DESCRIPTION_MAX,
    DATASET_NAME_MAX,
    dataset_create,
    dataset_delete,
    dataset_update,
)
from adminapp.catalog.services.rows import data_row_delete, data_row_update, data_rows_create
from adminapp.catalog.services.rows_checks import INVALID_ROW, SYNC_ROWS_MAX, RowOutcome
from adminapp.catalog.services.rows_insert import rows_insert

__all__ = [
    "DATASET_DESCRIPTION_MAX",
    "DATASET_NAME_MAX",
    "INVALID_ROW",
    "SYNC_ROWS_MAX",
    "RowOutcome",
    "data_row_delete",
    "data_row_update",
    "data_rows_create",
    "dataset_create",
    "dataset_delete",
    "dataset_update",
    "rows_insert",
]
