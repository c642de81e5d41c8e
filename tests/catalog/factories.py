"""Catalog test data built through the real services (``make_rows`` through the one
set-based insert, ``rows_insert``)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from adminapp.accounts.models import OrgMembership
from adminapp.catalog import services
from adminapp.catalog.models import DataRow, Dataset
from adminapp.core.principal import Principal
from adminapp.spaces.models import Space
from tests.factories import principal_for

API = "/api/v1"
_seq = count(1)


def owner_of(space: Space) -> Principal:
    """The principal of the space's organization's owner."""
    membership = (
        OrgMembership.objects.select_related("user", "organization")
        .filter(organization_id=space.organization_id, account_role="OWNER")
        .first()
    )
    return principal_for(membership.user, membership.organization)


def make_dataset(*, space: Space, name: str = "Dataset", description: str = "") -> Dataset:
    return services.dataset_create(
        actor=owner_of(space), space=space.id, name=name, description=description
    )


def make_rows(
    *, dataset: Dataset, n: int, keys: Sequence[str | None] | None = None
) -> list[DataRow]:
    """``n`` rows added to ``dataset`` (``keys``: their global keys, same length, None for
    no key); every row must be created. ``dataset.row_count`` is refreshed."""
    if keys is not None and len(keys) != n:
        raise ValueError(f"keys has {len(keys)} entries for {n} rows")
    batch = next(_seq)
    rows = [
        {
            "row_data": f"https://example.com/images/{batch}-{i}.jpg",
            "external_id": f"ext-{batch}-{i}",
            "global_key": keys[i] if keys is not None else None,
        }
        for i in range(n)
    ]
    outcomes = services.rows_insert(dataset=dataset, rows=rows)
    refused = [o for o in outcomes if not o.ok]
    if refused:
        raise AssertionError(f"make_rows: {len(refused)} refused, first: {refused[0]}")
    dataset.refresh_from_db(fields=["row_count"])
    return [o.row for o in outcomes]
