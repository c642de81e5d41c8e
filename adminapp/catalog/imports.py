"""Data-row imports from CSV and JSONL files: the reader and the ``data_rows_import`` job.
(An import whose rows an importer reads takes them from ``catalog.importer_chunks``; what
the two readers and the job share is ``catalog.import_common``.)

The file was stored through Django's storage API (``default_storage``) by
``catalog.services.imports``; the job reads it back in streaming chunks of
``IMPORT_CHUNK_ROWS`` records, never whole:

- **Reading.** The storage file is opened in binary and read line by line; each line is
  decoded as UTF-8 on its own (a UTF-8 BOM at the start is skipped), so the byte offset and
  line number of every record are known. CSV goes through the ``csv`` module fed those
  lines (a quoted cell may span lines); JSONL is one object per line. Blank lines are
  skipped. Nothing but the current chunk is in memory.
- **Checkpoint** = the byte offset after the chunk's last record, its line number, the rows
  read, and the CSV header. A re-run opens the file and ``seek``s there, so no row is read —
  or inserted — twice: each chunk's rows, its error items and the checkpoint are one
  transaction (the engine's), and a chunk is all or nothing.
- **Progress** is in bytes: the plan is the file's size, known without reading it (counting
  rows would read the whole file first); the stage line says how many rows so far.
- **Each chunk** goes through ``rows_insert`` (the one duplicate-key policy of every size:
  ``INVALID_KEY`` or sanitized, ``DUPLICATE_IN_REQUEST``, ``KEY_TAKEN``, the rest inserted).
  A key repeated in a *later chunk* of the same file finds the earlier row holding it and is
  ``KEY_TAKEN``; within a chunk it is ``DUPLICATE_IN_REQUEST`` — first occurrence wins
  either way.
- **Outcomes.** Millions of created rows are counted, not listed: the job's items are the
  rows that were refused (``ERROR``, with the line number as ``key``, the input and the
  code) and the rows whose key was sanitized (``SUCCESS``, ``sanitized: true``). Each item's
  ``seq`` is its record's position in the file (0 = the first row), so items read in file
  order. The result gives the counts.

Bad input, decided:

- *per row* (the row is reported, the rest imported): a CSV line with another number of
  cells than the header, a JSONL line that is not JSON or not an object or has unknown
  fields, a ``metadata`` cell that is not a JSON object, a row the service refuses
  (``INVALID_ROW``: ``row_data`` missing or too long, ...), key errors;
- *the file* (the job FAILS with ``import_bad_file``, naming the line): an empty file or
  one without rows, a CSV header without ``row_data`` or with unknown or repeated columns
  (refused rather than ignored, so a misspelt ``globl_key`` column is not silently
  dropped), bytes that are not UTF-8 (the line and byte offset named), a NUL byte (a binary
  file, the line named); more than ``IMPORT_MAX_ROWS`` rows (``import_too_many_rows``).
  A file error found mid-file fails the job **after** the chunks before it were imported:
  those rows stay (the error message and the job's counts say how many), the chunk holding
  the bad line imports nothing. Fix the file and import the rest (from that line) again.

The input file is deleted from storage when the job ends, however it ends (``cleanup``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import default_storage

from adminapp.authz import Permission
from adminapp.catalog import selectors
from adminapp.catalog.import_common import (
    COLUMNS,
    RAW_INPUT_MAX,
    BadFile,
    ImportParams,
    Record,
    gc_paused,
    import_state,
    object_row,
)
from adminapp.catalog.importer_chunks import importer_chunks
from adminapp.catalog.models import Dataset
from adminapp.catalog.services.datasets import lock_dataset
from adminapp.catalog.services.rows_checks import INVALID_ROW
from adminapp.catalog.services.rows_insert import rows_insert
from adminapp.client.types.catalog import DataRowsImportResult, GlobalKeyErrorCode, ImportFormat
from adminapp.core.errors import ApplicationError, NotFound
from adminapp.jobs.kinds import Chunk, JobContext, JobKind, Outcomes, Queue, register
from adminapp.jobs.models import Job, JobItem, JobItemStatus

BOM = b"\xef\xbb\xbf"


# --- reading ------------------------------------------------------------------------------
class _Lines:
    """The file's lines from ``offset`` on, decoded one by one; ``offset`` and ``line``
    always describe the end of the last line handed out."""

    def __init__(self, fh: IO[bytes], *, offset: int, line: int, fmt: ImportFormat):
        self.fh, self.offset, self.line, self.fmt = fh, offset, line, fmt

    def __iter__(self) -> Iterator[str]:
        readline = self.fh.readline
        while True:
            raw = readline()
            if not raw:
                return
            start = self.offset
            self.offset += len(raw)
            self.line += 1
            if start == 0 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
                start += len(BOM)
            nul = raw.find(b"\x00")
            if nul >= 0:
                raise BadFile(
                    f"Line {self.line} contains a NUL byte (byte {start + nul} of the file): "
                    f"this looks like a binary file, not {self.fmt.value.upper()} text. "
                    "Nothing from this line on was imported."
                )
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadFile(
                    f"Line {self.line} is not UTF-8: byte {start + exc.start} of the file "
                    f"(0x{raw[exc.start]:02x}) cannot be decoded. Save the file as UTF-8 and "
                    "import it again. Nothing from this line on was imported."
                ) from None


def check_header(cells: list[str]) -> list[str]:
    header = [cell.strip() for cell in cells]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise BadFile(
            f"Line 1: unknown column(s) {', '.join(repr(n) for n in unknown)}; the columns "
            f"are {', '.join(COLUMNS)} (row_data required)."
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise BadFile(f"Line 1: column(s) {', '.join(repeated)} appear more than once.")
    if "row_data" not in header:
        raise BadFile(
            f"Line 1: the header has no row_data column (it has {', '.join(header)}); "
            "the first line of a CSV file names its columns."
        )
    return header


def _csv_row(header: list[str], cells: list[str]) -> tuple[dict | None, str]:
    if len(cells) != len(header):
        return None, (
            f"This line has {len(cells)} cell(s); the header has {len(header)} column(s)."
        )
    row: dict[str, Any] = dict(zip(header, cells, strict=True))  # lengths checked above
    if row.get("external_id") == "":  # an empty external_id / global_key: none
        del row["external_id"]
    if row.get("global_key") == "":
        del row["global_key"]
    cell = row.pop("metadata", None)
    if cell is not None and cell.strip():
        try:
            value = json.loads(cell)
        except ValueError as exc:
            return None, f"The metadata cell is not JSON ({exc.msg}, column {exc.colno})."
        if not isinstance(value, dict):
            return None, "The metadata cell must be a JSON object ({...})."
        row["metadata"] = value
    return row, ""


def _jsonl_row(text: str) -> tuple[dict | None, str]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        return None, f"This line is not JSON ({exc.msg}, column {exc.colno})."
    return object_row(value)


def read_records(
    fh: IO[bytes],
    fmt: ImportFormat,
    *,
    offset: int = 0,
    line: int = 0,
    header: list[str] | None = None,
) -> Iterator[Record]:
    """The records of ``fh`` from byte ``offset`` (which starts line ``line + 1``) on. A CSV
    file's header is read first when ``header`` is None (a first run); a re-run passes the
    one it read. Raises ``BadFile`` for what makes the file unreadable."""
    fh.seek(offset)
    lines = _Lines(fh, offset=offset, line=line, fmt=fmt)
    if fmt is ImportFormat.JSONL:
        for text in lines:
            if not text.strip():
                continue
            row, error = _jsonl_row(text)
            yield Record(
                line=lines.line,
                end=lines.offset,
                row=row,
                error=error,
                raw=None if row is not None else text.rstrip("\r\n")[:RAW_INPUT_MAX],
            )
        return
    reader = csv.reader(iter(lines), strict=True)
    while True:
        starts = lines.line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise BadFile(f"Line {starts}: not valid CSV ({exc}).") from None
        if not cells or cells == [""]:
            continue  # a blank line
        if header is None:
            header = check_header(cells)
            yield Record(line=starts, end=lines.offset, row=None, error="", raw=header)
            continue
        row, error = _csv_row(header, cells)
        yield Record(line=starts, end=lines.offset, row=row, error=error, raw=cells)


# --- the job ------------------------------------------------------------------------------
@register
class DataRowsImport(JobKind[ImportParams, DataRowsImportResult]):
    name = "data_rows_import"
    label = "Data row import"
    queue = Queue.IO
    unit = "bytes"

    def plan(self, ctx: JobContext[ImportParams]) -> int:
        if not default_storage.exists(ctx.params.file):
            raise BadFile("The uploaded file is no longer in storage; upload it again.")
        size = default_storage.size(ctx.params.file)
        if size == 0:
            raise BadFile("The file is empty: nothing to import.")
        return size

    def chunks(self, ctx: JobContext[ImportParams], after: dict | None) -> Iterator[Chunk]:
        if ctx.params.importer:
            yield from importer_chunks(ctx, after)
            return
        after = after or {"offset": 0, "line": 0, "rows": 0, "header": None}
        header = after.get("header")
        offset, line, rows = after["offset"], after["line"], after["rows"]
        per_chunk, max_rows = settings.IMPORT_CHUNK_ROWS, settings.IMPORT_MAX_ROWS
        fmt = ctx.params.format
        try:
            fh = default_storage.open(ctx.params.file, "rb")
        except FileNotFoundError:
            raise BadFile("The uploaded file is no longer in storage; upload it again.") from None
        with fh:
            batch: list[Record] = []
            start = offset

            def chunk() -> Chunk:
                last = batch[-1]
                return Chunk(
                    payload=list(batch),
                    after={"offset": last.end, "line": last.line, "rows": rows, "header": header},
                    size=last.end - start,
                    stage=f"{rows:,} rows read",
                )

            records = read_records(fh, fmt, offset=offset, line=line, header=header)
            while True:
                full = too_many = None
                with gc_paused():  # a chunk's records are many small objects kept a while
                    for record in records:
                        if fmt is ImportFormat.CSV and header is None:
                            header = record.raw  # the header line: the first chunk's bytes
                            continue
                        if rows >= max_rows:
                            too_many = record
                            break
                        rows += 1
                        batch.append(record)
                        if len(batch) >= per_chunk:
                            full = True
                            break
                if too_many is not None:
                    if batch:
                        yield chunk()
                    raise ApplicationError(
                        f"The file has more than {max_rows:,} rows (line {too_many.line} is "
                        f"row {max_rows + 1:,}): the first {max_rows:,} rows were read and "
                        f"{import_state(ctx)['created']:,} of them imported; nothing after. Split "
                        "the file and import the rest separately.",
                        code="import_too_many_rows",
                    )
                if not full:
                    break
                yield chunk()
                start, batch = batch[-1].end, []
            if batch:
                yield chunk()
            elif rows == 0:
                raise BadFile(
                    "The file has a header but no rows: nothing to import."
                    if header is not None
                    else "The file has no rows: nothing to import."
                )

    def apply(self, ctx: JobContext[ImportParams], chunk: Chunk) -> Outcomes:
        if not chunk.payload:  # an importer's last step: the whole file was read
            import_state(ctx)["bytes"] = ctx.params.size
            return Outcomes()
        with gc_paused():
            return self._apply(ctx, chunk)

    def _apply(self, ctx: JobContext[ImportParams], chunk: Chunk) -> Outcomes:
        records: list[Record] = chunk.payload
        try:
            dataset = lock_dataset(Dataset(id=ctx.params.dataset_id))
        except NotFound:
            raise NotFound(
                f"Dataset {ctx.params.dataset_id} was deleted while its import ran."
            ) from None
        # The owner is re-resolved before each chunk: one who lost write access stops here.
        selectors.require_dataset(ctx.principal, dataset, Permission.DATASET_WRITE)
        state = import_state(ctx)
        first = state["rows"]  # the seq of the chunk's first record
        parsed = [(i, r) for i, r in enumerate(records) if r.row is not None]
        outcomes = rows_insert(
            dataset=dataset,
            rows=[r.row for _, r in parsed],
            on_invalid=ctx.params.on_invalid,
            with_rows=False,
            # Once a key was taken, later chunks likely hold taken keys too.
            expect_taken=state["errors"].get(GlobalKeyErrorCode.KEY_TAKEN, 0) > 0,
        )
        items: list[JobItem] = []
        created = sanitized = 0
        errors: dict[str, int] = state["errors"]

        def item(i: int, record: Record, **fields: Any) -> JobItem:
            data = {"line": record.line, "input": record.row or record.raw, **fields.pop("data")}
            return JobItem(
                job_id=ctx.job_id, seq=ctx.seq + i, key=str(record.line), data=data, **fields
            )

        for i, record in enumerate(records):
            if record.row is None:
                errors[INVALID_ROW] = errors.get(INVALID_ROW, 0) + 1
                items.append(
                    item(
                        i,
                        record,
                        status=JobItemStatus.ERROR,
                        error_code=INVALID_ROW,
                        message=f"Line {record.line}: {record.error}"[:500],
                        data={},
                    )
                )
        for (i, record), outcome in zip(parsed, outcomes, strict=True):
            if outcome.ok:
                created += 1
                if outcome.sanitized:
                    sanitized += 1
                    items.append(
                        item(
                            i,
                            record,
                            status=JobItemStatus.SUCCESS,
                            data={
                                "id": outcome.id,
                                "global_key": outcome.global_key,
                                "sanitized": True,
                            },
                        )
                    )
                continue
            errors[outcome.code] = errors.get(outcome.code, 0) + 1
            items.append(
                item(
                    i,
                    record,
                    status=JobItemStatus.ERROR,
                    error_code=outcome.code,
                    message=f"Line {record.line}: {outcome.message}"[:500],
                    data={"fields": outcome.fields} if outcome.fields else {},
                )
            )
        if items:
            JobItem.objects.bulk_create(items, batch_size=1000)
        failed = len(records) - created
        last = records[-1]
        state.update(
            rows=first + len(records),
            created=state["created"] + created,
            failed=state["failed"] + failed,
            sanitized=state["sanitized"] + sanitized,
            lines=last.line,
            bytes=last.end or state["bytes"],
        )
        return Outcomes(succeeded=created, failed=failed)

    def cleanup(self, job_id: str) -> None:
        params = Job.objects.filter(id=job_id).values_list("params", flat=True).first() or {}
        name = params.get("file")
        if name:
            default_storage.delete(name)  # no error when it is already gone

    def result(self, ctx: JobContext[ImportParams]) -> DataRowsImportResult:
        state = import_state(ctx)
        return DataRowsImportResult(
            rows=state["rows"],
            created=state["created"],
            failed=state["failed"],
            sanitized=state["sanitized"],
            errors=dict(sorted(state["errors"].items())),
            lines=state["lines"],
            bytes=state["bytes"],
            format=ctx.params.format,
            filename=ctx.params.filename,
            importer=ctx.params.importer or None,
        )
