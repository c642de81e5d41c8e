"""Moving data rows between a dataset and a repo's prefix: two job kinds on ``jobs.io``.

``dataset_export`` writes a dataset's rows as JSON Lines to ``<repo prefix>/<name>.jsonl``,
in the catalog's import format (so an export imports again as it is), streamed: rows are read in keyset batches and uploaded as the parts of one multipart upload
(``EXPORT_PART_BYTES`` each, the last one smaller), so memory holds one part at most. Each
uploaded part is one chunk: its checkpoint is the last row it holds, its number and ETag, so
a re-run continues with the next part; an upload the store no longer knows (aborted, or
already completed by a run that died before recording it) starts the export over. The
upload is completed by the last chunk; ``cleanup`` aborts one left unfinished. Every store
call is made from ``chunks``, outside the engine's transactions.

``data_rows_import_from_repo`` imports the CSV / JSONL objects under a repo's prefix (or a
sub-prefix): for each object, in key order, it downloads the object to a temporary file
(streamed, outside any transaction) and starts the catalog's ``data_rows_import`` job on it
(``catalog.services.imports.data_rows_import_file``, the upload's own path: the same checks,
the same per-row outcomes). Its items name each object and the import job started for it;
objects of other types are skipped and counted. The Idempotency-Key of each start is the
job's id and the object's key, so a re-run never starts an object's import twice.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError
from django.db import transaction
from pydantic import BaseModel

from adminapp.authz import Permission
from adminapp.catalog.imports import COLUMNS
from adminapp.catalog.models import DataRow, Dataset
from adminapp.catalog.services.imports import SUFFIXES, data_rows_import_file
from adminapp.core.errors import ApplicationError
from adminapp.jobs.kinds import Chunk, ItemOutcome, JobContext, JobKind, Queue, StartOver, register
from adminapp.jobs.models import Job
from adminapp.storage import store
from adminapp.storage.models import BucketConfig

EXPORT_PART_BYTES = 8 * 1024 * 1024  # S3 wants parts of 5 MiB or more, but the last
EXPORT_BATCH_ROWS = 500  # rows read per query; a part is cut at the first batch past its size
IMPORT_MAX_OBJECTS = 1000
DOWNLOAD_BLOCK = 1024 * 1024


class StoreError(ApplicationError):
    """The store refused a transfer: the job fails with its words (``store_<what>``)."""

    code = "store_error"


def _config(ctx: JobContext) -> BucketConfig:
    config = BucketConfig.objects.filter(
        id=ctx.params.bucket_config_id, organization_id=ctx.org_id
    ).first()
    if config is None:
        raise StoreError("The bucket config was deleted.")
    return config


def _client(config: BucketConfig) -> Any:
    try:
        return store.client_for(config, store.JOB_TIMEOUTS)
    except store.StoreFailure as failure:
        raise _failed(failure, config) from None


def _failed(exc: Exception, config: BucketConfig) -> StoreError:
    failure = exc if isinstance(exc, store.StoreFailure) else store.describe(exc, config)
    return StoreError(failure.message, code=f"store_{failure.code}")


# --- export ---------------------------------------------------------------------------------
class ExportParams(BaseModel):
    dataset_id: str
    repo_id: str
    bucket_config_id: str
    key: str  # the object's full key
    uri: str  # where it goes, for the result: <scheme>://<bucket>/<key>


class ExportResult(BaseModel):
    uri: str
    rows: int
    bytes: int
    parts: int


def _row_line(row: dict[str, Any]) -> bytes:
    """One row as a line of the catalog's own import format (``catalog.imports.COLUMNS``,
    empty fields left out), so an export can be imported again as it is."""
    return orjson.dumps({name: row[name] for name in COLUMNS if row[name]}) + b"\n"


def _rows_after(dataset_id: str, after: list | None, n: int) -> list[dict[str, Any]]:
    qs = DataRow.objects.filter(dataset_id=dataset_id).order_by("created_at", "id")
    if after:
        created_at, pk = datetime.fromisoformat(after[0]), after[1]
        qs = qs.filter(created_at__gte=created_at).exclude(created_at=created_at, id__lte=pk)
    return list(qs.values("id", "created_at", *COLUMNS)[:n])


@register
class DatasetExport(JobKind[ExportParams, ExportResult]):
    name = "dataset_export"
    label = "Dataset export to a repo"
    queue = Queue.IO
    unit = "rows"
    permission = Permission.STORAGE_MANAGE

    def plan(self, ctx: JobContext[ExportParams]) -> int:
        dataset = Dataset.objects.filter(id=ctx.params.dataset_id).first()
        return dataset.row_count if dataset else 0

    def chunks(self, ctx: JobContext[ExportParams], after) -> Iterator[Chunk]:
        config = _config(ctx)
        client = _client(config)
        state = ctx.state
        target = {"Bucket": config.bucket, "Key": ctx.params.key}
        try:
            upload_id = state.get("upload_id")
            if upload_id is None:
                upload_id = client.create_multipart_upload(
                    **target, ContentType="application/x-ndjson"
                )["UploadId"]
            cursor = after.get("cursor") if after else None
            part = (after or {}).get("part", 0)
            buffer, rows, last = bytearray(), 0, cursor
            while True:
                batch = _rows_after(ctx.params.dataset_id, last, EXPORT_BATCH_ROWS)
                for row in batch:
                    buffer += _row_line(row)
                if batch:
                    rows += len(batch)
                    last = [batch[-1]["created_at"].isoformat(), batch[-1]["id"]]
                done = len(batch) < EXPORT_BATCH_ROWS
                if len(buffer) < EXPORT_PART_BYTES and not done:
                    continue
                parts = [*state.get("parts", [])]
                if buffer or not parts:  # an empty dataset is one empty part
                    part += 1
                    answer = client.upload_part(
                        **target, UploadId=upload_id, PartNumber=part, Body=bytes(buffer)
                    )
                    parts.append({"PartNumber": part, "ETag": answer["ETag"]})
                if done:
                    client.complete_multipart_upload(
                        **target, UploadId=upload_id, MultipartUpload={"Parts": parts}
                    )
                payload = {
                    "upload_id": upload_id,
                    "parts": parts,
                    "rows": rows,
                    "bytes": len(buffer),
                    "complete": done,
                }
                yield Chunk(
                    payload=payload,
                    after={"cursor": last, "part": part},
                    size=rows,
                    stage="uploaded" if done else f"part {part} uploaded",
                )
                if done:
                    return
                buffer, rows = bytearray(), 0
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchUpload":
                raise StartOver("the store no longer knows the multipart upload") from None
            raise _failed(exc, config) from None
        except BotoCoreError as exc:
            raise _failed(exc, config) from None
        finally:
            client.close()

    def apply(self, ctx: JobContext[ExportParams], chunk: Chunk) -> list[ItemOutcome]:
        p = chunk.payload
        state = ctx.state
        state["upload_id"], state["parts"] = p["upload_id"], p["parts"]
        state["rows"] = state.get("rows", 0) + p["rows"]
        state["bytes"] = state.get("bytes", 0) + p["bytes"]
        state["complete"] = p["complete"]
        return []

    def result(self, ctx: JobContext[ExportParams]) -> ExportResult:
        return ExportResult(
            uri=ctx.params.uri,
            rows=ctx.state.get("rows", 0),
            bytes=ctx.state.get("bytes", 0),
            parts=len(ctx.state.get("parts", [])),
        )

    def cleanup(self, job_id: str) -> None:
        job = Job.objects.filter(id=job_id).first()
        state = ((job.checkpoint or {}).get("state") or {}) if job else {}
        if not state.get("upload_id") or state.get("complete"):
            return
        config = BucketConfig.objects.filter(id=job.params.get("bucket_config_id")).first()
        if config is None:
            return
        client = store.client_for(config, store.JOB_TIMEOUTS)
        try:
            client.abort_multipart_upload(
                Bucket=config.bucket, Key=job.params["key"], UploadId=state["upload_id"]
            )
        finally:
            client.close()


# --- import ---------------------------------------------------------------------------------
class RepoImportParams(BaseModel):
    dataset_id: str
    repo_id: str
    bucket_config_id: str
    prefix: str  # the full key prefix the objects are under
    on_invalid: str = "reject"


class RepoImportResult(BaseModel):
    objects: int
    started: int  # import jobs started (their items say what happened to each row)
    refused: int  # objects the import refused at once (empty, too large, ...)
    skipped: int  # objects that are not .csv, .jsonl or .ndjson


@register
class RepoImport(JobKind[RepoImportParams, RepoImportResult]):
    name = "data_rows_import_from_repo"
    label = "Data row import from a repo"
    queue = Queue.IO
    unit = "objects"
    permission = Permission.STORAGE_READ

    def chunks(self, ctx: JobContext[RepoImportParams], after) -> Iterator[Chunk]:
        config = _config(ctx)
        start_after = after
        seen = ctx.state.get("objects", 0)
        while seen < IMPORT_MAX_OBJECTS:
            try:
                listed, more = store.list_objects(
                    config, prefix=ctx.params.prefix, after=start_after, limit=100
                )
            except store.StoreFailure as failure:
                raise _failed(failure, config) from None
            for obj in listed:
                seen += 1
                fmt = SUFFIXES.get(os.path.splitext(obj.key)[1].lower())
                path = _download(config, obj.key) if fmt else None
                yield Chunk(payload={"key": obj.key, "path": path, "size": obj.size}, after=obj.key)
                start_after = obj.key
                if seen >= IMPORT_MAX_OBJECTS:
                    break
            if not more:
                return

    def apply(self, ctx: JobContext[RepoImportParams], chunk: Chunk) -> list[ItemOutcome]:
        key, path = chunk.payload["key"], chunk.payload["path"]
        state = ctx.state
        state["objects"] = state.get("objects", 0) + 1
        if path is None:
            state["skipped"] = state.get("skipped", 0) + 1
            return [ItemOutcome.error("SKIPPED", "Not a .csv, .jsonl or .ndjson object.", key=key)]
        try:
            with open(path, "rb") as fh, transaction.atomic():
                job = data_rows_import_file(
                    actor=ctx.principal,
                    dataset_id=ctx.params.dataset_id,
                    file=fh,
                    filename=key.rsplit("/", 1)[-1],
                    size=chunk.payload["size"],
                    on_invalid=ctx.params.on_invalid,
                    idempotency_key=f"{ctx.job_id}:{key}"[:128],
                )
        except ApplicationError as exc:  # this object (empty, too large, ...), not the rest
            state["refused"] = state.get("refused", 0) + 1
            return [ItemOutcome.error(exc.code, exc.message, key=key)]
        finally:
            os.unlink(path)
        state["started"] = state.get("started", 0) + 1
        return [ItemOutcome.success(key=key, import_job_id=job.id)]

    def result(self, ctx: JobContext[RepoImportParams]) -> RepoImportResult:
        return RepoImportResult(
            objects=ctx.state.get("objects", 0),
            started=ctx.state.get("started", 0),
            refused=ctx.state.get("refused", 0),
            skipped=ctx.state.get("skipped", 0),
        )


def _download(config: BucketConfig, key: str) -> str:
    """The object, streamed to a temporary file whose path is returned."""
    client = _client(config)
    fd, path = tempfile.mkstemp(prefix="repo-import-")
    try:
        with os.fdopen(fd, "wb") as out:
            body = client.get_object(Bucket=config.bucket, Key=key)["Body"]
            for block in body.iter_chunks(DOWNLOAD_BLOCK):
                out.write(block)
    except (BotoCoreError, ClientError) as exc:
        os.unlink(path)
        raise _failed(exc, config) from None
    finally:
        client.close()
    return path
