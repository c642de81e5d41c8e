"""The ``space_delete`` job: empties a space that ``space_delete`` already hid, then
removes it.

What a space holds is removed step by step, ``PURGE_CHUNK`` rows per chunk (each chunk one
transaction with its checkpoint); later domains (datasets, data rows) add their steps with
``register_purge_step`` in their AppConfig.ready(). The last chunk deletes the space row and
records ``space.purge``. Permissions were checked when the job was created and the space is
already hidden, so the job does not check them again. Re-running is safe: each chunk reads
the rows still there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import models
from pydantic import BaseModel

from adminapp.audit.services import audit_record
from adminapp.core.errors import ValidationFailed
from adminapp.jobs.kinds import Chunk, ItemOutcome, JobContext, JobKind, Queue, register
from adminapp.spaces.models import Space, SpaceMembership, SpaceToken

PURGE_CHUNK = 1000
SPACE_ROW = "space"


@dataclass(frozen=True)
class PurgeStep:
    """One kind of row a space holds: how to count its rows of a space, find the next ids
    to delete, and delete them."""

    name: str
    count: Callable[[str], int]
    next_ids: Callable[[str, int], list]
    delete: Callable[[list], int]


def model_step(name: str, model: type[models.Model], space_field: str = "space_id") -> PurgeStep:
    """A step for a model with a foreign key to the space."""

    def rows(space_id: str):
        return model.objects.filter(**{space_field: space_id})

    return PurgeStep(
        name=name,
        count=lambda space_id: rows(space_id).count(),
        next_ids=lambda space_id, n: list(rows(space_id).values_list("pk", flat=True)[:n]),
        delete=lambda ids: model.objects.filter(pk__in=ids).delete()[0],
    )


_PURGE_STEPS: list[PurgeStep] = []


def register_purge_step(step: PurgeStep, *, first: bool = False) -> None:
    if any(s.name == step.name for s in _PURGE_STEPS):
        return
    _PURGE_STEPS.insert(0, step) if first else _PURGE_STEPS.append(step)


register_purge_step(model_step("tokens", SpaceToken))
register_purge_step(model_step("memberships", SpaceMembership))


class SpaceDeleteParams(BaseModel):
    space_id: str
    name: str


class SpaceDeleteResult(BaseModel):
    space_id: str
    name: str
    deleted: dict[str, int]  # rows removed, per step


@register
class SpaceDelete(JobKind[SpaceDeleteParams, SpaceDeleteResult]):
    name = "space_delete"
    label = "Space deletion"
    queue = Queue.BULK
    unit = "rows"

    def plan(self, ctx: JobContext[SpaceDeleteParams]) -> int:
        space_id = ctx.params.space_id
        return sum(step.count(space_id) for step in _PURGE_STEPS) + 1  # + the space row

    def chunks(self, ctx: JobContext[SpaceDeleteParams], after) -> Iterator[Chunk]:
        space_id = ctx.params.space_id
        space = Space.objects.filter(id=space_id).first()
        if space is None:  # a re-run after the last chunk
            return
        if space.deleted_at is None:
            raise ValidationFailed(f"Space {space_id} is not marked for deletion.")
        for step in _PURGE_STEPS:
            while ids := step.next_ids(space_id, PURGE_CHUNK):
                yield Chunk(
                    payload=(step, ids),
                    after=step.name,
                    size=len(ids),
                    stage=f"deleting {step.name}",
                )
        yield Chunk(payload=(None, [space_id]), after=SPACE_ROW, size=1, stage="deleting the space")

    def apply(self, ctx: JobContext[SpaceDeleteParams], chunk: Chunk) -> list[ItemOutcome]:
        step, ids = chunk.payload
        deleted = dict(ctx.state.get("deleted") or {})
        if step is None:
            Space.objects.filter(id=ctx.params.space_id).delete()
            audit_record(
                actor=ctx.principal,
                action="space.purge",
                target_type="space",
                target_id=ctx.params.space_id,
                details={"name": ctx.params.name, "deleted": deleted, "job_id": ctx.job_id},
            )
            return [ItemOutcome.success(key=SPACE_ROW, deleted=1)]
        n = step.delete(ids)
        deleted[step.name] = deleted.get(step.name, 0) + n
        ctx.state["deleted"] = deleted
        return [ItemOutcome.success(key=step.name, deleted=n)]

    def result(self, ctx: JobContext[SpaceDeleteParams]) -> SpaceDeleteResult:
        deleted = ctx.state.get("deleted") or {}
        return SpaceDeleteResult(
            space_id=ctx.params.space_id,
            name=ctx.params.name,
            deleted={step.name: deleted.get(step.name, 0) for step in _PURGE_STEPS},
        )
