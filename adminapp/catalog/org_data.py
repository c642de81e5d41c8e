"""The catalog's section of the "all org data" export (``accounts.org_data``): datasets with
their row counts. Data rows are not in it — millions of them belong in a dataset export
(``client.storage`` repo export as JSONL), not in one archive."""

from __future__ import annotations

from adminapp.accounts.org_data import records, register_section
from adminapp.catalog.models import Dataset
from adminapp.catalog.schemas import dataset_out


def _datasets(org_id: str):
    return records(
        Dataset.objects.filter(organization_id=org_id, deleted_at__isnull=True), dataset_out
    )


def register() -> None:
    register_section(
        "datasets", _datasets, description="Datasets and their row counts (not the rows)."
    )
