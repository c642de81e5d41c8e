"""What the data-row import's parts share (``catalog.imports``, the job and its reader of
CSV and JSON Lines files; ``catalog.importer_chunks``, the reader of an importer's rows): the
job's params, the columns, ``Record`` (one input row, or why it cannot be one), ``BadFile``,
the job's running counts and ``gc_paused``."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from adminapp.catalog.keys import OnInvalid
from adminapp.client.types.catalog import ImportFormat
from adminapp.core.errors import ApplicationError
from adminapp.jobs.kinds import JobContext

COLUMNS = ("row_data", "external_id", "global_key", "metadata")
RAW_INPUT_MAX = 1000  # characters of an unparseable line kept in its error item


class BadFile(ApplicationError):
    """The file cannot be read on: the job fails naming the line."""

    code = "import_bad_file"


class ImportParams(BaseModel):
    dataset_id: str
    file: str = Field(description="The uploaded file's name in default_storage.")
    format: ImportFormat
    on_invalid: OnInvalid = OnInvalid.REJECT
    filename: str = ""  # as the client named it
    size: int = 0
    sha256: str = ""
    # "<plugin id>/<importer id>": the rows come from that importer (catalog/importers.py),
    # not from parsing the file as ``format``.
    importer: str = ""


@dataclass(slots=True)
class Record:
    """One input row: where it starts (``line``, 1-based), where the next one starts
    (``end``, a byte offset), and its fields (``row``) or why it cannot be one (``error``)."""

    line: int
    end: int
    row: dict[str, Any] | None
    error: str = ""
    raw: Any = None


def object_row(value: Any) -> tuple[dict | None, str]:
    if not isinstance(value, dict):
        return None, "Each line must be a JSON object with row_data and the other fields."
    unknown = sorted(set(value) - set(COLUMNS))
    if unknown:
        return None, (
            f"Unknown field(s) {', '.join(repr(n) for n in unknown)}; the fields are "
            f"{', '.join(COLUMNS)}."
        )
    return value, ""


def import_state(ctx: JobContext) -> dict[str, Any]:
    """The job's running counts (rows read, created, failed, ...), kept in its state."""
    state = ctx.state
    for name in ("rows", "created", "failed", "sanitized", "lines", "bytes"):
        state.setdefault(name, 0)
    state.setdefault("errors", {})
    return state


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector off for a block that makes and keeps thousands of small
    objects without cycles (a chunk's records, rows and outcomes): each burst of them would
    set off collections that walk every long-lived object of the worker — measured at 40%
    of an import's Python time. Reference counting frees them as usual; any cycle waits for
    the next collection, once the block ends."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
