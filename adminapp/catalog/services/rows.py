"""Creating, changing and deleting data rows.

``rows_insert`` is the one set-based insert behind every size: the synchronous
``POST …/data-rows`` (≤ 1,000 rows) and, per chunk, the import job. Its duplicate-key policy
(SPEC §4) is the same at every size — a row whose key breaks the rules is ``INVALID_KEY`` (or
sanitized), a key repeated in the request (any case; the first occurrence wins) is
``DUPLICATE_IN_REQUEST``, a key another row of the organization has (any case) is
``KEY_TAKEN`` — and the other rows are inserted:

1. validate every row in Python (no query);
2. one query per 500 keys for the keys already taken (the unique index on
   ``(organization_id, LOWER(global_key))``);
3. one ``bulk_create(..., ignore_conflicts=True)``: the ids are made here, so one more query
   tells which rows exist; a row missing lost a race to a concurrent insert of its key
   (the database constraint decided) and is ``KEY_TAKEN`` too;
4. ``row_count = row_count + inserted`` on the dataset, in the same transaction.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower

from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.catalog import selectors
from adminapp.catalog.keys import OnInvalid, check_key, fold
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
from adminapp.core.ids import new_id
from adminapp.core.principal import Principal
from adminapp.core.validation import clean_text

SYNC_ROWS_MAX = 1000  # per POST …/data-rows; more is an import job
KEYS_PER_QUERY = 500  # under SQLite's bound-variable limit, with room for the org id
# A row whose content (not its key) is refused: the synchronous endpoint answers 422 for
# the whole request instead; an import reports it per row.
INVALID_ROW = "INVALID_ROW"


@dataclass
class RowOutcome:
    """What became of one input row: ``row`` (created) or ``code`` and ``message``."""

    index: int
    input: Any
    row: DataRow | None = None
    sanitized: bool = False
    code: str = ""
    message: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.row is not None


@dataclass
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
    if value is None:
        return {}
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
    return value


def clean_row_data(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationFailed("row_data must be text.", fields={"row_data": ["Text."]})
    return clean_text(value, field="row_data", max_length=ROW_DATA_MAX)


def clean_external_id(value: Any) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationFailed("external_id must be text.", fields={"external_id": ["Text."]})
    external_id = clean_text(value, field="external_id", max_length=EXTERNAL_ID_MAX, required=False)
    if any(ch in external_id for ch in "\n\t"):
        raise ValidationFailed(
            "external_id must be one line.", fields={"external_id": ["One line."]}
        )
    return external_id


def _get(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def prepare_rows(
    rows: Sequence[Any], *, on_invalid: OnInvalid | str, start: int = 0
) -> list[PreparedRow | RowOutcome]:
    """Each row validated (``PreparedRow``) or refused (``RowOutcome``: ``INVALID_ROW``,
    ``INVALID_KEY``, ``DUPLICATE_IN_REQUEST``), in input order; ``index`` counts from
    ``start``. No query."""
    on_invalid = OnInvalid(on_invalid)
    out: list[PreparedRow | RowOutcome] = []
    first_of: dict[str, int] = {}  # folded key → index of the row that has it
    for i, row in enumerate(rows):
        index = start + i
        try:
            if not isinstance(row, Mapping) and not hasattr(row, "row_data"):
                raise ValidationFailed("A row must be an object.", fields={"": ["An object."]})
            row_data = clean_row_data(_get(row, "row_data"))
            external_id = clean_external_id(_get(row, "external_id"))
            metadata = clean_metadata(_get(row, "metadata"))
        except ValidationFailed as exc:
            out.append(
                RowOutcome(index, row, code=INVALID_ROW, message=exc.message, fields=exc.fields)
            )
            continue
        key, folded, sanitized = _get(row, "global_key"), None, False
        if key is not None:
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
        out.append(PreparedRow(index, row, row_data, external_id, metadata, key, folded, sanitized))
    return out


# --- the set-based insert ---------------------------------------------------------------------
def taken_keys(org_id: str, folded: Iterable[str]) -> set[str]:
    """Which of the ``folded`` keys a row of the organization already has (any case), in one
    query per KEYS_PER_QUERY keys, through the unique index."""
    folded = sorted(set(folded))
    taken: set[str] = set()
    for at in range(0, len(folded), KEYS_PER_QUERY):
        batch = folded[at : at + KEYS_PER_QUERY]
        taken.update(
            DataRow.objects.filter(organization_id=org_id, global_key__isnull=False)
            .annotate(key_folded=Lower("global_key"))
            .filter(key_folded__in=batch)
            .values_list("key_folded", flat=True)
        )
    return taken


def _key_taken(outcome_of: PreparedRow) -> RowOutcome:
    return RowOutcome(
        outcome_of.index,
        outcome_of.input,
        sanitized=outcome_of.sanitized,
        code=GlobalKeyErrorCode.KEY_TAKEN,
        message=f"The global key {outcome_of.global_key!r} belongs to another data row "
        "of the organization (keys compare in any letter case).",
    )


def insert_prepared(
    *, dataset: Dataset, prepared: Sequence[PreparedRow], taken: set[str]
) -> list[RowOutcome]:
    """Insert ``prepared`` but the rows whose folded key is in ``taken`` (the pre-check's
    answer); a row the database refused anyway (a concurrent insert of its key won) is
    ``KEY_TAKEN`` as well. Adds the rows inserted to ``dataset.row_count``."""
    outcomes: dict[int, RowOutcome] = {}
    to_insert: list[tuple[PreparedRow, DataRow]] = []
    # Ids sorted in input order: the rows read back (created_at, id) in the order given.
    ids = sorted(new_id("dr") for _ in prepared)
    for p in prepared:
        if p.folded is not None and p.folded in taken:
            outcomes[p.index] = _key_taken(p)
            continue
        obj = DataRow(
            id=ids[len(to_insert)],
            organization_id=dataset.organization_id,
            space_id=dataset.space_id,
            dataset_id=dataset.id,
            row_data=p.row_data,
            external_id=p.external_id,
            metadata=p.metadata,
            global_key=p.global_key,
        )
        to_insert.append((p, obj))
    with transaction.atomic():
        if to_insert:
            DataRow.objects.bulk_create([obj for _, obj in to_insert], ignore_conflicts=True)
        present: set[str] = set()
        keyed = [obj.id for _, obj in to_insert if obj.global_key is not None]
        for at in range(0, len(keyed), KEYS_PER_QUERY):
            present.update(
                DataRow.objects.filter(id__in=keyed[at : at + KEYS_PER_QUERY]).values_list(
                    "id", flat=True
                )
            )
        inserted = 0
        for p, obj in to_insert:
            if obj.global_key is not None and obj.id not in present:
                outcomes[p.index] = _key_taken(p)  # lost a race: the constraint decided
            else:
                outcomes[p.index] = RowOutcome(p.index, p.input, row=obj, sanitized=p.sanitized)
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
) -> list[RowOutcome]:
    """Insert ``rows`` (mappings or objects with ``row_data``, ``external_id``,
    ``metadata``, ``global_key``) into ``dataset``; one outcome per row, in input order,
    ``index`` counted from ``start``. Set-based, whatever the number of rows; inside an
    outer transaction it commits with it (a savepoint here). No permission check: the
    caller's (``data_rows_create``, the import job)."""
    return insert_checked(
        dataset=dataset, checked=prepare_rows(rows, on_invalid=on_invalid, start=start)
    )


def insert_checked(
    *, dataset: Dataset, checked: Sequence[PreparedRow | RowOutcome]
) -> list[RowOutcome]:
    """``rows_insert`` after ``prepare_rows``."""
    prepared = [c for c in checked if isinstance(c, PreparedRow)]
    with transaction.atomic():
        taken = taken_keys(dataset.organization_id, (p.folded for p in prepared if p.folded))
        inserted = iter(insert_prepared(dataset=dataset, prepared=prepared, taken=taken))
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
