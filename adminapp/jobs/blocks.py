"""Successful item outcomes packed in blocks (``JobItemBlock``): how a set-based kind writes
them, and how they are read back as ``JobItem``s.

A kind that writes its outcomes itself (``kinds.Outcomes``) writes its errors as ``JobItem``
rows — few, indexed, filtered by code — and may pack its successes with ``pack_sql``: one row
per ``JobItemBlock.BLOCK_SIZE`` consecutive seqs. ``jobs.selectors`` merges the two back into
one stream in seq order, so the API, the SDK, the CSV download and the dashboard read items
the same way whichever way they were written.
"""

# SQL here names only this module's tables; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Iterator
from operator import itemgetter

from django.db import connection

from adminapp.jobs.models import JobItem, JobItemBlock, JobItemStatus

BLOCK_TABLE = JobItemBlock._meta.db_table
ITEM_TABLE = JobItem._meta.db_table


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def pack_sql(source: str) -> str:
    """An ``INSERT … SELECT`` packing the rows of ``source`` into blocks.

    ``source`` is a SELECT of ``seq`` (bigint), ``key`` (text) and ``data`` (a JSON object:
    ``json_build_object`` or its text on PostgreSQL, ``json_object`` on SQLite), one row per successful
    item. The statement's first parameter is the job id, then ``source``'s. Blocks are cut at
    multiples of ``BLOCK_SIZE`` in seq, so a kind's chunks (consecutive seq ranges) never
    make blocks that overlap."""
    size = int(JobItemBlock.BLOCK_SIZE)
    if _postgres():  # the JSON array spelled out as text: cheaper than json_agg
        packed = (
            "'[' || string_agg('[' || seq || ',' || COALESCE(to_json(key)::TEXT, 'null')"
            " || ',' || data::TEXT || ']', ',' ORDER BY seq) || ']'"
        )
    else:  # the array's order does not matter: block_items sorts each block by seq
        packed = "json_group_array(json_array(seq, key, json(data)))"
    return f"""INSERT INTO {BLOCK_TABLE} (job_id, first_seq, last_seq, size, items)
        SELECT %s, MIN(seq), MAX(seq), COUNT(*), {packed}
        FROM ({source}) AS packed GROUP BY seq / {size}"""


def success_rows_sql() -> str:
    """A SELECT of ``(seq, data)`` for every successful item of a job, packed or not (its two
    parameters: the job id, twice); ``data`` is JSON (jsonb on PostgreSQL)."""
    if _postgres():
        unpacked = f"""SELECT (e.value ->> 0)::bigint AS seq, (e.value -> 2)::jsonb AS data
            FROM {BLOCK_TABLE} b, json_array_elements(b.items::json) AS e(value)
            WHERE b.job_id = %s"""
    else:
        unpacked = f"""SELECT json_extract(e.value, '$[0]') AS seq,
                   json_extract(e.value, '$[2]') AS data
            FROM {BLOCK_TABLE} b, json_each(b.items) AS e
            WHERE b.job_id = %s"""
    return f"""SELECT seq, data FROM {ITEM_TABLE} WHERE job_id = %s AND status = 'SUCCESS'
        UNION ALL {unpacked}"""


def block_items(job_id: str, *, after: int | None = None, per_read: int = 4) -> Iterator[JobItem]:
    """The job's packed successes with a seq above ``after``, in seq order, as unsaved
    ``JobItem``s; ``per_read`` blocks are fetched at a time (a page needs one or two, the CSV
    download all of them)."""
    last = after
    while True:
        qs = JobItemBlock.objects.filter(job_id=job_id).order_by("last_seq")
        if last is not None:
            qs = qs.filter(last_seq__gt=last)
        blocks = list(qs.values_list("last_seq", "items")[:per_read])
        for _, text in blocks:
            for seq, key, data in sorted(json.loads(text), key=itemgetter(0)):
                if after is None or seq > after:
                    yield JobItem(
                        job_id=job_id,
                        seq=seq,
                        status=JobItemStatus.SUCCESS,
                        key=key or "",
                        data=data,
                    )
        if len(blocks) < per_read:
            return
        last = blocks[-1][0]


def forget(job_id: str) -> None:
    """Every outcome of the job, packed or not (a job that starts over)."""
    JobItem.objects.filter(job_id=job_id).delete()
    JobItemBlock.objects.filter(job_id=job_id).delete()
