"""The ``data_rows_delete`` job: deletes the data rows a request named
(``services.rows_bulk.data_rows_delete_many``), ``DELETE_CHUNK`` ids per chunk.

Each chunk, in the engine's transaction with its checkpoint: lock the named rows of the
organization in id order, keep those in spaces where the job's owner (as of this chunk) may
write data, delete them taking them off their datasets' ``row_count`` (their keys are free
at once), and say per id what happened. Re-running is safe: a chunk rolled back deleted
nothing, and the checkpoint is the position in the input file.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from django.core.files.storage import default_storage
from pydantic import BaseModel, Field

from adminapp import authz
from adminapp.authz import Permission
from adminapp.catalog.jobs import delete_rows
from adminapp.catalog.models import DataRow
from adminapp.client.types.catalog import GlobalKeyErrorCode as Code
from adminapp.jobs.kinds import Chunk, ItemOutcome, JobContext, JobKind, Queue, register
from adminapp.jobs.models import Job

DELETE_INPUTS = "catalog/deletes"
DELETE_CHUNK = 1000


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
                if len(batch) == DELETE_CHUNK:
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
