"""Per-job staging tables for the set-based global key jobs (STYLE 14).

A global key job stages its whole input once, each item with its position, into a table of
its own, ``catalog_stage_<job id>``: a real table (``UNLOGGED`` on PostgreSQL), not a session
TEMP table, so that it survives the worker that made it and the next delivery of the job
continues from the checkpoint. Every later step is SQL over that table: repeats across the
whole input are marked with a window function, each chunk of positions is validated and
applied with a few set-based statements, and its outcomes are written into ``jobs_jobitem``
with one ``INSERT … SELECT``. The table is dropped when the job finishes (``JobKind.cleanup``).

Columns (one row per input item, ``pos`` from 0 in input order):

``row_id``   the data row id the item names (assign, revert), else NULL
``raw``      the key as given (what the item's outcome shows as its key)
``gkey``     the key to store on the row (checked or sanitized; NULL: clear the key)
``fkey``     the folded key repeats and lookups compare by (NULL: not compared)
``sanitized`` whether sanitizing changed the key
``expect``   revert only: the key the row must still hold (NULL: no key)
``code``     the item's error code once known (NULL: fine so far; INVALID_KEY and
             DUPLICATE_IN_REQUEST are set while staging)
``message``  the error in words
``target``   the data row the item resolved to (NULL: none)
``space_id`` that row's space
``prev``     that row's key before the job (recorded for revert)
``changed``  whether applying the item changes the row (same key already there: not)

Table names come from job ids (``job_`` + letters and digits), checked here, so the only
text put into SQL by hand is a name this module made.
"""

# Table names are made here from checked job ids; every value is a query parameter.
# ruff: noqa: S608

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import islice

from django.db import connection, transaction

LOAD_BATCH = 100_000  # rows per COPY (PostgreSQL) or executemany (SQLite), each committed
COLUMNS = ("pos", "row_id", "raw", "gkey", "fkey", "sanitized", "expect", "code", "message")
_NAME = re.compile(r"[a-z0-9_]{1,40}")


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def table_name(job_id: str) -> str:
    name = f"catalog_stage_{job_id.lower()}"
    suffix = name.removeprefix("catalog_stage_")
    if not _NAME.fullmatch(suffix):
        raise ValueError(f"not a job id: {job_id!r}")
    return name


def exists(table: str) -> bool:
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
        else:
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name=%s", [table]
            )
        return bool(cursor.fetchone()[0])


def drop(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def create(table: str, *, target_index: bool = True) -> None:
    """(Re)create the table empty; ``target_index``: with an index on ``target`` (for the
    kinds that ask which item releases a row: ``KEY_TAKEN``)."""
    drop(table)
    unlogged = "UNLOGGED " if is_postgres() else ""
    boolean = "BOOLEAN" if is_postgres() else "INTEGER"
    # On SQLite only "INTEGER PRIMARY KEY" makes pos the rowid: the chunks' range scans then
    # walk the table itself instead of a separate index and a lookup per row.
    position = "BIGINT" if is_postgres() else "INTEGER"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""CREATE {unlogged}TABLE {table} (
                pos {position} PRIMARY KEY,
                row_id VARCHAR(255),
                raw TEXT NOT NULL,
                gkey TEXT,
                fkey TEXT,
                sanitized {boolean} NOT NULL DEFAULT {"FALSE" if is_postgres() else "0"},
                expect TEXT,
                code VARCHAR(64),
                message TEXT,
                target VARCHAR(40),
                space_id VARCHAR(40),
                prev TEXT,
                changed {boolean}
            )"""
        )
        # KEY_TAKEN asks, per held key, whether an item of the chunk releases its row.
        if target_index:
            cursor.execute(f"CREATE INDEX {table}_target ON {table} (target)")


def load(table: str, rows: Iterable[Sequence], columns: Sequence[str] = COLUMNS) -> int:
    """Append ``rows`` (tuples in ``columns`` order, a part of ``COLUMNS``: the others are
    left NULL, ``sanitized`` false), streamed, in batches of
    ``LOAD_BATCH`` each committed on its own outside a transaction (a killed worker leaves a
    prefix of the input: ``GlobalKeyJob.plan`` goes on after it): COPY on PostgreSQL,
    executemany on SQLite. Returns how many were loaded."""
    if not set(columns) <= set(COLUMNS):
        raise ValueError(columns)
    names = ", ".join(columns)
    rows = iter(rows)
    n = 0
    with connection.cursor() as cursor:
        if is_postgres():
            while True:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    batch = 0
                    for row in islice(rows, LOAD_BATCH):
                        copy.write_row(row)
                        batch += 1
                n += batch
                if batch < LOAD_BATCH:
                    return n
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        while batch := list(islice(rows, LOAD_BATCH)):
            with transaction.atomic():  # one transaction per batch, not one per row
                cursor.executemany(sql, batch)
            n += len(batch)
    return n


def analyze(table: str) -> None:
    """Fresh statistics for the staged table (PostgreSQL): autovacuum never saw it, and a
    plan built on a table it believes empty can nest loops over it."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")


def no_jit() -> None:
    """No JIT compilation for the rest of the transaction (PostgreSQL). A chunk's
    statements probe an index once per item through subqueries, which the planner costs
    high enough to compile them: ~0.3 s of compiling for a statement that runs in
    milliseconds, on every chunk."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def ids_in(column: str, subquery: str) -> str:
    """``column`` is one of the ids ``subquery`` selects, spelled so the database probes
    ``column``'s index once per id whatever its statistics say: ``= ANY(ARRAY(…))`` on
    PostgreSQL (a semi-join there can be planned as a nested loop over a stale-looking
    table), ``IN (…)`` on SQLite (always probes an index on ``column``)."""
    if is_postgres():
        return f"{column} = ANY(ARRAY({subquery}))"
    return f"{column} IN ({subquery})"


def mark_repeats(table: str, column: str, message: str) -> int:
    """Every later occurrence of a value of ``column`` (``fkey`` or ``row_id``) among the
    items still fine, anywhere in the input, becomes DUPLICATE_IN_REQUEST."""
    if column not in ("fkey", "row_id"):
        raise ValueError(column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table} SET code = 'DUPLICATE_IN_REQUEST', message = %s
            WHERE pos IN (
                SELECT pos FROM (
                    SELECT pos, ROW_NUMBER() OVER (PARTITION BY {column} ORDER BY pos) AS n
                    FROM {table} WHERE {column} IS NOT NULL AND code IS NULL
                ) AS ranked WHERE n > 1
            )""",
            [message],
        )
        return cursor.rowcount


def size(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(pos) + 1, 0) FROM {table}")
        return int(cursor.fetchone()[0])


def counts(table: str, lo: int, hi: int) -> dict[str, int]:
    """The chunk's items by code ("" for fine), plus "changed": how many it changes."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(code, ''), COUNT(*) FROM {table} WHERE pos >= %s AND pos < %s "
            "GROUP BY COALESCE(code, '')",
            [lo, hi],
        )
        found = {code: int(n) for code, n in cursor.fetchall()}
        cursor.execute(
            f"SELECT COUNT(*) FROM {table} WHERE pos >= %s AND pos < %s AND code IS NULL "
            "AND changed",
            [lo, hi],
        )
        found["changed"] = int(cursor.fetchone()[0])
    return found


# --- vendor spellings -----------------------------------------------------------------------
def same(a: str, b: str) -> str:
    """NULL-safe equality."""
    return f"{a} IS NOT DISTINCT FROM {b}" if is_postgres() else f"{a} IS {b}"


def json_object(pairs: dict[str, str], booleans: Sequence[str] = (), *, text: bool = False) -> str:
    """A JSON object built in SQL from column expressions; ``booleans`` are the keys whose
    expressions are booleans (true/false/null in the JSON on both databases). ``text``: as
    ``json`` rather than ``jsonb`` on PostgreSQL (to be packed in text, never queried)."""
    parts = []
    for key, expression in pairs.items():
        if key in booleans and not is_postgres():
            expression = (
                f"json(CASE WHEN {expression} IS NULL THEN 'null' "
                f"WHEN {expression} THEN 'true' ELSE 'false' END)"
            )
        parts.append(f"'{key}', {expression}")
    function = (
        ("json_build_object" if text else "jsonb_build_object") if is_postgres() else "json_object"
    )
    return f"{function}({', '.join(parts)})"


def json_text(column: str, key: str) -> str:
    """The text value of ``key`` in a JSON column (NULL when absent or null)."""
    if is_postgres():
        return f"({column} ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"


def json_true(column: str, key: str) -> str:
    if is_postgres():
        return f"({column} -> '{key}') = 'true'::jsonb"
    return f"json_extract({column}, '$.{key}') = 1"
