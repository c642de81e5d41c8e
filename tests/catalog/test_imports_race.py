"""Two imports racing for the same global keys on PostgreSQL, each run by the engine in its
own thread and connection, released at the same moment, in small chunks: each key ends up
on exactly one row, the other import reports KEY_TAKEN for it (the unique index decides
inside the set-based insert: a row waits for the other transaction's uncommitted key and is
refused once it commits), neither job fails or deadlocks, and each dataset's row count is
exactly its rows.

On SQLite one writing transaction runs at a time, so there is no race to test."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.db.models.functions import Lower

from adminapp.catalog.models import DataRow, Dataset
from adminapp.catalog.services.imports import data_rows_import_file
from adminapp.jobs.models import Job, JobItem, JobState
from tests.catalog.factories import make_dataset
from tests.catalog.test_global_keys_race import _run_together
from tests.factories import make_tenant
from tests.spaces.factories import make_space

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one writing transaction at a time: no race to test",
)
N = 3000


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_imports_racing_for_the_same_keys_each_key_once_the_loser_key_taken(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_CHUNK_ROWS = 250
    tenant = make_tenant()
    space = make_space(tenant, "S")
    first_ds, second_ds = make_dataset(space=space, name="A"), make_dataset(space=space, name="B")
    keys = [f"Key-{i:05d}" for i in range(N)]
    # The second file has the same keys in lower case (the index folds case), in the
    # opposite order, so the two meet in the middle.
    files = [
        "row_data,global_key\n" + "".join(f"https://a/{k}.jpg,{k}\n" for k in keys),
        "row_data,global_key\n"
        + "".join(f"https://b/{k}.jpg,{k.lower()}\n" for k in reversed(keys)),
    ]
    jobs = [
        data_rows_import_file(
            actor=tenant.principal("ADMIN"),
            dataset_id=ds.id,
            file=ContentFile(text.encode(), name="rows.csv"),
            filename="rows.csv",
        )
        for ds, text in zip((first_ds, second_ds), files, strict=True)
    ]

    assert _run_together([j.id for j in jobs]) == []

    done = {j.id: j for j in Job.objects.filter(id__in=[j.id for j in jobs])}
    assert {j.state for j in done.values()} == {JobState.SUCCEEDED}
    held = Counter(
        DataRow.objects.filter(organization_id=tenant.org.id, global_key__isnull=False)
        .annotate(folded=Lower("global_key"))
        .values_list("folded", flat=True)
    )
    assert set(held) == {k.lower() for k in keys} and set(held.values()) == {1}
    refused = list(JobItem.objects.filter(job_id__in=done).values_list("error_code", flat=True))
    assert refused == ["KEY_TAKEN"] * N  # each key: one row created, one refused
    created = [done[j.id].result["created"] for j in jobs]
    assert sum(created) == N and 0 < created[0] < N  # they really raced: each won some
    for ds, n in zip((first_ds, second_ds), created, strict=True):
        assert (
            Dataset.objects.get(id=ds.id).row_count
            == n
            == DataRow.objects.filter(dataset=ds).count()
        )
