"""The input of a global key job: a file in the default storage (CSV with a header, or JSON
lines), read as ``(line, data_row_id, key)`` items, streamed; a malformed line fails the job
with a message naming it."""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from django.core.files.storage import default_storage

from adminapp.core.errors import ApplicationError

ASSIGN_CSV_HEADER = ["data_row_id", "global_key"]
KEYS_CSV_HEADER = ["global_key"]


def input_rows(name: str, fmt: str, with_row: bool) -> Iterator[tuple[int, str | None, Any]]:
    """``(line, data_row_id, key)`` for every item of the input file, streamed. A malformed
    line fails the job with a message naming it."""
    with default_storage.open(name, "rb") as raw:
        line = 0
        try:
            if fmt == "csv":
                reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
                header = next(reader, None)
                want = ASSIGN_CSV_HEADER if with_row else KEYS_CSV_HEADER
                if not header_is(header, want):
                    raise _bad(1, f"the header must be {','.join(want)}")
                for record in reader:
                    line = reader.line_num
                    if not record:
                        continue
                    if len(record) != len(want):
                        raise _bad(line, f"expected {len(want)} columns, got {len(record)}")
                    yield (line, record[0], record[1]) if with_row else (line, None, record[0])
                return
            for line, content in enumerate(codecs.getreader("utf-8")(raw), start=1):
                if not content.strip():
                    continue
                try:
                    item = json.loads(content)
                except ValueError:
                    raise _bad(line, "not JSON") from None
                yield (line, *_item(line, item, with_row))
        except UnicodeDecodeError:
            raise _bad(line + 1, "not UTF-8 text") from None


def header_is(header: list[str] | None, want: list[str]) -> bool:
    """Whether a CSV header names ``want``'s columns (in order, any case, spaces around)."""
    return header is not None and [h.strip().lower() for h in header] == want


def header_line_is(line: bytes, want: list[str]) -> bool:
    """``header_is`` for a file's first line as bytes (False unless it is UTF-8)."""
    try:
        return header_is(next(csv.reader([line.decode("utf-8")]), None), want)
    except (UnicodeDecodeError, csv.Error):
        return False


def _bad(line: int, why: str) -> ApplicationError:
    return ApplicationError(f"Input line {line}: {why}.", code="bad_input")


def _item(line: int, item: Any, with_row: bool) -> tuple[str | None, str]:
    if with_row:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("data_row_id"), str)
            or not isinstance(item.get("global_key"), str)
        ):
            raise _bad(line, 'expected {"data_row_id": "...", "global_key": "..."}')
        return item["data_row_id"], item["global_key"]
    if isinstance(item, dict):
        item = item.get("global_key")
    if not isinstance(item, str):
        raise _bad(line, 'expected a key as a JSON string or {"global_key": "..."}')
    return None, item
