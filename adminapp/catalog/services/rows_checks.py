"""Checking data rows before they are written: each input row becomes a ``PreparedRow``
(ready to insert) or a ``RowOutcome`` saying why not, in Python and without a query
(printable-ASCII text skips the per-character checks it cannot fail). Used by the
synchronous create, the import job and single-row updates (``services.rows``,
``services.rows_insert``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from adminapp.catalog.keys import KEY_MAX, OnInvalid, check_key, fold
from adminapp.catalog.keys import VALID as VALID_KEY
from adminapp.catalog.models import (
    EXTERNAL_ID_MAX,
    METADATA_MAX_BYTES,
    ROW_DATA_MAX,
    DataRow,
)
from adminapp.client.types.catalog import GlobalKeyErrorCode
from adminapp.core.errors import (
    ValidationFailed,
)
from adminapp.core.validation import clean_text

SYNC_ROWS_MAX = 1000  # per POST …/data-rows; more is an import job
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
