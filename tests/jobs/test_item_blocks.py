"""Successes packed in blocks (``jobs.blocks``, the global key jobs' way of writing a million
outcomes) read back exactly like item rows: paged in seq order and merged with the errors,
filtered by status and code, downloaded as CSV, and forgotten when a job starts over."""

from __future__ import annotations

import pytest
from django.db import connection

from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job, JobItem, JobItemBlock, JobState
from adminapp.jobs.selectors import job_items_all
from adminapp.jobs.services import job_create
from tests.jobs.kinds import CountPacked, CountParams

pytestmark = pytest.mark.django_db

N = 2600  # three chunks of 1,000 seqs and a bit: blocks cut at multiples of 1,000


def run(actor, **params) -> Job:
    job, _ = job_create(actor=actor, kind=CountPacked, params=CountParams(**params))
    job_run(job_id=job.id)
    job.refresh_from_db()
    return job


def get(client, tenant, path: str):
    return client.get(f"/api/v1{path}", **tenant.auth("ADMIN"))


def test_packed_successes_and_item_errors_page_as_one_list_in_seq_order(client, tenant):
    job = run(tenant.principal("ADMIN"), n=N, per_chunk=700, fail_every=7)
    assert (job.state, job.outcome) == (JobState.SUCCEEDED, "PARTIAL_SUCCESS")
    errors = N // 7
    assert (job.items_succeeded, job.items_failed) == (N - errors, errors)
    # stored as blocks: one row per error, a few for the successes
    assert JobItem.objects.filter(job=job).count() == errors
    assert JobItemBlock.objects.filter(job=job).count() < 10

    seen, cursor = [], None
    while True:
        page = get(
            client,
            tenant,
            f"/jobs/{job.id}/items?limit=97" + (f"&cursor={cursor}" if cursor else ""),
        ).json()
        seen += page["items"]
        cursor = page["pagination"]["next_cursor"]
        if not cursor:
            break
    assert [i["seq"] for i in seen] == list(range(N))
    assert [i["key"] for i in seen] == [str(n) for n in range(1, N + 1)]
    for item in seen:
        n = int(item["key"])
        assert item["status"] == ("ERROR" if n % 7 == 0 else "SUCCESS")
        assert item["data"] == {"item": n}
        assert item["error_code"] == ("odd_item" if n % 7 == 0 else "")

    successes = get(client, tenant, f"/jobs/{job.id}/items?status=SUCCESS&limit=5&cursor=1998")
    assert [i["key"] for i in successes.json()["items"]] == [
        "2000",
        "2001",
        "2003",
        "2004",
        "2005",
    ]  # 2002 = 7 × 286
    only_errors = get(client, tenant, f"/jobs/{job.id}/items?status=ERROR&limit=3").json()
    assert [i["key"] for i in only_errors["items"]] == ["7", "14", "21"]
    by_code = get(
        client, tenant, f"/jobs/{job.id}/items?error_code=odd_item&limit=100&cursor=1000"
    ).json()
    assert [i["key"] for i in by_code["items"]] == [
        str(n) for n in range(1002, N + 1) if n % 7 == 0
    ][:100]

    csv_body = get(client, tenant, f"/jobs/{job.id}/items.csv")
    lines = b"".join(csv_body.streaming_content).decode().splitlines()
    assert len(lines) == N + 1
    assert [line.split(",")[0] for line in lines[1:]] == [str(s) for s in range(N)]


def test_a_job_that_starts_over_keeps_each_packed_outcome_once(tenant):
    job = run(tenant.principal("ADMIN"), n=N, per_chunk=700, fail_every=5, start_over=1)
    # chunk 0 was written, then the kind distrusted its checkpoint and began again
    assert job.state == JobState.SUCCEEDED
    assert [i.seq for i in job_items_all(job=job)] == list(range(N))
    assert len({i.seq for i in job_items_all(job=job, status="SUCCESS")}) == N - N // 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="column compression is PostgreSQL's")
def test_blocks_are_compressed_with_lz4_and_read_back_whole(tenant):
    """A block's thousand outcomes are stored LZ4-compressed (pglz cost ~0.7 s per million
    outcomes to write); what is read back is what was written."""
    job = run(tenant.principal("ADMIN"), n=N, per_chunk=1300)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT pg_column_compression(items) FROM jobs_jobitemblock WHERE job_id = %s",
            [job.id],
        )
        assert [row[0] for row in cursor.fetchall()] == ["lz4"]
    assert [item.seq for item in job_items_all(job=job)] == list(range(N))
