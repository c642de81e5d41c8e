"""Private fixtures of the global key tests until the catalog's factories
(``tests/catalog/factories.py``: ``make_dataset``, ``make_rows``) land: a dataset and its rows
inserted directly, so these tests need no dataset service."""

from __future__ import annotations

from adminapp.catalog.models import DataRow, Dataset
from adminapp.core.validation import name_key


def make_dataset(*, space, name: str = "Dataset", description: str = "") -> Dataset:
    return Dataset.objects.create(
        organization_id=space.organization_id,
        space=space,
        name=name,
        name_key=name_key(name),
        description=description,
    )


def make_rows(*, dataset: Dataset, n: int, keys: list[str | None] | None = None) -> list[DataRow]:
    keys = keys if keys is not None else [None] * n
    rows = DataRow.objects.bulk_create(
        [
            DataRow(
                organization_id=dataset.organization_id,
                space_id=dataset.space_id,
                dataset=dataset,
                row_data=f"https://example.com/{i}.jpg",
                global_key=keys[i],
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    Dataset.objects.filter(id=dataset.id).update(row_count=dataset.row_count + n)
    return rows
