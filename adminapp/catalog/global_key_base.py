"""What the global key jobs (``catalog.global_key_jobs``: assign, clear, lookup, revert)
share, set-based: ``plan`` stages the whole input once into the job's
staging table (``catalog.staging``), then each chunk of positions is validated in SQL,
applied with one ``UPDATE … FROM`` and its outcomes written with one ``INSERT … SELECT``,
all in the engine's chunk transaction with the checkpoint (see ``GlobalKeyJob``).
"""

# SQL here names only tables made by catalog.staging from job ids (checked there) and fixed
# column expressions; every value is a query parameter.
# ruff: noqa: S608

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from pydantic import BaseModel, Field

from adminapp import authz
from adminapp.authz import Permission
from adminapp.catalog import staging
from adminapp.catalog.global_key_input import (  # noqa: F401 - the headers are re-exported
    ASSIGN_CSV_HEADER,
    KEYS_CSV_HEADER,
    header_line_is,
    input_rows,
)
from adminapp.catalog.keys import OnInvalid
from adminapp.catalog.models import Dataset
from adminapp.jobs import blocks
from adminapp.jobs.kinds import (
    Chunk,
    JobContext,
    JobKind,
    Outcomes,
    Queue,
    StartOver,
)

logger = logging.getLogger("adminapp.catalog")

# --- global keys ----------------------------------------------------------------------------

APPLY_RETRIES = 5  # a chunk lost to a deadlock or a concurrent key is recomputed this often
RETRY_BASE_DELAY = 0.05  # s, doubled per retry
BOOLEANS = ("changed", "sanitized")  # the items' data keys whose values are booleans

MESSAGES = {
    "DUPLICATE_IN_REQUEST": "This global key appears earlier in the request.",
    "DUPLICATE_ROW": "This data row appears earlier in the request.",
    "DATA_ROW_NOT_FOUND": "No such data row in this organization.",
    "ACCESS_DENIED": "You may not change global keys in this data row's space.",
    "KEY_TAKEN": "This global key is held by another data row.",
    "NOT_FOUND": "No data row has this global key.",
    "CONFLICT": "The data row's key changed since that job; it was left as it is.",
}


class GlobalKeyJobParams(BaseModel):
    """Where the job's input is (a file in the default storage), never the items."""

    input: str = Field(description="The input file's name in the default storage.")
    format: str = Field("jsonl", pattern="^(jsonl|csv)$")
    items: int | None = Field(None, description="How many items the request counted.")
    sha256: str = ""
    on_invalid: OnInvalid = OnInvalid.REJECT
    dry_run: bool = False


class GlobalKeyRevertParams(BaseModel):
    job_id: str = Field(description="The assign or clear job to revert.")
    kind: str = ""  # that job's kind, as found when the revert was asked for


class GlobalKeyJobResult(BaseModel):
    total: int
    succeeded: int
    failed: int
    counts: dict[str, int] = Field(description="Items by outcome code; SUCCESS for the fine.")
    changed: int = Field(0, description="Rows whose key changed (would change, in a preview).")
    applied: bool = Field(description="False for a preview (dry run): nothing was changed.")
    dry_run: bool = False


class GlobalKeyJob(JobKind):
    """What the four global key kinds share: the staging table, chunks of positions, the
    set-based outcome rows and the result.

    Per chunk, in the engine's transaction: the chunk's target rows are locked in id order
    (``FOR UPDATE`` on PostgreSQL, so overlapping jobs queue rather than deadlock), each
    item's outcome is computed in SQL into the staging table, the rows are changed with one
    ``UPDATE … FROM`` (unless a preview), and the outcomes are copied into ``jobs_jobitem``.
    A deadlock, or a key another job took between validation and update (the unique index
    has the last word), rolls back to a savepoint and the chunk is computed again — the
    other job's key is then seen as ``KEY_TAKEN`` — at most ``APPLY_RETRIES`` times.
    """

    queue = Queue.BULK
    unit = "items"
    # global_key.assign and dataset.read are space permissions: they are checked per row,
    # per chunk (ACCESS_DENIED, or null for a lookup), not as an org permission here.
    permission = None
    with_row: ClassVar[bool] = False  # items name a data row (assign)
    space_permission: ClassVar[str] = Permission.GLOBAL_KEY_ASSIGN
    writes: ClassVar[bool] = True
    fails_taken: ClassVar[bool] = True  # asks which rows a chunk releases (fail_taken)
    every_success_changes: ClassVar[bool] = False  # a clear: each key found is cleared

    # --- plan ---------------------------------------------------------------------------
    def plan(self, ctx: JobContext) -> int:
        """Stage the whole input, then mark its repeats. Resumable: the input goes in in
        batches, each committed on its own, so a delivery killed while staging leaves a
        prefix of the items and the next one goes on after it. (The table exists here only
        then: the engine plans once per job, and starts a job over — ``StartOver`` — only
        when the table is gone.) Marking repeats and analyzing are idempotent."""
        table = staging.table_name(ctx.job_id)
        staged = staging.size(table) if staging.exists(table) else None
        if staged is None:
            staging.create(table, target_index=self.fails_taken)
            staged = 0
        elif staged:
            logger.info(
                "Job %s: %s items were staged already; going on from there", ctx.job_id, staged
            )
        self.stage(ctx, table, skip=staged)
        return self.prepare(ctx, table)

    def prepare(self, ctx: JobContext, table: str) -> int:
        """After staging: mark the repeats, analyze; the number of items."""
        self.mark(table)
        staging.analyze(table)
        return staging.size(table)

    def stage(self, ctx: JobContext, table: str, *, skip: int = 0) -> None:
        """Stage the input's items from position ``skip`` on: a CSV of keys from scratch on
        PostgreSQL by one server-side ``COPY`` of its bytes (``staging.copy_csv``), when they
        are plain records; otherwise read here, item by item, and loaded in batches."""
        params = ctx.params
        if not skip and self.copies_csv and params.format == "csv" and staging.is_postgres():
            with default_storage.open(params.input, "rb") as source:
                header = source.readline()
                if (
                    header_line_is(header, KEYS_CSV_HEADER)
                    and staging.copy_csv(table, source) is not None
                ):
                    return

        def rows():
            for pos, (_, row_id, key) in enumerate(
                input_rows(params.input, params.format, self.with_row)
            ):
                if pos >= skip:
                    yield self.staged(pos, row_id, key, params.on_invalid)

        staging.load(table, rows(), self.staged_columns)

    # clear and lookup: a key is only compared (as LOWER(raw), like the unique index), never
    # stored, so no rule applies; the staging table's other columns are left empty, and a
    # CSV input can be staged as it is (``copies_csv``)
    staged_columns: ClassVar[tuple[str, ...]] = ("pos", "raw")
    copies_csv: ClassVar[bool] = True

    def staged(self, pos: int, row_id: str | None, key: str, on_invalid) -> tuple:
        return (pos, key)

    def mark(self, table: str) -> None:
        staging.mark_repeats(table, "LOWER(raw)", MESSAGES["DUPLICATE_IN_REQUEST"])

    # --- chunks -------------------------------------------------------------------------
    def chunks(self, ctx: JobContext, after: int | None) -> Iterator[Chunk]:
        table = staging.table_name(ctx.job_id)
        if not staging.exists(table):
            raise StartOver("the job's staging table is gone")
        total = staging.size(table)
        step = max(1, self.chunk_size(ctx))
        for lo in range(after or 0, total, step):
            hi = min(lo + step, total)
            yield Chunk(payload=(lo, hi), after=hi, size=hi - lo)

    def chunk_size(self, ctx: JobContext) -> int:
        return int(settings.GLOBAL_KEYS_CHUNK)

    # --- one probe per key, or one pass over the org's keys ------------------------------
    # Per key, a probe of the unique index costs ~10 µs (a descent of a large index, mostly
    # outside the buffer cache); one pass over the organization's keyed rows joined by hash
    # to the staged keys costs ~2 µs per keyed row. So when the input holds at least
    # 1/JOIN_RATIO as many items as the organization has rows (an upper bound of its keys,
    # from the datasets' exact row counts: counting the keys themselves cost up to 2.5 s
    # right after a million were assigned), matching keys to rows in one pass is cheaper
    # (on PostgreSQL: SQLite plans every join as index probes anyway). The lookup then joins
    # per chunk; the clear resolves every item once while planning and, per chunk, only
    # checks under lock that each row still holds its key.
    JOIN_RATIO = 5

    def worth_joining(self, org_id: str, items: int) -> bool:
        if not staging.is_postgres() or items < settings.GLOBAL_KEYS_CHUNK:
            return False
        # every dataset, deleted ones too: their rows keep their keys until purged
        rows = Dataset.objects.filter(organization_id=org_id).aggregate(n=Sum("row_count"))["n"]
        return (rows or 0) <= items * self.JOIN_RATIO

    def joined(self, sql: str, params=()) -> int:
        """Run ``sql`` — a join of staged items with the organization's rows that is only
        run when ``worth_joining`` — with nested loops ruled out: with statistics taken
        before the keys were assigned, the planner would loop over every keyed row per item."""
        with transaction.atomic():
            self._sql("SET LOCAL enable_nestloop = off")
            done = self._sql(sql, params)
            self._sql("SET LOCAL enable_nestloop TO DEFAULT")
        return done

    def apply(self, ctx: JobContext, chunk: Chunk) -> Outcomes:
        table = staging.table_name(ctx.job_id)
        lo, hi = chunk.payload
        staging.no_jit()
        for attempt in range(APPLY_RETRIES + 1):
            try:
                with transaction.atomic():  # a savepoint in the chunk's transaction
                    self.work(ctx, table, lo, hi)
                break
            except (IntegrityError, DatabaseError) as exc:
                if attempt == APPLY_RETRIES or not _retryable(exc):
                    raise
                logger.info("Job %s chunk %s-%s retried: %s", ctx.job_id, lo, hi, exc)
                time.sleep(RETRY_BASE_DELAY * 2**attempt)
        self.record(ctx, table, lo, hi)
        counts = staging.counts(table, lo, hi, changed=not self.every_success_changes)
        if self.every_success_changes:
            counts["changed"] = counts.get("", 0)
        total = dict(ctx.state.get("counts") or {})
        for code, n in counts.items():
            total[code or "SUCCESS"] = total.get(code or "SUCCESS", 0) + n
        ctx.state["counts"] = total
        succeeded = counts.get("", 0)
        return Outcomes(succeeded=succeeded, failed=hi - lo - succeeded)

    def work(self, ctx: JobContext, table: str, lo: int, hi: int) -> None:
        raise NotImplementedError

    # --- the steps ----------------------------------------------------------------------
    def _sql(self, sql: str, params=()) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    # Every step that matches staged items to data rows does so by one probe of an index
    # per item — the primary key, or the unique index on (organization_id,
    # LOWER(global_key)) through ``holder()`` — as a correlated subquery or an id array, never
    # as a join the planner may order: with the statistics of a table where no row had a
    # key yet (right after an import or an assign, before autovacuum's analyze) a join was
    # planned as a nested loop over every keyed row × every staged item of the chunk.
    def lock(self, table: str, lo: int, hi: int, org_id: str, row: str, extra: str = "") -> None:
        """Lock the chunk's rows in id order (PostgreSQL), so overlapping jobs queue rather
        than deadlock; ``row`` is the SQL giving an item's row id from ``s``; ``extra``:
        more conditions on the items."""
        if not staging.is_postgres():
            return  # SQLite writers are serialized by the database itself
        ids = (
            f"SELECT {row} FROM {table} s"
            f" WHERE s.pos >= %s AND s.pos < %s AND s.code IS NULL {extra}"
        )
        self._sql(
            f"""SELECT d.id FROM catalog_datarow d
            WHERE {staging.ids_in("d.id", ids)} AND d.organization_id = %s
            ORDER BY d.id FOR UPDATE OF d""",
            [*([org_id] if "%s" in row else []), lo, hi, org_id],
        )

    def lock_by_id(self, table: str, lo: int, hi: int, org_id: str) -> None:
        self.lock(table, lo, hi, org_id, "s.row_id")

    def lock_by_key(self, table: str, lo: int, hi: int, org_id: str, extra: str = "") -> None:
        self.lock(table, lo, hi, org_id, holder(select="h.id", key="s.raw"), extra)

    def resolve_by_id(self, table: str, lo: int, hi: int, org_id: str) -> None:
        """target, space_id and prev from the item's row, and whether applying the item
        changes it (the same key already there, exactly: fine, and left unmodified); all
        NULL where the row is not found. Steps that fail an item later set changed NULL."""
        self._sql(
            f"""UPDATE {table} SET (target, space_id, prev, changed) = (
                SELECT d.id, d.space_id, d.global_key,
                       CASE WHEN {staging.same("d.global_key", f"{table}.gkey")}
                       THEN {sql_false()} ELSE {sql_true()} END
                FROM catalog_datarow d
                WHERE d.id = {table}.row_id AND d.organization_id = %s)
            WHERE pos >= %s AND pos < %s AND code IS NULL""",
            [org_id, lo, hi],
        )

    def resolve_by_key(self, table: str, lo: int, hi: int, org_id: str, extra: str = "") -> None:
        """target, space_id, prev and changed (true) from the row holding the item's key;
        all NULL where none does. ``extra``: more conditions on the items."""
        self._sql(
            f"""UPDATE {table} SET (target, space_id, prev, changed) = {
                holder(select=f"h.id, h.space_id, h.global_key, {sql_true()}", key="raw")
            }
            WHERE pos >= %s AND pos < %s {extra}""",
            [org_id, lo, hi],
        )

    def fail_unresolved(self, table: str, lo: int, hi: int, code: str) -> None:
        self._sql(
            f"""UPDATE {table} SET code = %s, message = %s
            WHERE pos >= %s AND pos < %s AND code IS NULL AND target IS NULL""",
            [code, MESSAGES[code], lo, hi],
        )

    def denied_spaces(
        self, ctx: JobContext, table: str, lo: int, hi: int, extra: str = ""
    ) -> list[str]:
        """The chunk's spaces the owner (as of this chunk) may not act in; ``extra``: more
        conditions on the items."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT DISTINCT space_id FROM {table}
                WHERE pos >= %s AND pos < %s AND space_id IS NOT NULL {extra}""",
                [lo, hi],
            )
            spaces = [row[0] for row in cursor.fetchall()]
        return [
            s for s in spaces if not authz.can_in_space(ctx.principal, s, self.space_permission)
        ]

    def fail_spaces(self, table: str, lo: int, hi: int, spaces: list[str], extra: str = "") -> None:
        for start in range(0, len(spaces), 500):
            part = spaces[start : start + 500]
            self._sql(
                f"""UPDATE {table} SET code = 'ACCESS_DENIED', message = %s, changed = NULL
                WHERE pos >= %s AND pos < %s AND code IS NULL {extra}
                  AND space_id IN ({", ".join(["%s"] * len(part))})""",
                [MESSAGES["ACCESS_DENIED"], lo, hi, *part],
            )

    def fail_taken(self, table: str, lo: int, hi: int, org_id: str) -> None:
        """KEY_TAKEN: the key is held by another row that this chunk does not release. A
        row is released when this chunk gives it another key (or none) and that item is
        still fine; as items fail, the rows they would have released are not, so this runs
        until nothing changes (one or two rounds in practice). The holder is found by a
        scalar subquery (one probe of the unique index per item, never a join the planner
        may turn around), and the releasing item through the staging table's target index."""
        while self._sql(
            f"""UPDATE {table} SET code = 'KEY_TAKEN', message = %s
            WHERE pos >= %s AND pos < %s AND code IS NULL AND changed AND gkey IS NOT NULL
              AND (
                SELECT COUNT(*) FROM catalog_datarow h
                WHERE h.organization_id = %s AND h.global_key IS NOT NULL
                  AND LOWER(h.global_key) = LOWER({table}.gkey)
                  AND h.id <> {table}.target
                  AND NOT EXISTS (
                    SELECT 1 FROM {table} r
                    WHERE r.target = h.id AND r.pos >= %s AND r.pos < %s
                      AND r.code IS NULL AND r.changed
                      AND (r.gkey IS NULL OR LOWER(r.gkey) <> LOWER({table}.gkey))
                  )
              ) > 0""",
            [MESSAGES["KEY_TAKEN"], lo, hi, org_id, lo, hi],
        ):
            pass

    def write_keys(self, table: str, lo: int, hi: int, org_id: str) -> None:
        """Apply the chunk. Rows whose current key another item of the chunk takes release
        it first (set NULL), then every changed row gets its key with one ``UPDATE … FROM``:
        so within one chunk A↔B swaps and rotations succeed. Across chunks, items apply in
        input order: a key is free for an item only once the chunk releasing it has run."""
        changed = "s.pos >= %s AND s.pos < %s AND s.code IS NULL AND s.changed"
        # After fail_taken, a row holding the key of a fine changed item is that item's own
        # row (a change of case) or a row the chunk releases — both rows this chunk gives a
        # new key (or none), locked by it: release those. Any other holder took the key
        # after fail_taken looked (another job's commit in between): it keeps it, and this
        # chunk's UPDATE below fails on the unique index, so ``apply`` runs the chunk again
        # and that item becomes KEY_TAKEN.
        holders = f"""SELECT held.id FROM (
                SELECT {holder(select="h.id", key="s.gkey")} AS id FROM {table} s
                WHERE {changed} AND s.gkey IS NOT NULL
            ) held
            WHERE EXISTS (
                SELECT 1 FROM {table} r WHERE r.target = held.id
                  AND r.pos >= %s AND r.pos < %s AND r.code IS NULL AND r.changed
            )"""
        self._sql(
            f"""UPDATE catalog_datarow SET global_key = NULL
            WHERE {staging.ids_in("id", holders)}""",
            [org_id, lo, hi, lo, hi],
        )
        self._sql(
            f"""UPDATE catalog_datarow SET global_key = s.gkey, updated_at = %s
            FROM {table} s WHERE catalog_datarow.id = s.target AND {changed}""",
            [now_value(), lo, hi],
        )

    def record(self, ctx: JobContext, table: str, lo: int, hi: int) -> None:
        """The chunk's outcomes, numbered from the engine's seq: each error a JobItem row,
        the successes packed in blocks (``jobs.blocks``: a thousand to a row)."""
        seq = "%s + pos - %s"
        self._sql(
            f"""INSERT INTO jobs_jobitem (job_id, seq, status, key, data, error_code, message)
            SELECT %s, {seq}, 'ERROR', SUBSTR(raw, 1, 255),
                   {staging.json_object(self.item_data(), booleans=BOOLEANS)},
                   code, SUBSTR(COALESCE(message, ''), 1, 500)
            FROM {table} WHERE pos >= %s AND pos < %s AND code IS NOT NULL""",
            [ctx.job_id, ctx.seq, lo, lo, hi],
        )
        data = staging.json_object(self.item_data(), booleans=BOOLEANS, text=True)
        self._sql(
            blocks.pack_sql(
                f"""SELECT {seq} AS seq, SUBSTR(raw, 1, 255) AS key, {data} AS data
                FROM {table} WHERE pos >= %s AND pos < %s AND code IS NULL"""
            ),
            [ctx.job_id, ctx.seq, lo, lo, hi],
        )

    def item_data(self) -> dict[str, str]:
        return {
            "global_key": "raw",
            "data_row_id": "target",
            "previous_global_key": "prev",
            "changed": "changed",
        }

    # --- result and cleanup -------------------------------------------------------------
    def result(self, ctx: JobContext) -> GlobalKeyJobResult:
        counts = dict(ctx.state.get("counts") or {})
        changed = counts.pop("changed", 0)
        succeeded = counts.get("SUCCESS", 0)
        total = sum(counts.values())
        dry_run = bool(getattr(ctx.params, "dry_run", False))
        return GlobalKeyJobResult(
            total=total,
            succeeded=succeeded,
            failed=total - succeeded,
            counts=counts,
            changed=changed,
            applied=self.writes and not dry_run,
            dry_run=dry_run,
        )

    def cleanup(self, job_id: str) -> None:
        staging.drop(staging.table_name(job_id))
        from adminapp.jobs.models import Job

        params = Job.objects.filter(id=job_id).values_list("params", flat=True).first() or {}
        name = params.get("input")
        if name and name.startswith("catalog/inputs/") and default_storage.exists(name):
            default_storage.delete(name)


# The data row holding a key (``key``: an SQL expression), one probe of the unique index
# datarow_global_key_ci_unique; its one parameter is the organization id (then those of
# ``extra``, more conditions on the row ``h``). The key is compared through LOWER() even
# when already folded (``fkey``) or a column of keys as given: on SQLite a column's TEXT affinity on the right-hand side
# would keep the index on the expression from being used for the key (it searched every
# key of the organization instead).
def holder(select: str, key: str, extra: str = "") -> str:
    return f"""(SELECT {select} FROM catalog_datarow h
    WHERE h.organization_id = %s AND h.global_key IS NOT NULL
      AND LOWER(h.global_key) = LOWER({key}){extra})"""


def subquery_sql(queryset) -> tuple[str, list]:
    """A queryset as SQL to put inside ``IN (…)`` and its parameters (one that can match
    nothing, e.g. ``id__in=[]``, as a subquery of no rows)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return "SELECT NULL WHERE 1 = 0", []
    return sql, list(params)


def now_value():
    """The time now, as the database takes it in a hand-written statement."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


def sql_true() -> str:
    return "TRUE" if staging.is_postgres() else "1"


def sql_false() -> str:
    return "FALSE" if staging.is_postgres() else "0"


def _retryable(exc: Exception) -> bool:
    """A lost race on a key (the unique index), a deadlock or a serialization failure."""
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
    return code in ("40P01", "40001")
