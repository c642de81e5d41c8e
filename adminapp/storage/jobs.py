"""Storage's job kinds.

``bucket_config_check`` proves a config: with its stored credentials it lists at most one
object under the config's prefix and says what the store answered — ok, or the refusal in
words (bad credentials, no such bucket, access denied, unreachable, timeout, or that the
platform or method is not one this installation speaks). The store is asked from
``chunks``, which the engine runs outside any transaction: a slow store never holds a
database transaction (on SQLite, the write lock) open. ``apply`` only records the answer.

``repo_purge`` removes one organization's repos whose soft deletion is older than
``REPO_GRACE``; beat starts it (``storage.tasks.purge_repos``) as the system. The objects
in the bucket are not touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.utils import timezone
from pydantic import BaseModel

from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.client.types.storage import BucketCheckResult
from adminapp.jobs.kinds import Chunk, ItemOutcome, JobContext, JobKind, Queue, register
from adminapp.storage import store
from adminapp.storage.models import BucketConfig, Repo

REPO_GRACE = timedelta(days=7)
PURGE_CHUNK = 200


class BucketConfigCheckParams(BaseModel):
    bucket_config_id: str
    nickname: str


def check(config: BucketConfig) -> BucketCheckResult:
    """List at most one object under the config's prefix; what happened, in words."""
    base = {"nickname": config.nickname, "uri": config.uri}
    try:
        listed, _ = store.list_objects(config, prefix=store.full_prefix(config), limit=1)
    except store.StoreFailure as failure:
        return BucketCheckResult(ok=False, code=failure.code, message=failure.message, **base)
    seen = len(listed)
    words = "found an object" if seen else "the prefix is empty"
    return BucketCheckResult(
        ok=True, code="ok", message=f"Listed {config.uri}: {words}.", objects_seen=seen, **base
    )


@register
class BucketConfigCheck(JobKind[BucketConfigCheckParams, BucketCheckResult]):
    name = "bucket_config_check"
    label = "Bucket access check"
    queue = Queue.IO
    unit = "checks"
    permission = Permission.STORAGE_MANAGE

    def plan(self, ctx: JobContext[BucketConfigCheckParams]) -> int:
        return 1

    def chunks(self, ctx: JobContext[BucketConfigCheckParams], after) -> Iterator[Chunk]:
        if after is not None:
            return
        config = BucketConfig.objects.filter(
            id=ctx.params.bucket_config_id, organization_id=ctx.org_id
        ).first()
        if config is None:
            answer = BucketCheckResult(
                ok=False,
                code="not_found",
                message="The bucket config was deleted before it could be checked.",
                nickname=ctx.params.nickname,
                uri="",
            )
        else:
            answer = check(config)
        yield Chunk(payload=answer.model_dump(mode="json"), after="checked", stage="checked")

    def apply(self, ctx: JobContext[BucketConfigCheckParams], chunk: Chunk) -> list[ItemOutcome]:
        answer = BucketCheckResult.model_validate(chunk.payload)
        ctx.state["answer"] = chunk.payload
        if answer.ok:
            return [ItemOutcome.success(key=answer.nickname, objects_seen=answer.objects_seen)]
        return [ItemOutcome.error(answer.code, answer.message, key=answer.nickname)]

    def result(self, ctx: JobContext[BucketConfigCheckParams]) -> BucketCheckResult:
        return BucketCheckResult.model_validate(ctx.state["answer"])


class RepoPurgeParams(BaseModel):
    deleted_before: datetime


class RepoPurgeResult(BaseModel):
    purged: int


def expired(org_id: str, deleted_before: datetime):
    return Repo.objects.filter(
        organization_id=org_id, deleted_at__isnull=False, deleted_at__lt=deleted_before
    )


@register
class RepoPurge(JobKind[RepoPurgeParams, RepoPurgeResult]):
    name = "repo_purge"
    label = "Deleted repos purge"
    queue = Queue.DEFAULT
    unit = "repos"

    def plan(self, ctx: JobContext[RepoPurgeParams]) -> int:
        return expired(ctx.org_id, ctx.params.deleted_before).count()

    def chunks(self, ctx: JobContext[RepoPurgeParams], after) -> Iterator[Chunk]:
        while ids := list(
            expired(ctx.org_id, ctx.params.deleted_before)
            .order_by("id")
            .values_list("id", flat=True)[:PURGE_CHUNK]
        ):
            yield Chunk(payload=ids, after="repos", size=len(ids), stage="purging repos")

    def apply(self, ctx: JobContext[RepoPurgeParams], chunk: Chunk) -> list[ItemOutcome]:
        outcomes = []
        # Read again in the chunk's transaction: a repo restored meanwhile stays.
        for repo in expired(ctx.org_id, ctx.params.deleted_before).filter(id__in=chunk.payload):
            repo_id = repo.id
            repo.delete()
            audit_record(
                actor=ctx.principal,
                action="repo.purge",
                target_type="repo",
                target_id=repo_id,
                details={"name": repo.name, "deleted_at": repo.deleted_at.isoformat()},
            )
            outcomes.append(ItemOutcome.success(key=repo.name, id=repo_id))
        ctx.state["purged"] = ctx.state.get("purged", 0) + len(outcomes)
        return outcomes

    def result(self, ctx: JobContext[RepoPurgeParams]) -> RepoPurgeResult:
        return RepoPurgeResult(purged=ctx.state.get("purged", 0))


def purge_deadline(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - REPO_GRACE
