"""Creating, changing and deleting data rows.

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

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.catalog import selectors
from adminapp.catalog.keys import KEY_MAX, OnInvalid, check_key, fold
from adminapp.catalog.keys import VALID as VALID_KEY
from adminapp.catalog.models import (
    EXTERNAL_ID_MAX,
    METADATA_MAX_BYTES,
    ROW_DATA_MAX,
    DataRow,
    Dataset,
)
from adminapp.catalog.services.datasets import lock_dataset
from adminapp.client.types.catalog import GlobalKeyErrorCode
from adminapp.client.types.jobs import JobOutcome
from adminapp.core.errors import (
    ApplicationError,
    BadRequest,
    PayloadTooLarge,
    ValidationFailed,
)
from adminapp.core.ids import new_ids
from adminapp.core.principal import Principal
from adminapp.core.validation import clean_text

SYNC_ROWS_MAX = 1000  # per POST …/data-rows; more is an import job
KEYS_PER_QUERY = 500  # under SQLite's bound-variable limit, with room for the org id
# A row whose content (not its key) is refused: the synchronous endpoint answers 422 for
# the whole request instead; an import reports it per row.
INVALID_ROW = "INVALID_ROW"


@dataclass(slots=True)
class RowOutcome:
    """What became of one input row: ``row`` (created) or ``code`` and ``message``."""

    index: int
    input: Any
    row: DataRow | None = None  # when the caller asked for the rows (``with_rows``)
    sanitized: bool = False
    code: str = ""
    message: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    id: str | None = None  # the created row's
    global_key: str | None = None  # the created row's, as stored

    @property
    def ok(self) -> bool:
        return self.id is not None


@dataclass(slots=True)
class PreparedRow:
    """A row that passed validation, ready to insert (``folded``: its key as compared)."""

    index: int
    input: Any
    row_data: str
    external_id: str
    metadata: dict
    global_key: str | None
    folded: str | None
    sanitized: bool = False
    metadata_json: str = "{}"  # ``metadata`` as stored


# --- validation -------------------------------------------------------------------------------
def _json_text_problem(value: Any) -> str | None:
    """NUL or lone surrogates anywhere in the metadata (PostgreSQL cannot store them)."""
    stack = [value]
    while stack:
        item = stack.pop()
        texts: Iterable[Any] = ()
        if isinstance(item, str):
            texts = (item,)
        elif isinstance(item, dict):
            texts = item.keys()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float) and not math.isfinite(item):
            return "Numbers must be finite."
        for text in texts:
            if not isinstance(text, str):
                return "Object keys must be strings."
            if "\x00" in text:
                return "Text must not contain NUL (\\u0000) characters."
            if any("\ud800" <= ch <= "\udfff" for ch in text):
                return "Text must not contain lone surrogates."
    return None


def clean_metadata(value: Any, *, field: str = "metadata") -> dict:
    """A JSON object of at most METADATA_MAX_BYTES as compact JSON; values any JSON."""
    return _metadata(value, field=field)[0]


def _metadata(value: Any, *, field: str = "metadata") -> tuple[dict, str]:
    """``clean_metadata`` and the object as compact JSON text (what is stored)."""
    if value is None:
        return {}, "{}"
    if not isinstance(value, Mapping):
        raise ValidationFailed(f"{field} must be a JSON object.", fields={field: ["An object."]})
    value = dict(value)
    problem = _json_text_problem(value)
    if problem is None:
        try:
            encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            problem = "Must be JSON."
    if problem is not None:
        raise ValidationFailed(f"{field}: {problem}", fields={field: [problem]})
    size = len(encoded.encode())
    if size > METADATA_MAX_BYTES:
        message = f"At most {METADATA_MAX_BYTES} bytes as compact JSON (got {size})."
        raise ValidationFailed(f"{field}: {message}", fields={field: [message]})
    return value, encoded


def _plain(value: str, max_length: int) -> str | None:
    """``clean_text``'s answer, without its per-character checks, for the common text that
    is printable ASCII only (NFKC leaves it as it is; it has no control, invisible or
    direction-changing character): the text stripped, or None to ask ``clean_text``."""
    if value.isascii() and value.isprintable():
        value = value.strip()
        if value and len(value) <= max_length:
            return value
    return None


def clean_row_data(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationFailed("row_data must be text.", fields={"row_data": ["Text."]})
    plain = _plain(value, ROW_DATA_MAX)
    if plain is not None:
        return plain
    return clean_text(value, field="row_data", max_length=ROW_DATA_MAX)


def clean_external_id(value: Any) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationFailed("external_id must be text.", fields={"external_id": ["Text."]})
    if not value:
        return ""
    plain = _plain(value, EXTERNAL_ID_MAX)  # one line: printable has no newline or tab
    if plain is not None:
        return plain
    external_id = clean_text(value, field="external_id", max_length=EXTERNAL_ID_MAX, required=False)
    if any(ch in external_id for ch in "\n\t"):
        raise ValidationFailed(
            "external_id must be one line.", fields={"external_id": ["One line."]}
        )
    return external_id


def prepare_rows(
    rows: Sequence[Any], *, on_invalid: OnInvalid | str, start: int = 0
) -> list[PreparedRow | RowOutcome]:
    """Each row validated (``PreparedRow``) or refused (``RowOutcome``: ``INVALID_ROW``,
    ``INVALID_KEY``, ``DUPLICATE_IN_REQUEST``), in input order; ``index`` counts from
    ``start``. No query."""
    on_invalid = OnInvalid(on_invalid)
    out: list[PreparedRow | RowOutcome] = []
    first_of: dict[str, int] = {}  # folded key → index of the row that has it
    for index, row in enumerate(rows, start):
        try:
            if type(row) is dict or isinstance(row, Mapping):  # dict: no ABC check
                get = row.get
            elif hasattr(row, "row_data"):
                get = partial(getattr, row)  # type: ignore[assignment]
            else:
                raise ValidationFailed("A row must be an object.", fields={"": ["An object."]})
            row_data = clean_row_data(get("row_data", None))
            external_id = clean_external_id(get("external_id", None))
            metadata, metadata_json = _metadata(get("metadata", None))
        except ValidationFailed as exc:
            out.append(
                RowOutcome(index, row, code=INVALID_ROW, message=exc.message, fields=exc.fields)
            )
            continue
        key, folded, sanitized = get("global_key", None), None, False
        if key is not None:
            if type(key) is str and len(key) <= KEY_MAX and VALID_KEY.fullmatch(key):
                folded = fold(key)  # check_key's answer for a valid key, without the calls
            else:
                checked = check_key(key, on_invalid) if isinstance(key, str) else None
                if checked is None or not checked.ok:
                    message = checked.error if checked else "A global key must be text."
                    out.append(
                        RowOutcome(index, row, code=GlobalKeyErrorCode.INVALID_KEY, message=message)
                    )
                    continue
                key, sanitized, folded = checked.key, checked.sanitized, fold(checked.key)
            if folded in first_of:
                out.append(
                    RowOutcome(
                        index,
                        row,
                        sanitized=sanitized,
                        code=GlobalKeyErrorCode.DUPLICATE_IN_REQUEST,
                        message=f"The global key {key!r} is also on row {first_of[folded]} "
                        "of this request (keys compare in any letter case; the first wins).",
                    )
                )
                continue
            first_of[folded] = index
        out.append(
            PreparedRow(
                index, row, row_data, external_id, metadata, key, folded, sanitized, metadata_json
            )
        )
    return out


# --- the set-based insert ---------------------------------------------------------------------
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


def outcome_status(outcomes: Sequence[RowOutcome]) -> JobOutcome:
    created = sum(1 for o in outcomes if o.ok)
    if created == len(outcomes):
        return JobOutcome.SUCCESS
    return JobOutcome.PARTIAL_SUCCESS if created else JobOutcome.FAILURE


def too_many_rows(count: int) -> ApplicationError:
    return PayloadTooLarge(
        f"At most {SYNC_ROWS_MAX:,} rows per request (got {count:,}): import more from a "
        "CSV or JSONL file with an import job instead (client.data_rows.import_file).",
        code="too_many_items",
        details={"max_items": SYNC_ROWS_MAX, "items": count},
    )


# --- the services ------------------------------------------------------------------------------
@transaction.atomic
def data_rows_create(
    *,
    actor: Principal,
    dataset_id: str,
    rows: Sequence[Any],
    on_invalid: OnInvalid | str = OnInvalid.REJECT,
) -> tuple[JobOutcome, list[RowOutcome]]:
    """Add up to SYNC_ROWS_MAX rows to a dataset at once. A row whose content is wrong
    refuses the whole request (422 naming ``rows.<i>.<field>``, nothing written); key
    problems are reported per row and the other rows are created. Returns the status
    (SUCCESS / PARTIAL_SUCCESS / FAILURE) and one outcome per row, in input order."""
    if len(rows) > SYNC_ROWS_MAX:
        raise too_many_rows(len(rows))
    if not rows:
        raise ValidationFailed("Give at least one row.", fields={"rows": ["At least one row."]})
    dataset = selectors.dataset_get(actor=actor, dataset_id=dataset_id)
    selectors.require_dataset(actor, dataset, Permission.DATASET_WRITE)
    checked = prepare_rows(rows, on_invalid=on_invalid)
    invalid = [c for c in checked if isinstance(c, RowOutcome) and c.code == INVALID_ROW]
    if invalid:
        fields: dict[str, list[str]] = {}
        for c in invalid:
            for name, messages in c.fields.items():
                fields.setdefault(
                    ".".join(p for p in ("rows", str(c.index), name) if p), []
                ).extend(messages)
        raise ValidationFailed(
            f"{len(invalid)} row(s) are not valid, first row {invalid[0].index}: "
            f"{invalid[0].message} Nothing was created.",
            fields=fields,
        )
    dataset = lock_dataset(dataset)  # a concurrent delete cannot miss these rows
    outcomes = insert_checked(dataset=dataset, checked=checked)
    status = outcome_status(outcomes)
    errors: dict[str, int] = {}
    for o in outcomes:
        if not o.ok:
            errors[o.code] = errors.get(o.code, 0) + 1
    audit_record(
        actor=actor,
        action="data_rows.create",
        target_type="dataset",
        target_id=dataset.id,
        details={
            "status": status.value,
            "created": sum(1 for o in outcomes if o.ok),
            "sanitized": sum(1 for o in outcomes if o.ok and o.sanitized),
            "errors": errors,
        },
    )
    return status, outcomes


@transaction.atomic
def data_row_update(
    *,
    actor: Principal,
    data_row_id: str,
    row_data: str | None = None,
    external_id: str | None = None,
    metadata: dict | None = None,
) -> DataRow:
    """Change a row's ``row_data``, ``external_id`` and/or ``metadata`` (its global key
    changes through the global-key jobs)."""
    if row_data is None and external_id is None and metadata is None:
        raise BadRequest(
            "Give row_data, external_id or metadata to change.",
            fields={"row_data": ["Give row_data, external_id or metadata."]},
        )
    row = selectors.data_row_get(actor=actor, data_row_id=data_row_id)
    selectors.require_data_row(actor, row, Permission.DATASET_WRITE)
    row = DataRow.objects.select_for_update().get(id=row.id)
    changed: list[str] = []
    if row_data is not None:
        value = clean_row_data(row_data)
        if value != row.row_data:
            row.row_data = value
            changed.append("row_data")
    if external_id is not None:
        value = clean_external_id(external_id)
        if value != row.external_id:
            row.external_id = value
            changed.append("external_id")
    if metadata is not None:
        value = clean_metadata(metadata)
        if value != row.metadata:
            row.metadata = value
            changed.append("metadata")
    if changed:
        row.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action="data_row.update",
            target_type="data_row",
            target_id=row.id,
            details={"dataset_id": row.dataset_id, "fields": changed},
        )
    return row


@transaction.atomic
def data_row_delete(*, actor: Principal, data_row_id: str) -> None:
    """Delete a row: its global key is free again and its dataset counts one row less."""
    row = selectors.data_row_get(actor=actor, data_row_id=data_row_id)
    selectors.require_data_row(actor, row, Permission.DATASET_WRITE)
    deleted, _ = DataRow.objects.filter(id=row.id).delete()
    if deleted:
        Dataset.objects.filter(id=row.dataset_id).update(row_count=F("row_count") - deleted)
        audit_record(
            actor=actor,
            action="data_row.delete",
            target_type="data_row",
            target_id=row.id,
            details={"dataset_id": row.dataset_id, "global_key": row.global_key},
        )
