"""The catalog's section of the "all org data" export (``accounts.org_data``): datasets with
their row counts. Data rows are not in it — millions of them belong in a dataset export
(``client.storage`` repo export as JSONL), not in one archive."""

from __future__ import annotations

from adminapp.accounts.org_data import STREAM_BATCH, register_section
from adminapp.catalog.models import Dataset
from adminapp.catalog.schemas import dataset_out


def _datasets(org_id: str):
    datasets = Dataset.objects.filter(organization_id=org_id, deleted_at__isnull=True)
    for dataset in datasets.order_by("created_at", "id").iterator(chunk_size=STREAM_BATCH):
        yield dataset_out(dataset).model_dump(mode="json")


def register() -> None:
    register_section(
        "datasets", _datasets, description="Datasets and their row counts (not the rows)."
    )
