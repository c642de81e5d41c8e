"""The catalog's deletion jobs, and what a deleted space's purge removes.

``dataset_delete`` empties a dataset that ``dataset_delete`` (the service) already hid,
``DELETE_CHUNK`` rows per chunk (each chunk one transaction with its checkpoint, freeing the
rows' global keys and keeping ``row_count`` exact), then removes the dataset row and records
``dataset.purge``. Permissions were checked when the job was created. Re-running is safe:
each chunk reads the rows still there.

``data_rows_delete`` deletes the data rows a request named
(``services.rows_bulk.data_rows_delete_many``), ``ROWS_DELETE_CHUNK`` ids per chunk: each
chunk, in the engine's transaction with its checkpoint, locks the named rows of the
organization in id order, keeps those in spaces where the job's owner (as of this chunk) may
write data, deletes them taking them off their datasets' ``row_count`` (their keys are free at
once), and says per id what happened. The checkpoint is the position in the input file.

The global key jobs are in ``catalog.global_key_jobs``, the import in ``catalog.imports``.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from django.core.files.storage import default_storage
from django.db.models import F, Sum
from pydantic import BaseModel, Field

from adminapp import authz
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.catalog.models import DataRow, Dataset
from adminapp.client.types.catalog import GlobalKeyErrorCode as Code
from adminapp.core.errors import ValidationFailed
from adminapp.jobs.kinds import (
    Chunk,
    ItemOutcome,
    JobContext,
    JobKind,
    Queue,
    register,
)
from adminapp.jobs.models import Job
from adminapp.spaces.jobs import PURGE_CHUNK, PurgeStep, model_step

# --- datasets ------------------------------------------------------------------------------

DELETE_CHUNK = PURGE_CHUNK
DATASET_ROW = "dataset"

# --- datasets and data rows -----------------------------------------------------------------


def next_row_ids(dataset_id: str, n: int) -> list[str]:
    """The dataset's first ``n`` rows, through the ``(dataset, created_at, id)`` index."""
    return list(
        DataRow.objects.filter(dataset_id=dataset_id)
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:n]
    )


def delete_rows(ids: list[str]) -> int:
    """Delete these rows (one dataset's, or several) and take them off their datasets'
    ``row_count``; returns how many were deleted."""
    per_dataset: dict[str, int] = {}
    for dataset_id in DataRow.objects.filter(id__in=ids).values_list("dataset_id", flat=True):
        per_dataset[dataset_id] = per_dataset.get(dataset_id, 0) + 1
    deleted, _ = DataRow.objects.filter(id__in=ids).delete()
    for dataset_id, n in per_dataset.items():
        Dataset.objects.filter(id=dataset_id).update(row_count=F("row_count") - n)
    return deleted


class DatasetDeleteParams(BaseModel):
    dataset_id: str
    name: str


class DatasetDeleteResult(BaseModel):
    dataset_id: str
    name: str
    rows_deleted: int


@register
class DatasetDelete(JobKind[DatasetDeleteParams, DatasetDeleteResult]):
    name = "dataset_delete"
    label = "Dataset deletion"
    queue = Queue.BULK
    unit = "rows"

    def plan(self, ctx: JobContext[DatasetDeleteParams]) -> int:
        dataset = Dataset.objects.filter(id=ctx.params.dataset_id).first()
        return (dataset.row_count if dataset else 0) + 1  # + the dataset row

    def chunks(self, ctx: JobContext[DatasetDeleteParams], after) -> Iterator[Chunk]:
        dataset_id = ctx.params.dataset_id
        dataset = Dataset.objects.filter(id=dataset_id).first()
        if dataset is None:  # a re-run after the last chunk (or the space's purge did it)
            return
        if dataset.deleted_at is None:
            raise ValidationFailed(f"Dataset {dataset_id} is not marked for deletion.")
        while ids := next_row_ids(dataset_id, DELETE_CHUNK):
            yield Chunk(payload=ids, after="rows", size=len(ids), stage="deleting data rows")
        yield Chunk(payload=None, after=DATASET_ROW, size=1, stage="deleting the dataset")

    def apply(self, ctx: JobContext[DatasetDeleteParams], chunk: Chunk) -> list[ItemOutcome]:
        if chunk.payload is None:
            Dataset.objects.filter(id=ctx.params.dataset_id).delete()
            audit_record(
                actor=ctx.principal,
                action="dataset.purge",
                target_type="dataset",
                target_id=ctx.params.dataset_id,
                details={
                    "name": ctx.params.name,
                    "rows_deleted": ctx.state.get("rows_deleted", 0),
                    "job_id": ctx.job_id,
                },
            )
            return [ItemOutcome.success(key=DATASET_ROW, deleted=1)]
        n = delete_rows(chunk.payload)
        ctx.state["rows_deleted"] = ctx.state.get("rows_deleted", 0) + n
        return [ItemOutcome.success(key="data_rows", deleted=n)]

    def result(self, ctx: JobContext[DatasetDeleteParams]) -> DatasetDeleteResult:
        return DatasetDeleteResult(
            dataset_id=ctx.params.dataset_id,
            name=ctx.params.name,
            rows_deleted=ctx.state.get("rows_deleted", 0),
        )


# --- what a deleted space's purge removes (registered in CatalogConfig.ready) ----------------
def _space_rows_count(space_id: str) -> int:
    total = Dataset.objects.filter(space_id=space_id).aggregate(n=Sum("row_count"))["n"]
    return total or 0


def _space_next_row_ids(space_id: str, n: int) -> list[str]:
    """The next rows of the space, dataset by dataset (rows have no space index: a space's
    rows are found through its datasets, by the dataset index)."""
    for dataset_id in (
        Dataset.objects.filter(space_id=space_id).order_by("id").values_list("id", flat=True)
    ):
        ids = next_row_ids(dataset_id, n)
        if ids:
            return ids
    return []


DATA_ROWS_PURGE = PurgeStep(
    name="data_rows", count=_space_rows_count, next_ids=_space_next_row_ids, delete=delete_rows
)
DATASETS_PURGE = model_step("datasets", Dataset)


# --- many data rows --------------------------------------------------------------------------
DELETE_INPUTS = "catalog/deletes"
ROWS_DELETE_CHUNK = 1000  # ids per chunk of a data_rows_delete job


class DataRowsDeleteParams(BaseModel):
    input: str = Field(description="The ids, one JSON string a line, in the default storage.")
    items: int
    sha256: str = ""


class DataRowsDeleteResult(BaseModel):
    deleted: int
    not_deleted: int


@register
class DataRowsDelete(JobKind[DataRowsDeleteParams, DataRowsDeleteResult]):
    name = "data_rows_delete"
    label = "Data rows deletion"
    queue = Queue.BULK
    unit = "rows"

    def plan(self, ctx: JobContext[DataRowsDeleteParams]) -> int:
        return ctx.params.items

    def chunks(self, ctx: JobContext[DataRowsDeleteParams], after) -> Iterator[Chunk]:
        done = int(after or 0)
        batch: list[str] = []
        with default_storage.open(ctx.params.input, "rb") as fh:
            for position, line in enumerate(fh):
                if position < done:
                    continue
                batch.append(str(orjson.loads(line)))
                if len(batch) == ROWS_DELETE_CHUNK:
                    yield Chunk(payload=batch, after=done + len(batch), size=len(batch))
                    done, batch = done + len(batch), []
        if batch:
            yield Chunk(payload=batch, after=done + len(batch), size=len(batch))

    def apply(self, ctx: JobContext[DataRowsDeleteParams], chunk: Chunk) -> list[ItemOutcome]:
        ids: list[str] = chunk.payload
        found = dict(
            DataRow.objects.select_for_update()
            .filter(organization_id=ctx.org_id, id__in=set(ids))
            .order_by("id")
            .values_list("id", "space_id")
        )
        writable = {
            space_id
            for space_id in set(found.values())
            if authz.can_in_space(ctx.principal, space_id, Permission.DATASET_WRITE)
        }
        deletable = sorted(row_id for row_id, space_id in found.items() if space_id in writable)
        delete_rows(deletable)
        outcomes, seen = [], set()
        for row_id in ids:
            if row_id in seen:
                code, message = Code.DUPLICATE_IN_REQUEST, "This id appears earlier in the request."
                outcomes.append(ItemOutcome.error(code, message, key=row_id))
            elif row_id not in found:
                message = "No such data row in this organization (or it was deleted already)."
                outcomes.append(ItemOutcome.error(Code.DATA_ROW_NOT_FOUND, message, key=row_id))
            elif found[row_id] not in writable:
                message = "You may not delete data rows in this data row's space."
                outcomes.append(ItemOutcome.error(Code.ACCESS_DENIED, message, key=row_id))
            else:
                outcomes.append(ItemOutcome.success(key=row_id))
            seen.add(row_id)
        ctx.state["deleted"] = ctx.state.get("deleted", 0) + len(deletable)
        return outcomes

    def result(self, ctx: JobContext[DataRowsDeleteParams]) -> DataRowsDeleteResult:
        deleted = ctx.state.get("deleted", 0)
        return DataRowsDeleteResult(deleted=deleted, not_deleted=ctx.params.items - deleted)

    def cleanup(self, job_id: str) -> None:
        params = Job.objects.filter(id=job_id).values_list("params", flat=True).first() or {}
        name = params.get("input", "")
        if name.startswith(f"{DELETE_INPUTS}/") and default_storage.exists(name):
            default_storage.delete(name)
