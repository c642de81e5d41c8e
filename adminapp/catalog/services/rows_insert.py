"""The set-based insert of data rows.

``rows_insert`` is the one set-based insert behind every size: the synchronous
``POST …/data-rows`` (≤ 1,000 rows) and, per chunk, the import job. Its duplicate-key policy
(SPEC §4) is the same at every size — a row whose key breaks the rules is ``INVALID_KEY`` (or
sanitized), a key repeated in the request (any case; the first occurrence wins) is
``DUPLICATE_IN_REQUEST``, a key another row of the organization has (any case) is
``KEY_TAKEN`` — and the other rows are inserted:

1. validate every row in Python (no query; printable-ASCII text skips the per-character
   checks it cannot fail);
2. one set-based insert that lets the unique index on ``(organization_id,
   LOWER(global_key))`` decide: on PostgreSQL the rows are COPYed into a TEMP table and
   moved by one ``INSERT … SELECT`` in key order (a plain one first, in a savepoint; if a
   key is taken, again with ``ON CONFLICT DO NOTHING``); on SQLite one ``executemany`` of
   ``INSERT … ON CONFLICT DO NOTHING``. The ids are made here, so when
   fewer rows went in than were sent, one more query tells which keyed rows are missing:
   their key belongs to another row (committed before, or by a concurrent insert that won)
   and they are ``KEY_TAKEN``. No pre-check of the keys: the constraint is the one answer;
3. ``row_count = row_count + inserted`` on the dataset, in the same transaction.

No model instance is made unless the caller wants the created rows back (``with_rows``:
the synchronous create answers with them; an import counts them).
"""

# SQL here names only this module's constant tables and columns; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from adminapp.catalog.keys import OnInvalid
from adminapp.catalog.models import (
    DataRow,
    Dataset,
)
from adminapp.catalog.services.rows_checks import PreparedRow, RowOutcome, prepare_rows
from adminapp.client.types.catalog import GlobalKeyErrorCode
from adminapp.core.ids import new_ids

# --- the set-based insert ---------------------------------------------------------------------
KEYS_PER_QUERY = 500  # under SQLite's bound-variable limit, with room for the org id
STAGE = "catalog_rows_stage"  # PostgreSQL: a TEMP table of one insert, dropped at its end
_COLUMNS = "id, row_data, external_id, metadata, global_key"


def _key_taken(outcome_of: PreparedRow) -> RowOutcome:
    return RowOutcome(
        outcome_of.index,
        outcome_of.input,
        sanitized=outcome_of.sanitized,
        code=GlobalKeyErrorCode.KEY_TAKEN,
        message=f"The global key {outcome_of.global_key!r} belongs to another data row "
        "of the organization (keys compare in any letter case).",
    )


def _insert_postgresql(
    cur: Any, table: str, fixed: list[Any], values: list[tuple], *, expect_taken: bool
) -> set[str]:
    """COPY ``values`` into a TEMP table, then move them with one ``INSERT … SELECT`` in
    key order, so two overlapping inserts take their key locks in the same order and
    neither waits for the other in a cycle (bytewise order: keys are ASCII, and a sort by
    the database's collation cost a third of the insert). Returns the ids of the rows not
    inserted (their key was taken).

    A plain INSERT is tried first, in a savepoint: when no key is taken (the common case)
    it is all there is, and ``ON CONFLICT`` would add 40% to it. If the unique index
    refuses a row, the savepoint is rolled back and ``INSERT … ON CONFLICT DO NOTHING``
    decides row by row. ``expect_taken``: go straight to the latter."""
    from psycopg.errors import UniqueViolation  # PostgreSQL only

    cur.execute(
        f"CREATE TEMP TABLE {STAGE} (id text, row_data text, external_id text, "
        "metadata text, global_key text) ON COMMIT DROP"
    )
    with cur.cursor.copy(f"COPY {STAGE} ({_COLUMNS}) FROM STDIN") as copy:
        for value in values:
            copy.write_row(value)
    insert = (
        f"INSERT INTO {table} (organization_id, space_id, dataset_id, created_at, updated_at, "
        f"{_COLUMNS}) SELECT %s, %s, %s, %s, %s, id, row_data, external_id, metadata::jsonb, "
        f'global_key FROM {STAGE} ORDER BY LOWER(global_key) COLLATE "C"'
    )
    refused: set[str] | None = None
    if not expect_taken:
        try:
            with transaction.atomic():
                cur.execute(insert, fixed)
            refused = set()
        except IntegrityError as exc:
            if not isinstance(exc.__cause__, UniqueViolation):
                raise
    if refused is None:
        cur.execute(f"{insert} ON CONFLICT DO NOTHING", fixed)
        refused = set()
        if cur.rowcount < len(values):
            cur.execute(
                f"SELECT s.id FROM {STAGE} s WHERE s.global_key IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {table} d WHERE d.id = s.id)"
            )
            refused = {r[0] for r in cur.fetchall()}
    cur.execute(f"DROP TABLE {STAGE}")
    return refused


def _insert_other(cur: Any, table: str, fixed: list[Any], values: list[tuple]) -> set[str]:
    """SQLite: one ``executemany`` of ``INSERT … ON CONFLICT DO NOTHING``; when fewer rows
    went in, which keyed ids are missing (KEYS_PER_QUERY per query)."""
    columns = f"organization_id, space_id, dataset_id, created_at, updated_at, {_COLUMNS}"
    marks = ", ".join(["%s"] * 10)
    cur.executemany(
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING",
        [(*fixed, *value) for value in values],
    )
    if cur.rowcount == len(values):
        return set()
    keyed = [value[0] for value in values if value[4] is not None]
    present: set[str] = set()
    for at in range(0, len(keyed), KEYS_PER_QUERY):
        batch = keyed[at : at + KEYS_PER_QUERY]
        cur.execute(f"SELECT id FROM {table} WHERE id IN ({', '.join(['%s'] * len(batch))})", batch)
        present.update(r[0] for r in cur.fetchall())
    return set(keyed) - present


def insert_prepared(
    *,
    dataset: Dataset,
    prepared: Sequence[PreparedRow],
    taken: Iterable[str] = (),
    with_rows: bool = True,
    expect_taken: bool = False,
) -> list[RowOutcome]:
    """Insert ``prepared`` (but the rows whose folded key is in ``taken``) in one set-based
    statement: COPY into a TEMP table and ``INSERT … SELECT`` on PostgreSQL (``ON CONFLICT
    DO NOTHING`` when a key is taken, see ``_insert_postgresql``), an ``executemany`` of
    ``INSERT … ON CONFLICT DO NOTHING`` elsewhere. A row
    the unique key index refused (another row of the organization has its key, committed
    before or by a concurrent insert that won) is ``KEY_TAKEN``. Adds the rows inserted to
    ``dataset.row_count``. ``with_rows``: each created outcome carries its ``DataRow``
    (the synchronous create answers with them); an import needs only the ids.
    ``expect_taken``: some keys are likely taken (an import that met one already), so on
    PostgreSQL the insert skips its optimistic plain attempt."""
    taken = set(taken)
    outcomes: dict[int, RowOutcome] = {}
    to_insert: list[PreparedRow] = []
    for p in prepared:
        if p.folded is not None and p.folded in taken:
            outcomes[p.index] = _key_taken(p)
        else:
            to_insert.append(p)
    # Ids sorted in input order: the rows read back (created_at, id) in the order given.
    ids = new_ids("dr", len(to_insert))
    now = timezone.now()
    table = DataRow._meta.db_table
    with transaction.atomic():
        connection = transaction.get_connection()
        refused: set[str] = set()
        if to_insert:
            fixed = [dataset.organization_id, dataset.space_id, dataset.id, now, now]
            values = [
                (id_, p.row_data, p.external_id, p.metadata_json, p.global_key)
                for id_, p in zip(ids, to_insert, strict=True)
            ]
            with connection.cursor() as cur:
                if connection.vendor == "postgresql":
                    refused = _insert_postgresql(
                        cur, table, fixed, values, expect_taken=expect_taken
                    )
                else:
                    fixed[3:] = [connection.ops.adapt_datetimefield_value(now)] * 2
                    refused = _insert_other(cur, table, fixed, values)
        inserted = 0
        for id_, p in zip(ids, to_insert, strict=True):
            if id_ in refused:
                outcomes[p.index] = _key_taken(p)
                continue
            outcome = RowOutcome(
                p.index, p.input, sanitized=p.sanitized, id=id_, global_key=p.global_key
            )
            if with_rows:
                outcome.row = DataRow(
                    id=id_,
                    organization_id=dataset.organization_id,
                    space_id=dataset.space_id,
                    dataset_id=dataset.id,
                    created_at=now,
                    updated_at=now,
                    row_data=p.row_data,
                    external_id=p.external_id,
                    metadata=p.metadata,
                    global_key=p.global_key,
                )
                outcome.row._state.adding = False
                outcome.row._state.db = connection.alias
            outcomes[p.index] = outcome
            inserted += 1
        if inserted:
            Dataset.objects.filter(id=dataset.id).update(row_count=F("row_count") + inserted)
    return [outcomes[p.index] for p in prepared]


def rows_insert(
    *,
    dataset: Dataset,
    rows: Sequence[Any],
    on_invalid: OnInvalid | str = OnInvalid.REJECT,
    start: int = 0,
    with_rows: bool = True,
    expect_taken: bool = False,
) -> list[RowOutcome]:
    """Insert ``rows`` (mappings or objects with ``row_data``, ``external_id``,
    ``metadata``, ``global_key``) into ``dataset``; one outcome per row, in input order,
    ``index`` counted from ``start``. Set-based, whatever the number of rows; inside an
    outer transaction it commits with it (a savepoint here). No permission check: the
    caller's (``data_rows_create``, the import job). ``with_rows=False``: the created
    outcomes carry the new row's id and key but no ``DataRow``; ``expect_taken``: see
    ``insert_prepared``."""
    return insert_checked(
        dataset=dataset,
        checked=prepare_rows(rows, on_invalid=on_invalid, start=start),
        with_rows=with_rows,
        expect_taken=expect_taken,
    )


def insert_checked(
    *,
    dataset: Dataset,
    checked: Sequence[PreparedRow | RowOutcome],
    with_rows: bool = True,
    expect_taken: bool = False,
) -> list[RowOutcome]:
    """``rows_insert`` after ``prepare_rows``."""
    prepared = [c for c in checked if isinstance(c, PreparedRow)]
    inserted = iter(
        insert_prepared(
            dataset=dataset, prepared=prepared, with_rows=with_rows, expect_taken=expect_taken
        )
    )
    return [next(inserted) if isinstance(c, PreparedRow) else c for c in checked]
