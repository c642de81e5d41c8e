"""Starting data-row imports: an uploaded CSV / JSONL file, or a large JSON batch, stored
through Django's storage API and imported by the ``data_rows_import`` job
(``adminapp.catalog.imports``).

The upload is never held in memory: Django's upload handlers spool a large file to a
temporary file, and ``default_storage.save`` copies it to storage chunk by chunk (hashing it
on the way, for the Idempotency-Key). The checks that need no reading come first (the
dataset, the permission, the format, the size); the first block is sniffed for NUL bytes so
a binary file is refused at once. Everything else is the job's to find, naming the line.

A retried request with the same ``Idempotency-Key`` and the same file (by SHA-256) gets the
same job, and the second copy of the file is deleted; another file or dataset under the same
key is a 409.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.catalog import importers, selectors
from adminapp.catalog.imports import DataRowsImport, ImportFormat, ImportParams
from adminapp.catalog.keys import OnInvalid
from adminapp.core.errors import PayloadTooLarge, ValidationFailed
from adminapp.core.principal import Principal
from adminapp.jobs.models import Job
from adminapp.jobs.services import idempotency_key_reused, job_create, job_for_idempotency_key

SUFFIXES = {".csv": ImportFormat.CSV, ".jsonl": ImportFormat.JSONL, ".ndjson": ImportFormat.JSONL}
SNIFF_BYTES = 64 * 1024
FILENAME_MAX = 255


class _Hashing:
    """A binary file that feeds a SHA-256 with what is read from it (storages copy by
    ``read``: FileSystemStorage through ``File.chunks``, S3 by ``upload_fileobj``); a
    ``seek(0)`` starts the hash again."""

    def __init__(self, raw: Any):
        self.raw = raw
        self.restart()

    def restart(self) -> None:
        self.sha256, self.copied = hashlib.sha256(), 0

    def read(self, size: int = -1) -> bytes:
        block = self.raw.read(size)
        self.sha256.update(block)
        self.copied += len(block)
        return block

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self.raw.seek(offset, whence)
        if (offset, whence) == (0, 0):
            self.restart()
        return position

    def tell(self) -> int:
        return self.raw.tell()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def import_format(format: str | None, filename: str) -> tuple[ImportFormat, str]:
    """The format given, or the one the file's name says; with the key of the importer
    (``catalog.importers``) when ``format`` names one (``<plugin id>/<importer id>``)."""
    if format:
        text = format.strip()
        if importers.is_importer_key(text):
            # The rows an importer yields are records like a JSON Lines file's.
            return ImportFormat.JSONL, importers.importer_get(text).key
        try:
            return ImportFormat(text.lower()), ""
        except ValueError:
            raise ValidationFailed(
                f"Unknown format {format!r}: csv, jsonl, or an importer "
                "(<plugin id>/<importer id>, listed by GET /datasets/import-formats).",
                fields={"format": ["csv, jsonl or an importer."]},
            ) from None
    found = SUFFIXES.get(PurePosixPath(filename or "").suffix.lower())
    if found is None:
        raise ValidationFailed(
            f"Say which format the file {filename!r} is in (csv or jsonl): its name does "
            "not end in .csv, .jsonl or .ndjson.",
            fields={"format": ["csv or jsonl."]},
        )
    return found, ""


def _too_large(size: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The file is {size:,} bytes; the limit is {settings.IMPORT_MAX_BYTES:,} bytes "
        "(IMPORT_MAX_BYTES). Split it and import the parts.",
        details={"max_bytes": settings.IMPORT_MAX_BYTES, "bytes": size},
    )


def _sniff(file: Any, fmt: ImportFormat) -> None:
    """Refuse a binary file at once: a NUL byte in the first block, naming its line."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    nul = head.find(b"\x00")
    if nul >= 0:
        line = head.count(b"\n", 0, nul) + 1
        message = (
            f"Line {line} contains a NUL byte (byte {nul}): this looks like a binary file, "
            f"not {fmt.value.upper()} text."
        )
        raise ValidationFailed(message, fields={"file": [message]})


def _start(
    *,
    actor: Principal,
    dataset_id: str,
    file: Any,
    size: int,
    fmt: ImportFormat,
    filename: str,
    on_invalid: OnInvalid | str,
    idempotency_key: str | None,
    source: str,
    importer: str = "",
) -> Job:
    if size > settings.IMPORT_MAX_BYTES:
        raise _too_large(size)
    if size == 0:
        raise ValidationFailed("The file is empty.", fields={"file": ["The file is empty."]})
    try:
        on_invalid = OnInvalid(on_invalid)
    except ValueError:
        raise ValidationFailed(
            "on_invalid is reject or sanitize.", fields={"on_invalid": ["reject or sanitize."]}
        ) from None
    dataset = selectors.dataset_get(actor=actor, dataset_id=dataset_id)
    selectors.require_dataset(actor, dataset, Permission.DATASET_WRITE)
    if not importer:  # an importer reads its own format, binary or not
        _sniff(file, fmt)
    ext = fmt.value if not importer else "bin"

    hashing = _Hashing(file)
    content = File(hashing, name=filename or f"upload.{ext}")
    content.size = size
    stored = default_storage.save(f"imports/{actor.org_id}/{uuid.uuid4().hex}.{ext}", content)
    params = ImportParams(
        dataset_id=dataset.id,
        file=stored,
        format=fmt,
        on_invalid=on_invalid,
        filename=filename,
        size=hashing.copied,
        sha256=hashing.sha256.hexdigest(),
        importer=importer,
    )
    try:
        key = (idempotency_key or "").strip()
        earlier = job_for_idempotency_key(actor=actor, idempotency_key=key)
        if earlier is not None:
            default_storage.delete(stored)
            same = {k: v for k, v in earlier.params.items() if k != "file"}
            mine = params.model_dump(mode="json", exclude={"file"})
            if earlier.kind == DataRowsImport.name and same == mine:
                return earlier
            raise idempotency_key_reused(earlier)
        with transaction.atomic():
            job, created = job_create(
                actor=actor, kind=DataRowsImport, params=params, idempotency_key=key or None
            )
            audit_record(
                actor=actor,
                action="data_rows.import",
                target_type="dataset",
                target_id=dataset.id,
                details={
                    "job_id": job.id,
                    "source": source,
                    "format": importer or fmt.value,
                    "filename": filename,
                    "bytes": params.size,
                },
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    if not created:  # a concurrent retry with the same key won: its copy is the one used
        default_storage.delete(stored)
    return job


def data_rows_import_file(
    *,
    actor: Principal,
    dataset_id: str,
    file: Any,
    filename: str = "",
    size: int | None = None,
    format: str | None = None,
    on_invalid: OnInvalid | str = OnInvalid.REJECT,
    idempotency_key: str | None = None,
) -> Job:
    """Import the rows of an uploaded CSV or JSONL file (``file``: a binary file object,
    e.g. Django's ``UploadedFile``) into a dataset, as a job. ``format`` defaults to the
    file name's (.csv, .jsonl, .ndjson). Returns the QUEUED job (the API answers 202)."""
    filename = PurePosixPath((filename or getattr(file, "name", "") or "").replace("\\", "/"))
    filename = filename.name[:FILENAME_MAX]
    fmt, importer = import_format(format, filename)
    if size is None:
        size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
    return _start(
        actor=actor,
        dataset_id=dataset_id,
        file=file,
        size=size,
        fmt=fmt,
        filename=filename,
        on_invalid=on_invalid,
        idempotency_key=idempotency_key,
        source="file",
        importer=importer,
    )


def data_rows_import_rows(
    *,
    actor: Principal,
    dataset_id: str,
    rows: Sequence[Any],
    on_invalid: OnInvalid | str = OnInvalid.REJECT,
    idempotency_key: str | None = None,
) -> Job:
    """Import a JSON batch of rows too large to create at once (more than the synchronous
    limit, at most IMPORT_JSON_MAX_ROWS): written as a JSONL file and imported by the same
    job as a file, with the same outcomes (each error's line is the row's position + 1)."""
    if not rows:
        raise ValidationFailed("Give at least one row.", fields={"rows": ["At least one row."]})
    limit = settings.IMPORT_JSON_MAX_ROWS
    if len(rows) > limit:
        raise PayloadTooLarge(
            f"At most {limit:,} rows per JSON request (got {len(rows):,}): upload them as a "
            "CSV or JSONL file instead (POST /datasets/{id}/imports, "
            "client.data_rows.import_file).",
            code="too_many_items",
            details={"max_items": limit, "items": len(rows)},
        )
    with tempfile.TemporaryFile() as spool:
        for row in rows:
            data = row.model_dump(exclude_none=True) if hasattr(row, "model_dump") else row
            spool.write(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
            spool.write(b"\n")
        size = spool.tell()
        spool.seek(0)
        return _start(
            actor=actor,
            dataset_id=dataset_id,
            file=spool,
            size=size,
            fmt=ImportFormat.JSONL,
            filename="rows.jsonl",
            on_invalid=on_invalid,
            idempotency_key=idempotency_key,
            source="json",
        )
