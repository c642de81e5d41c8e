"""Data-row imports from CSV and JSONL files (``data_rows_import``): rows in, the one
duplicate-key policy, per-row and file errors naming the line, checkpoints that survive a
worker's death, the input file removed at the end. Jobs run in-process through ``job_run``
(the Celery task's body); tests/catalog/test_imports_live.py runs them on real workers."""

from __future__ import annotations

import gc
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from adminapp.catalog import services
from adminapp.catalog.imports import DataRowsImport
from adminapp.catalog.models import DataRow
from adminapp.catalog.services.imports import data_rows_import_file, data_rows_import_rows
from adminapp.core.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ValidationFailed,
)
from adminapp.jobs import kinds
from adminapp.jobs.engine import _Run, job_claim, job_run
from adminapp.jobs.models import Job, JobItem, JobState
from tests.catalog.factories import make_dataset, make_rows
from tests.spaces.factories import join, make_space, predefined

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_CHUNK_ROWS = 3


@pytest.fixture
def dataset(tenant):
    return make_dataset(space=make_space(tenant, "Imports"), name="Images")


def csv_text(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def jsonl(*rows) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def start(tenant, dataset, data: bytes, name: str = "rows.csv", **kwargs) -> Job:
    return data_rows_import_file(
        actor=tenant.principal("MEMBER" if kwargs.pop("member", False) else "ADMIN"),
        dataset_id=dataset.id,
        file=ContentFile(data, name=name),
        filename=name,
        **kwargs,
    )


def run(job: Job) -> Job:
    job_run(job_id=job.id)
    job.refresh_from_db()
    return job


def imported(dataset) -> list[tuple[str, str, str | None]]:
    return list(
        DataRow.objects.filter(dataset=dataset)
        .order_by("created_at", "id")
        .values_list("row_data", "external_id", "global_key")
    )


def errors(job: Job) -> list[tuple[str, str]]:
    return list(
        JobItem.objects.filter(job=job, status="ERROR")
        .order_by("seq")
        .values_list("key", "error_code")
    )


# --- rows in ---------------------------------------------------------------------------
def test_a_csv_file_imports_every_row_in_chunks_and_counts_them(tenant, dataset):
    data = csv_text(
        "row_data,external_id,global_key,metadata",
        'https://x/1.jpg,e1,key-1,"{""camera"": ""a""}"',
        "https://x/2.jpg,e2,,",
        '"a text, with a comma\nand a second line",e3,key-3,',
        "https://x/4.jpg,,KEY-4,",
        "",
        "https://x/5.jpg,e5,key-5,",
    )
    job = run(start(tenant, dataset, data))

    assert (job.state, job.outcome) == (JobState.SUCCEEDED, "SUCCESS")
    assert imported(dataset) == [
        ("https://x/1.jpg", "e1", "key-1"),
        ("https://x/2.jpg", "e2", None),
        ("a text, with a comma\nand a second line", "e3", "key-3"),
        ("https://x/4.jpg", "", "KEY-4"),
        ("https://x/5.jpg", "e5", "key-5"),
    ]
    assert DataRow.objects.get(external_id="e1").metadata == {"camera": "a"}
    dataset.refresh_from_db()
    assert dataset.row_count == 5
    assert job.result["rows"] == job.result["created"] == 5
    assert job.result["lines"] == 8 and job.result["bytes"] == len(data)
    assert (job.progress_done, job.progress_total) == (len(data), len(data))
    assert (job.items_succeeded, job.items_failed) == (5, 0)
    assert job.checkpoint["after"]["rows"] == 5


def test_a_jsonl_file_imports_every_row_and_a_bom_is_skipped(tenant, dataset):
    data = b"\xef\xbb\xbf" + jsonl(
        {"row_data": "https://x/1.jpg", "global_key": "k1", "metadata": {"n": 1}},
        {"row_data": "plain text", "external_id": "e2"},
    )
    job = run(start(tenant, dataset, data, name="rows.jsonl"))

    assert (job.state, job.outcome) == (JobState.SUCCEEDED, "SUCCESS")
    assert imported(dataset) == [("https://x/1.jpg", "", "k1"), ("plain text", "e2", None)]
    assert job.result["format"] == "jsonl"


def test_twenty_thousand_rows_import_in_small_chunks_each_once(tenant, dataset, settings):
    settings.IMPORT_CHUNK_ROWS = 1000
    lines = ["row_data,global_key"] + [f"https://x/{i}.jpg,k-{i}" for i in range(20_000)]
    job = run(start(tenant, dataset, csv_text(*lines)))

    assert (job.state, job.outcome) == (JobState.SUCCEEDED, "SUCCESS")
    assert job.result["created"] == 20_000
    keys = DataRow.objects.filter(dataset=dataset).values_list("global_key", flat=True)
    assert sorted(keys) == sorted(f"k-{i}" for i in range(20_000))
    dataset.refresh_from_db()
    assert dataset.row_count == 20_000


def test_the_input_file_is_deleted_from_storage_when_the_job_ends(tenant, dataset):
    job = start(tenant, dataset, csv_text("row_data", "a"))
    stored = job.params["file"]
    assert default_storage.exists(stored)

    run(job)

    assert not default_storage.exists(stored)


def test_a_failed_job_deletes_its_input_file_too(tenant, dataset):
    job = run(start(tenant, dataset, csv_text("row_data,colour", "a,red")))

    assert job.state == JobState.FAILED
    assert not default_storage.exists(job.params["file"])


# --- the duplicate-key policy ----------------------------------------------------------
def test_the_duplicate_key_policy_is_the_synchronous_creates(tenant, dataset, settings):
    settings.IMPORT_CHUNK_ROWS = 100
    other = make_dataset(space=dataset.space, name="Sync")
    make_rows(dataset=other, n=1, keys=["taken"])
    rows = [
        {"row_data": "1", "global_key": "fresh"},
        {"row_data": "2", "global_key": "TAKEN"},
        {"row_data": "3", "global_key": "Fresh"},
        {"row_data": "4", "global_key": "bad\tkey"},
        {"row_data": "5"},
        {"row_data": "6", "global_key": "ok"},
    ]
    with transaction.atomic():
        _, sync = services.data_rows_create(
            actor=tenant.principal("ADMIN"), dataset_id=other.id, rows=rows
        )
        transaction.set_rollback(True)

    job = run(start(tenant, dataset, jsonl(*rows), name="rows.jsonl"))

    sync_codes = [o.code or "OK" for o in sync]
    assert sync_codes == ["OK", "KEY_TAKEN", "DUPLICATE_IN_REQUEST", "INVALID_KEY", "OK", "OK"]
    by_line = dict(errors(job))
    assert [by_line.get(str(i + 1), "OK") for i in range(6)] == sync_codes
    assert job.outcome == "PARTIAL_SUCCESS"
    assert job.result["errors"] == {"DUPLICATE_IN_REQUEST": 1, "INVALID_KEY": 1, "KEY_TAKEN": 1}
    assert [r[2] for r in imported(dataset)] == ["fresh", None, "ok"]


def test_sanitized_keys_are_created_and_listed_as_sanitized(tenant, dataset):
    job = run(
        start(
            tenant,
            dataset,
            jsonl({"row_data": "a", "global_key": "caf\u00e9 au lait"}),
            name="rows.jsonl",
            on_invalid="sanitize",
        )
    )

    assert job.outcome == "SUCCESS" and job.result["sanitized"] == 1
    item = JobItem.objects.get(job=job)
    assert (item.status, item.key, item.data["global_key"]) == ("SUCCESS", "1", "caf_ au lait")
    assert item.data["sanitized"] is True


def test_a_key_repeated_in_a_later_chunk_is_taken_by_the_first(tenant, dataset):
    data = csv_text("row_data,global_key", "a,k1", "b,k2", "c,k3", "d,K1")  # chunks of 3
    job = run(start(tenant, dataset, data))

    assert errors(job) == [("5", "KEY_TAKEN")]
    assert [r[0] for r in imported(dataset)] == ["a", "b", "c"]


def test_taken_keys_in_one_chunk_and_the_next_are_reported_and_the_rest_imported(tenant, dataset):
    """PostgreSQL inserts a chunk with a plain INSERT first and again with ON CONFLICT when
    a key is taken (and straight with ON CONFLICT once the import met a taken key); SQLite
    with INSERT … ON CONFLICT. The outcomes are the same on both, row by row."""
    other = make_dataset(space=dataset.space, name="Other")
    make_rows(dataset=other, n=3, keys=["Old-1", "old-2", "OLD-3"])
    data = csv_text(
        "row_data,global_key",
        "a,new-1",
        "b,old-1",  # chunk 1: taken in another case
        "c,new-2",
        "d,new-3",  # chunk 2: fresh, taken, a key made in chunk 1
        "e,OLD-2",
        "f,NEW-1",
        "g,new-4",  # chunk 3: fresh only, then a taken one alone
        "h,",
        "i,old-3",
    )
    job = run(start(tenant, dataset, data))

    assert errors(job) == [
        ("3", "KEY_TAKEN"),
        ("6", "KEY_TAKEN"),
        ("7", "KEY_TAKEN"),
        (
            "10",
            "KEY_TAKEN",
        ),
    ]
    assert imported(dataset) == [
        ("a", "", "new-1"),
        ("c", "", "new-2"),
        ("d", "", "new-3"),
        ("g", "", "new-4"),
        ("h", "", None),
    ]
    dataset.refresh_from_db()
    assert dataset.row_count == 5 and job.result["created"] == 5
    assert job.outcome == "PARTIAL_SUCCESS"


# --- bad input: per row ----------------------------------------------------------------
def test_rows_that_cannot_be_rows_are_reported_by_line_and_the_rest_imported(tenant, dataset):
    data = csv_text(
        "row_data,external_id,metadata",
        "a,e1,",
        "b,e2",  # a cell short
        'c,e3,"[1, 2]"',  # metadata not an object
        "d,e4,{not json",
        ",e5,",  # no row_data
        "f,e6,",
    )
    job = run(start(tenant, dataset, data))

    assert (job.state, job.outcome) == (JobState.SUCCEEDED, "PARTIAL_SUCCESS")
    assert errors(job) == [("3", "INVALID_ROW")] * 1 + [
        ("4", "INVALID_ROW"),
        ("5", "INVALID_ROW"),
        ("6", "INVALID_ROW"),
    ]
    messages = list(
        JobItem.objects.filter(job=job).order_by("seq").values_list("message", flat=True)
    )
    assert messages[0] == "Line 3: This line has 2 cell(s); the header has 3 column(s)."
    assert "metadata cell must be a JSON object" in messages[1]
    assert "not JSON" in messages[2]
    assert messages[3].startswith("Line 6: ") and "row_data" in messages[3]
    assert [r[0] for r in imported(dataset)] == ["a", "f"]
    item = JobItem.objects.filter(job=job).order_by("seq").first()
    assert item.data == {"line": 3, "input": ["b", "e2"]}
    assert item.seq == job.items.order_by("seq").first().seq == 1  # the file's row 1 (from 0)


def test_a_jsonl_line_that_is_not_an_object_of_known_fields_is_a_row_error(tenant, dataset):
    data = (
        jsonl({"row_data": "a"})
        + b"{broken\n"
        + b"[1]\n"
        + jsonl({"row_data": "d", "globalkey": "x"}, {"row_data": "e"})
    )
    job = run(start(tenant, dataset, data, name="rows.jsonl"))

    assert errors(job) == [("2", "INVALID_ROW"), ("3", "INVALID_ROW"), ("4", "INVALID_ROW")]
    unknown = JobItem.objects.get(job=job, key="4")
    assert "Unknown field(s) 'globalkey'" in unknown.message
    assert JobItem.objects.get(job=job, key="2").data["input"] == "{broken"
    assert [r[0] for r in imported(dataset)] == ["a", "e"]


# --- bad input: the file -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("row_data,colour", "unknown column(s) 'colour'"),
        ("external_id,global_key", "no row_data column"),
        ("row_data,row_data", "row_data appear more than once"),
    ],
)
def test_a_csv_header_that_is_wrong_fails_the_job_naming_it(tenant, dataset, header, says):
    job = run(start(tenant, dataset, csv_text(header, "a,b")))

    assert (job.state, job.outcome, job.error_code) == ("FAILED", "FAILURE", "import_bad_file")
    assert job.error_message.startswith("Line 1: ") and says in job.error_message
    assert imported(dataset) == []


def test_bytes_that_are_not_utf8_fail_the_job_at_their_line_after_the_chunks_before(
    tenant, dataset
):
    good = [f"row {i}" for i in range(4)]  # chunk 1: rows 0-2; row 3 shares the bad chunk
    data = csv_text("row_data", *good) + b"caf\xe9\n" + csv_text("after")
    job = run(start(tenant, dataset, data))

    assert (job.state, job.error_code) == ("FAILED", "import_bad_file")
    offset = data.index(b"\xe9")
    assert f"Line 6 is not UTF-8: byte {offset} of the file (0xe9)" in job.error_message
    assert [r[0] for r in imported(dataset)] == ["row 0", "row 1", "row 2"]  # chunk 1 only
    assert job.items_succeeded == 3
    # The cycle collector, paused while a chunk is read and inserted, runs again: a worker
    # that failed an import does not grow without bound afterwards.
    assert gc.isenabled()


def test_a_binary_file_claiming_to_be_csv_is_refused_at_upload_naming_the_line(tenant, dataset):
    with pytest.raises(ValidationFailed) as refused:
        start(tenant, dataset, b"row_data\nfine\n\x89PNG\x00\x00\x00")

    assert "Line 3 contains a NUL byte" in refused.value.message


def test_a_nul_byte_past_the_first_block_fails_the_job_naming_the_line(tenant, dataset):
    data = csv_text("row_data", *(f"{i:070d}" for i in range(1000))) + b"x\x00y\n"
    job = run(start(tenant, dataset, data))

    assert job.error_code == "import_bad_file"
    assert job.error_message.startswith("Line 1002 contains a NUL byte")


def test_an_empty_file_is_refused_at_upload_and_a_header_alone_fails_the_job(tenant, dataset):
    with pytest.raises(ValidationFailed, match="empty"):
        start(tenant, dataset, b"")

    job = run(start(tenant, dataset, csv_text("row_data")))
    assert (job.error_code, job.error_message) == (
        "import_bad_file",
        "The file has a header but no rows: nothing to import.",
    )


def test_a_file_over_the_size_limit_is_refused_before_it_is_stored(tenant, dataset, settings):
    settings.IMPORT_MAX_BYTES = 10
    with pytest.raises(PayloadTooLarge):
        start(tenant, dataset, csv_text("row_data", "0123456789"))
    assert not default_storage.exists("imports")


def test_more_rows_than_the_limit_stops_the_job_after_importing_the_limit(
    tenant, dataset, settings
):
    settings.IMPORT_MAX_ROWS = 5
    job = run(start(tenant, dataset, csv_text("row_data", *(str(i) for i in range(8)))))

    assert (job.state, job.error_code) == ("FAILED", "import_too_many_rows")
    assert "more than 5 rows (line 7 is row 6)" in job.error_message
    assert "5 of them imported" in job.error_message
    assert [r[0] for r in imported(dataset)] == ["0", "1", "2", "3", "4"]


def test_the_format_comes_from_the_name_or_must_be_given(tenant, dataset):
    with pytest.raises(ValidationFailed) as refused:
        start(tenant, dataset, b"row_data\na\n", name="rows.txt")
    assert refused.value.fields == {"format": ["csv or jsonl."]}

    job = run(start(tenant, dataset, b"row_data\na\n", name="rows.txt", format="csv"))
    assert job.state == JobState.SUCCEEDED


# --- permissions and the dataset ---------------------------------------------------------
def test_importing_needs_write_access_to_the_dataset(tenant, dataset, other_tenant):
    join(tenant, dataset.space, tenant.member, predefined("READ_ONLY"))
    with pytest.raises(PermissionDenied):
        start(tenant, dataset, b"row_data\na\n", member=True)
    with pytest.raises(NotFound):
        data_rows_import_file(
            actor=other_tenant.principal("OWNER"),
            dataset_id=dataset.id,
            file=ContentFile(b"row_data\na\n"),
            filename="a.csv",
        )
    assert not default_storage.exists("imports")


def test_a_dataset_deleted_while_its_import_waits_fails_the_job(tenant, dataset):
    job = start(tenant, dataset, b"row_data\na\n")
    services.dataset_delete(actor=tenant.principal("ADMIN"), dataset_id=dataset.id)

    job = run(job)

    assert (job.state, job.error_code) == ("FAILED", "not_found")
    assert "was deleted while its import ran" in job.error_message


# --- a worker's death ----------------------------------------------------------------------
class Died(Exception):
    pass


class DiesInChunk(_Run):
    """A delivery whose worker dies inside chunk ``n`` (0-based), after the kind applied
    it but before the chunk's transaction committed."""

    def __init__(self, job, kind, n):
        super().__init__(job, kind)
        self.n, self.seen = n, 0

    def apply(self, chunk):
        if self.seen == self.n:
            with transaction.atomic():
                self.kind.apply(self.ctx, chunk)
                raise Died
        self.seen += 1
        super().apply(chunk)


def test_a_rerun_after_a_death_mid_file_continues_from_the_checkpoint_with_no_row_twice(
    tenant, dataset
):
    rows = [f"https://x/{i}.jpg,key-{i}" for i in range(10)]
    rows[7] = "https://x/7.jpg,key-1"  # a repeat, reported once
    job = start(tenant, dataset, csv_text("row_data,global_key", *rows))
    claimed = job_claim(job_id=job.id)
    with pytest.raises(Died):
        DiesInChunk(claimed, kinds.get(DataRowsImport.name), 2).run()
    assert len(imported(dataset)) == 6  # chunks 0 and 1; chunk 2 rolled back
    assert Job.objects.get(id=job.id).checkpoint["after"]["rows"] == 6
    Job.objects.filter(id=job.id).update(state=JobState.QUEUED)  # the reaper's requeue

    job = run(job)

    assert (job.state, job.attempts) == (JobState.SUCCEEDED, 2)
    keys = [r[2] for r in imported(dataset)]
    assert sorted(keys) == sorted(f"key-{i}" for i in range(10) if i != 7)
    assert errors(job) == [("9", "KEY_TAKEN")]
    assert (job.result["rows"], job.result["created"], job.result["failed"]) == (10, 9, 1)
    dataset.refresh_from_db()
    assert dataset.row_count == 9


# --- JSON batches ------------------------------------------------------------------------
def test_a_json_batch_is_imported_by_the_same_job_with_positions_as_lines(tenant, dataset):
    rows = [{"row_data": f"r{i}", "global_key": "same" if i in (1, 4) else None} for i in range(6)]
    job = run(
        data_rows_import_rows(actor=tenant.principal("ADMIN"), dataset_id=dataset.id, rows=rows)
    )

    assert job.kind == "data_rows_import" and job.outcome == "PARTIAL_SUCCESS"
    assert errors(job) == [("5", "KEY_TAKEN")]
    assert len(imported(dataset)) == 5


def test_a_json_batch_over_its_limit_points_to_file_upload(tenant, dataset, settings):
    settings.IMPORT_JSON_MAX_ROWS = 3
    with pytest.raises(PayloadTooLarge, match="upload them as a CSV or JSONL file"):
        data_rows_import_rows(
            actor=tenant.principal("ADMIN"),
            dataset_id=dataset.id,
            rows=[{"row_data": "x"}] * 4,
        )


def test_a_retry_with_the_same_idempotency_key_and_file_returns_the_same_job(tenant, dataset):
    first = start(tenant, dataset, b"row_data\na\n", idempotency_key="k-1")
    again = start(tenant, dataset, b"row_data\na\n", idempotency_key="k-1")

    assert again.id == first.id
    assert len(default_storage.listdir(f"imports/{tenant.org.id}")[1]) == 1
    with pytest.raises(Conflict) as refused:
        start(tenant, dataset, b"row_data\nb\n", idempotency_key="k-1")
    assert refused.value.code == "idempotency_key_reused"
