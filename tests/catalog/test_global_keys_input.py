"""A lookup's or clear's CSV input is staged on PostgreSQL by one server-side ``COPY`` of its
bytes when they are plain records, and by the input's own reader otherwise: whichever way,
the job reads the same items (quoted keys, blank lines, CRLF, backslashes, a ``\\.`` line)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from adminapp.catalog import staging
from adminapp.catalog.models import DataRow
from adminapp.catalog.services.global_keys import global_keys_clear, global_keys_lookup
from adminapp.jobs.engine import job_run
from adminapp.jobs.selectors import job_items_all
from tests.catalog.factories import make_dataset, make_rows
from tests.spaces.factories import make_space

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the server-side COPY is PostgreSQL's"
)

# (file body after the header, the keys the job must read in order)
SHAPES = {
    "plain": (b"k-1\nK-2\nnope\n", ["k-1", "K-2", "nope"]),
    "no final newline": (b"k-1\nk,x", None),  # a second column: the reader's error
    "crlf": (b"k-1\r\nK-2\r\n", ["k-1", "K-2"]),
    "quoted, a comma inside": (b'"k,3"\nk-1\n', ["k,3", "k-1"]),
    "a blank line": (b"k-1\n\nK-2\n", ["k-1", "K-2"]),
    "a backslash": (b"k\\1\nk-1\n", ["k\\1", "k-1"]),
    "the COPY end marker": (b"k-1\n\\.\nK-2\n", ["k-1", "\\.", "K-2"]),
    "JSON's special characters": (
        '"a""b"\nx\ty\n\u00e9\u2028z\n'.encode(),
        ['a"b', "x\ty", "\u00e9\u2028z"],
    ),
}


@pytest.fixture
def rows(tenant):
    data = make_dataset(space=make_space(tenant, "Keys"))
    return make_rows(dataset=data, n=3, keys=["k-1", "k-2", "k,3"])


def lookup(actor, body: bytes):
    upload = SimpleUploadedFile("keys.csv", b"global_key\n" + body, content_type="text/csv")
    job = global_keys_lookup(actor=actor, upload=upload)
    job_run(job_id=job.id)
    job.refresh_from_db()
    return job


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_lookup_reads_the_same_items_whatever_the_csv_looks_like(tenant, rows, shape):
    body, keys = SHAPES[shape]
    job = lookup(tenant.principal("ADMIN"), body)
    if keys is None:
        assert job.state == "FAILED"
        assert "Input line 3: expected 1 columns, got 2" in job.error_message
        return
    assert job.outcome == "SUCCESS", job.error_message
    ids = {r.global_key.lower(): r.id for r in rows}
    assert [
        (i.key, i.data["global_key"], i.data["data_row_id"]) for i in job_items_all(job=job)
    ] == [(k, k, ids.get(k.lower())) for k in keys]


def test_a_clear_of_a_csv_clears_its_keys_and_marks_repeats(tenant, rows):
    upload = SimpleUploadedFile("keys.csv", b'global_key\nK-1\n"k,3"\nk-1\nnope\n')
    job = global_keys_clear(actor=tenant.principal("ADMIN"), upload=upload)
    job_run(job_id=job.id)
    job.refresh_from_db()
    got = [(i.key, i.error_code) for i in job_items_all(job=job)]
    assert got == [("K-1", ""), ("k,3", ""), ("k-1", "DUPLICATE_IN_REQUEST"), ("nope", "NOT_FOUND")]
    assert dict(
        DataRow.objects.filter(id__in=[r.id for r in rows]).values_list("id", "global_key")
    ) == {
        rows[0].id: None,
        rows[1].id: "k-2",
        rows[2].id: None,
    }


@postgres_only
def test_copy_csv_loads_plain_records_and_leaves_anything_else_to_the_reader(db):
    table = staging.table_name("job_copytest")
    try:
        for body, loaded in [
            (b"a\nB\nc d\n", [(0, "a"), (1, "B"), (2, "c d")]),
            (b"a\r\nb", [(0, "a"), (1, "b")]),
            (b"", []),
            (b'"a,b"\n', None),
            (b"a\n\nb\n", None),
            (b"a,b\n", None),
            (b"a\\b\n", None),
            (b"\\.\nb\n", None),
            (b"a\n\xff\n", None),
        ]:
            staging.create(table, target_index=False)
            n = staging.copy_csv(table, io.BytesIO(body))
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT pos, raw FROM {table} ORDER BY pos")  # noqa: S608
                got = cursor.fetchall()
            if loaded is None:
                assert (n, got) == (None, []), body
            else:
                assert (n, got) == (len(loaded), loaded), body
    finally:
        staging.drop(table)
