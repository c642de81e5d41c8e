"""The global key jobs: ``global_key_assign``, ``global_key_clear``, ``global_key_lookup`` and
``global_key_revert``, each a few steps of ``GlobalKeyJob`` (``catalog.global_key_base``:
the input, the staging table, the chunks, the outcome rows) run per chunk in SQL.
"""

# SQL here names only tables made by catalog.staging from job ids (checked there) and fixed
# column expressions; every value is a query parameter.
# ruff: noqa: S608

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

from adminapp.authz import Permission
from adminapp.catalog import staging
from adminapp.catalog.global_key_base import (
    ASSIGN_CSV_HEADER,
    KEYS_CSV_HEADER,
    MESSAGES,
    GlobalKeyJob,
    GlobalKeyJobParams,
    GlobalKeyJobResult,
    GlobalKeyRevertParams,
    holder,
    now_value,
    sql_false,
    sql_true,
    subquery_sql,
)
from adminapp.catalog.keys import check_key, fold
from adminapp.catalog.selectors import spaces_where
from adminapp.jobs import blocks
from adminapp.jobs.kinds import Chunk, JobContext, JobKind, Outcomes, Queue, register

__all__ = [
    "ASSIGN_CSV_HEADER",
    "KEYS_CSV_HEADER",
    "GlobalKeyAssign",
    "GlobalKeyClear",
    "GlobalKeyJobParams",
    "GlobalKeyLookup",
    "GlobalKeyRevert",
    "GlobalKeyRevertParams",
]


@register
class GlobalKeyAssign(GlobalKeyJob, JobKind[GlobalKeyJobParams, GlobalKeyJobResult]):
    """Items ``{data_row_id, global_key}``: outcome codes INVALID_KEY, DUPLICATE_IN_REQUEST
    (a later repeat of a key, case-insensitively, or of a data row, anywhere in the input),
    DATA_ROW_NOT_FOUND, ACCESS_DENIED, KEY_TAKEN; the same key already on the row is a
    success that changes nothing. ``dry_run``: the same outcomes, nothing applied."""

    name = "global_key_assign"
    label = "Global key assignment"
    with_row = True

    staged_columns = staging.COLUMNS
    copies_csv = False  # each key is checked (and maybe sanitized) here

    def staged(self, pos: int, row_id: str | None, key: str, on_invalid) -> tuple:
        checked = check_key(key, on_invalid)
        if not checked.ok:
            return (pos, row_id, key, key, None, False, None, "INVALID_KEY", checked.error)
        return (
            pos,
            row_id,
            key,
            checked.key,
            fold(checked.key),
            checked.sanitized,
            None,
            None,
            None,
        )

    def mark(self, table: str) -> None:
        staging.mark_repeats(table, "fkey", MESSAGES["DUPLICATE_IN_REQUEST"])
        staging.mark_repeats(table, "row_id", MESSAGES["DUPLICATE_ROW"])

    def work(self, ctx: JobContext, table: str, lo: int, hi: int) -> None:
        self.lock_by_id(table, lo, hi, ctx.org_id)
        self.resolve_by_id(table, lo, hi, ctx.org_id)
        self.fail_unresolved(table, lo, hi, "DATA_ROW_NOT_FOUND")
        self.fail_spaces(table, lo, hi, self.denied_spaces(ctx, table, lo, hi))
        self.fail_taken(table, lo, hi, ctx.org_id)
        if not ctx.params.dry_run:
            self.write_keys(table, lo, hi, ctx.org_id)

    def item_data(self) -> dict[str, str]:
        return {
            "data_row_id": "row_id",
            "global_key": "gkey",
            "input_global_key": "raw",
            "previous_global_key": "prev",
            "changed": "changed",
            "sanitized": "sanitized",
        }


@register
class GlobalKeyClear(GlobalKeyJob, JobKind[GlobalKeyJobParams, GlobalKeyJobResult]):
    """Items: keys. Outcome codes NOT_FOUND, ACCESS_DENIED, DUPLICATE_IN_REQUEST; results
    name the cleared key and its row. ``dry_run`` as for assign."""

    name = "global_key_clear"
    label = "Global key clearing"
    fails_taken = False
    every_success_changes = True

    def prepare(self, ctx: JobContext, table: str) -> int:
        """Mark repeats and, when the input is large (``worth_joining``), resolve every item
        to the row holding its key — both in one pass that rebuilds the table
        (``resolve_all``): each chunk then clears the rows found, and probes only for the
        items whose row changed since."""
        ctx.state["resolved"] = self.worth_joining(ctx.org_id, staging.size(table))
        if not ctx.state["resolved"]:
            return super().prepare(ctx, table)
        self.resolve_all(ctx, table)
        staging.analyze(table)
        return staging.size(table)

    def resolve_all(self, ctx: JobContext, table: str) -> None:
        """Rebuild the staging table in one transaction as itself joined by hash with the
        organization's keyed rows: each item's row (``target``, its ``space_id``, its key
        exactly as held, ``prev``, and where it lies, ``hctid``) and the later repeats of
        a key marked DUPLICATE_IN_REQUEST, as ``mark`` would. (Writing the table once
        costs about half of updating its rows in place twice, for the repeats and for the
        rows: 4 s against 8–10 s per million.) Idempotent: run again on the table it
        made, it makes the same one."""
        built = f"{table}_r"
        with transaction.atomic():
            self._sql(f"DROP TABLE IF EXISTS {built}")
            self.joined(
                f"""CREATE UNLOGGED TABLE {built} AS
                SELECT s.pos, s.row_id, s.raw, s.gkey, s.fkey, s.sanitized, s.expect,
                       CASE WHEN s.repeat THEN 'DUPLICATE_IN_REQUEST'
                            ELSE s.code END::VARCHAR(64) AS code,
                       CASE WHEN s.repeat THEN %s ELSE s.message END AS message,
                       h.id AS target, h.space_id, h.global_key::TEXT AS prev,
                       NULL::BOOLEAN AS changed, h.ctid AS hctid
                FROM (
                    SELECT t.*, t.code IS NULL AND ROW_NUMBER() OVER (
                        PARTITION BY {staging.by_bytes("LOWER(t.raw)")}, t.code IS NULL
                        ORDER BY t.pos
                    ) > 1 AS repeat
                    FROM {table} t
                ) s
                LEFT JOIN catalog_datarow h
                  ON s.code IS NULL AND NOT s.repeat
                 AND h.organization_id = %s AND h.global_key IS NOT NULL
                 AND LOWER(h.global_key) = LOWER(s.raw)""",
                [MESSAGES["DUPLICATE_IN_REQUEST"], ctx.org_id],
            )
            self._sql(f"ALTER TABLE {built} ADD PRIMARY KEY (pos)")
            self._sql(f"DROP TABLE {table}")
            self._sql(f"ALTER TABLE {built} RENAME TO {table}")
            self._sql(f"ALTER INDEX {built}_pkey RENAME TO {table}_pkey")

    def work(self, ctx: JobContext, table: str, lo: int, hi: int) -> None:
        if not ctx.state.get("resolved"):
            self.lock_by_key(table, lo, hi, ctx.org_id)
            self.resolve_by_key(table, lo, hi, ctx.org_id, extra="AND code IS NULL")
        elif ctx.params.dry_run:
            # Resolve again only the items whose row no longer holds the key exactly as it
            # did when planned (or none held it then).
            probe = holder(select="h.id", key="s.raw")
            self.lock(table, lo, hi, ctx.org_id, f"COALESCE(s.target, {probe})")
            self.resolve_by_key(
                table,
                lo,
                hi,
                ctx.org_id,
                # The row's key by its primary key, compared outside the subquery: a
                # condition on global_key inside it would let the planner pick a partial
                # key index — scanning every keyed row per item, with statistics taken
                # before the keys were assigned.
                extra=f"""AND code IS NULL AND (target IS NULL OR NOT ({
                    staging.same(
                        f"(SELECT d.global_key FROM catalog_datarow d WHERE d.id = {table}.target)",
                        f"{table}.prev",
                    )
                }))""",
            )
        else:
            self.clear_resolved(ctx, table, lo, hi)
            return
        self.fail_unresolved(table, lo, hi, "NOT_FOUND")
        self.fail_spaces(table, lo, hi, self.denied_spaces(ctx, table, lo, hi))
        if not ctx.params.dry_run:
            self.write_keys(table, lo, hi, ctx.org_id)

    def clear_resolved(self, ctx: JobContext, table: str, lo: int, hi: int) -> None:
        """A chunk of a resolved clear: one ``UPDATE`` clears every row found while
        planning that still holds exactly that key, in the owner's spaces — driven by the
        items sorted by row id, each row fetched where it lay (``hctid``, checked against
        its id and key), so rows are locked in id order like every chunk's, without an
        index probe per item or a separate lock. The items it did not clear (their row
        changed since, none held the key, or a space the owner may not act in) are
        resolved again by probe under lock, then failed (NOT_FOUND, ACCESS_DENIED) or
        cleared. Items cleared in the first step keep ``changed`` NULL (every success of
        a clear changes its row: ``every_success_changes``); those of the second get it."""
        denied = self.denied_spaces(ctx, table, lo, hi)
        outside = f"AND space_id NOT IN ({', '.join(['%s'] * len(denied))})" if denied else ""
        found = "pos >= %s AND pos < %s AND code IS NULL AND target IS NOT NULL"
        with transaction.atomic(), connection.cursor() as cursor:
            # Only a nested loop keeps the items' id order (and fetches by ctid).
            cursor.execute("SET LOCAL enable_hashjoin = off")
            cursor.execute("SET LOCAL enable_mergejoin = off")
            cursor.execute(
                f"""UPDATE catalog_datarow d SET global_key = NULL, updated_at = %s
                FROM (
                    SELECT pos, hctid, target, prev FROM {table}
                    WHERE {found} {outside} ORDER BY target
                ) m
                WHERE d.ctid = m.hctid AND d.id = m.target AND d.global_key = m.prev
                RETURNING m.pos""",
                [now_value(), lo, hi, *denied],
            )
            done = [row[0] for row in cursor.fetchall()]
            cursor.execute("SET LOCAL enable_hashjoin TO DEFAULT")
            cursor.execute("SET LOCAL enable_mergejoin TO DEFAULT")
            cursor.execute(
                f"""SELECT COUNT(target), COUNT(*) - COUNT(target) FROM {table}
                WHERE pos >= %s AND pos < %s AND code IS NULL""",
                [lo, hi],
            )
            resolved, unresolved = cursor.fetchone()
            if resolved > len(done):  # some rows changed, or were not ours
                cursor.execute(
                    f"""UPDATE {table} SET target = NULL
                    WHERE {found} AND pos NOT IN (SELECT UNNEST(%s::BIGINT[]))""",
                    [lo, hi, done],
                )
            elif not unresolved:
                return  # every item of the chunk cleared (or failed while planning)
        self.lock_by_key(table, lo, hi, ctx.org_id, extra="AND s.target IS NULL")
        self.resolve_by_key(table, lo, hi, ctx.org_id, extra="AND code IS NULL AND target IS NULL")
        self.fail_unresolved(table, lo, hi, "NOT_FOUND")
        changed = "AND changed"
        self.fail_spaces(table, lo, hi, self.denied_spaces(ctx, table, lo, hi, changed), changed)
        self.write_keys(table, lo, hi, ctx.org_id)

    def item_data(self) -> dict[str, str]:
        # every success changed its row; an error none
        return {**super().item_data(), "changed": f"CASE WHEN code IS NULL THEN {sql_true()} END"}


@register
class GlobalKeyLookup(GlobalKeyJob, JobKind[GlobalKeyJobParams, GlobalKeyJobResult]):
    """Items: keys. Every item is a result ``{global_key, data_row_id}`` in input order,
    ``data_row_id`` null where no row the owner may read holds the key."""

    name = "global_key_lookup"
    label = "Global key lookup"
    queue = Queue.DEFAULT
    space_permission = Permission.DATASET_READ
    writes = False
    fails_taken = False

    def mark(self, table: str) -> None:
        pass  # a repeated key is looked up again, not an error

    def plan(self, ctx: JobContext) -> int:
        total = super().plan(ctx)
        ctx.state["join"] = self.worth_joining(ctx.org_id, total)
        return total

    def chunk_size(self, ctx: JobContext) -> int:
        if ctx.state.get("join"):
            return int(settings.GLOBAL_KEYS_LOOKUP_JOIN_CHUNK)
        return super().chunk_size(ctx)

    def apply(self, ctx: JobContext, chunk: Chunk) -> Outcomes:
        """One statement per chunk, and no write but the outcomes: each item's row is
        found among the rows of the spaces the owner may read as of this chunk
        (``spaces_where``, a subquery) — by a probe of the unique index per key, or by one
        hash join of the chunk with the organization's keyed rows (``worth_joining``) — and
        written straight into its outcome (packed: ``jobs.blocks``). Every item is a
        success; ``data_row_id`` is null where none is found."""
        table = staging.table_name(ctx.job_id)
        lo, hi = chunk.payload
        staging.no_jit()
        spaces, space_params = subquery_sql(
            spaces_where(actor=ctx.principal, permission=self.space_permission)
        )
        data = staging.json_object({"global_key": "raw", "data_row_id": "found"}, text=True)
        if ctx.state.get("join"):
            # One row per item (the unique index: at most one holder per key), joined by
            # hash (``joined`` rules out the nested loop stale statistics would choose).
            items = f"""SELECT s.pos, s.raw, h.id AS found FROM {table} s
                LEFT JOIN catalog_datarow h ON h.organization_id = %s
                 AND h.global_key IS NOT NULL AND LOWER(h.global_key) = LOWER(s.raw)
                 AND h.space_id IN ({spaces})
                WHERE s.pos >= %s AND s.pos < %s"""
        else:
            found = holder(select="h.id", key="raw", extra=f" AND h.space_id IN ({spaces})")
            items = f"""SELECT pos, raw, {found} AS found
                FROM {table} WHERE pos >= %s AND pos < %s"""
        run = self.joined if ctx.state.get("join") else self._sql
        run(
            blocks.pack_sql(
                f"""SELECT %s + pos - %s AS seq, SUBSTR(raw, 1, 255) AS key, {data} AS data
                FROM ({items}) AS s"""
            ),
            [ctx.job_id, ctx.seq, lo, ctx.org_id, *space_params, lo, hi],
        )
        counts = dict(ctx.state.get("counts") or {})
        counts["SUCCESS"] = counts.get("SUCCESS", 0) + hi - lo
        ctx.state["counts"] = counts
        return Outcomes(succeeded=hi - lo, failed=0)


@register
class GlobalKeyRevert(GlobalKeyJob, JobKind[GlobalKeyRevertParams, GlobalKeyJobResult]):
    """Undo a finished assign or clear job: every row it changed gets back the key it held
    before, where the row still holds what that job left (else CONFLICT); the key restored
    may have been taken since (KEY_TAKEN). Reads that job's successful outcomes (packed or
    not: ``jobs.blocks``), staged the same way."""

    name = "global_key_revert"
    label = "Global key revert"

    def stage(self, ctx: JobContext, table: str, *, skip: int = 0) -> None:
        if skip:
            return  # one INSERT … SELECT: staged whole, or not at all
        data = "data"
        expect = (
            "NULL"
            if ctx.params.kind == GlobalKeyClear.name
            else staging.json_text(data, "global_key")
        )
        previous = staging.json_text(data, "previous_global_key")
        self._sql(
            f"""INSERT INTO {table} (pos, row_id, raw, gkey, fkey, sanitized, expect)
            SELECT ROW_NUMBER() OVER (ORDER BY seq) - 1,
                   {staging.json_text(data, "data_row_id")},
                   {staging.json_text(data, "data_row_id")},
                   {previous}, NULL, {sql_false()}, {expect}
            FROM ({blocks.success_rows_sql()}) AS done
            WHERE {staging.json_true(data, "changed")}""",
            [ctx.params.job_id, ctx.params.job_id],
        )

    def work(self, ctx: JobContext, table: str, lo: int, hi: int) -> None:
        self.lock_by_id(table, lo, hi, ctx.org_id)
        self.resolve_by_id(table, lo, hi, ctx.org_id)
        self.fail_unresolved(table, lo, hi, "DATA_ROW_NOT_FOUND")
        self.fail_spaces(table, lo, hi, self.denied_spaces(ctx, table, lo, hi))
        self._sql(
            f"""UPDATE {table} SET code = 'CONFLICT', message = %s, changed = NULL
            WHERE pos >= %s AND pos < %s AND code IS NULL
              AND NOT ({staging.same("prev", "expect")})""",
            [MESSAGES["CONFLICT"], lo, hi],
        )
        self.fail_taken(table, lo, hi, ctx.org_id)
        self.write_keys(table, lo, hi, ctx.org_id)

    def item_data(self) -> dict[str, str]:
        return {
            "data_row_id": "row_id",
            "global_key": "gkey",
            "previous_global_key": "prev",
            "changed": "changed",
        }

    def cleanup(self, job_id: str) -> None:
        staging.drop(staging.table_name(job_id))
