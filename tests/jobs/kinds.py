"""Job kinds for testing the engine's guarantees once, for every kind.

``test_count`` applies items 1..n in chunks; each applied item writes an audit event
``test.apply`` whose target is ``<job id>:<item>``, in the chunk's transaction, so a test can
count how many times each item was really applied. Its parameters plant the situations
the engine must handle: item errors, a chunk that raises after writing, an abort arriving
during a chunk or just before one, the reaper giving the job to another worker, the owner
reading a space or losing their key, a final chunk marked ``last``, a failing ``result``.

Imported by the tests that use them, and by their Celery workers with ``--include``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from django.db.models import F
from pydantic import BaseModel

from adminapp.jobs.kinds import (
    Chunk,
    ItemOutcome,
    JobContext,
    JobKind,
    Outcomes,
    Queue,
    StartOver,
    register,
)

APPLIED = "test.apply"
STARTED_OVER: dict[str, int] = {}  # job id -> how many times it was told to start over
ASKED_PAST_LAST: Counter = Counter()  # job id -> chunks asked for after one marked last


class CountParams(BaseModel):
    n: int
    per_chunk: int = 10
    fail_every: int = 0  # item i fails when i % fail_every == 0
    raise_in_chunk: int | None = None  # this chunk (0-based) raises after writing its items
    abort_in_chunk: int | None = None  # an abort request arrives while this chunk runs
    steal_before_chunk: int | None = None  # the reaper gives the job away just before it
    space: str | None = None  # every chunk reads this space as the job's owner
    start_over: int = 0  # how many times the kind finds its checkpoint untrustworthy
    mark_last: bool = False  # its final chunk is marked ``last`` (finished in its transaction)
    abort_before_chunk: int | None = None  # an abort request arrives just before this chunk
    revoke_before_chunk: int | None = None  # the owner's API key is revoked just before it
    result_raises: bool = False  # ``result`` fails (inside a last chunk's transaction)


class CountResult(BaseModel):
    applied: int


def applied_target(job_id: str, item: int) -> str:
    return f"{job_id}:{item}"


@register
class Count(JobKind[CountParams, CountResult]):
    name = "test_count"
    label = "Test count"
    queue = Queue.DEFAULT

    def plan(self, ctx: JobContext[CountParams]) -> int:
        return ctx.params.n

    def chunks(self, ctx: JobContext[CountParams], after: int | None) -> Iterator[Chunk]:
        from adminapp.jobs.models import Job

        p = ctx.params
        told = STARTED_OVER.get(ctx.job_id, 0)
        if told < p.start_over and (after is not None or told):  # not on a first run
            STARTED_OVER[ctx.job_id] = told + 1
            raise StartOver("the test kind distrusts its checkpoint")
        for start in range(after or 0, p.n, p.per_chunk):
            end, number = min(start + p.per_chunk, p.n), start // p.per_chunk
            if number == p.steal_before_chunk:  # committed on its own, as the reaper's is
                Job.objects.filter(id=ctx.job_id).update(attempts=F("attempts") + 1)
            if number == p.abort_before_chunk:  # as the API's abort: committed on its own
                Job.objects.filter(id=ctx.job_id).update(abort_requested=True)
            if number == p.revoke_before_chunk:
                from django.utils import timezone

                from adminapp.accounts.models import ApiKey

                ApiKey.objects.filter(id=ctx.principal.key_id).update(revoked_at=timezone.now())
            last = p.mark_last and end == p.n
            yield Chunk(payload=(number, start, end), after=end, size=end - start, last=last)
        if p.mark_last:
            ASKED_PAST_LAST[ctx.job_id] += 1

    def apply(self, ctx: JobContext[CountParams], chunk: Chunk) -> list[ItemOutcome]:
        from adminapp.audit.models import AuditEvent
        from adminapp.jobs.models import Job
        from adminapp.spaces.selectors import space_get

        p = ctx.params
        number, start, end = chunk.payload
        if p.space:
            space_get(actor=ctx.principal, space=p.space)  # 404 outside the owner's reach
        outcomes = []
        for item in range(start + 1, end + 1):
            AuditEvent.objects.create(
                organization_id=ctx.org_id,
                actor_type="system",
                action=APPLIED,
                target_id=applied_target(ctx.job_id, item),
            )
            if p.fail_every and item % p.fail_every == 0:
                outcomes.append(
                    ItemOutcome.error("odd_item", f"item {item} refused", key=str(item))
                )
            else:
                outcomes.append(ItemOutcome.success(key=str(item), item=item))
        ctx.state["applied"] = ctx.state.get("applied", 0) + (end - start)
        if number == p.raise_in_chunk:
            raise RuntimeError(f"planted failure in chunk {number}")
        if number == p.abort_in_chunk:
            Job.objects.filter(id=ctx.job_id).update(abort_requested=True)
        return outcomes

    def result(self, ctx: JobContext[CountParams]) -> CountResult:
        if ctx.params.result_raises:
            raise RuntimeError("planted failure in result")
        return CountResult(applied=ctx.state.get("applied", 0))


@register
class CountFixed(Count):
    """``test_count`` whose plan is known before it runs (``total``): run it with n=30."""

    name = "test_count_fixed"
    label = "Test count (fixed total)"
    total = 30


@register
class CountBulk(Count):
    name = "test_count_bulk"
    label = "Test count (bulk queue)"
    queue = Queue.BULK


@register
class CountIO(Count):
    name = "test_count_io"
    label = "Test count (io queue)"
    queue = Queue.IO


@register
class CountAsAuditor(Count):
    """``test_count`` whose owner must keep ``audit.read`` while it runs."""

    name = "test_count_auditor"
    label = "Test count (needs audit.read)"
    permission = "audit.read"


class NoParams(BaseModel):
    pass


class SessionResult(BaseModel):
    backend_pid: int | None  # the PostgreSQL server process the job's queries ran in


@register
class Session(JobKind[NoParams, SessionResult]):
    """Says which database session it ran in (to see whether a worker keeps its
    connection from one job to the next)."""

    name = "test_session"
    label = "Test session"
    queue = Queue.DEFAULT

    def plan(self, ctx: JobContext[NoParams]) -> int:
        return 1

    def chunks(self, ctx: JobContext[NoParams], after: int | None) -> Iterator[Chunk]:
        if after is None:
            yield Chunk(payload=None, after=1, size=1)

    def apply(self, ctx: JobContext[NoParams], chunk: Chunk) -> list[ItemOutcome]:
        return [ItemOutcome.success(key="1")]

    def result(self, ctx: JobContext[NoParams]) -> SessionResult:
        from django.db import connection

        if connection.vendor != "postgresql":
            return SessionResult(backend_pid=None)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return SessionResult(backend_pid=cursor.fetchone()[0])


CLEANED: Counter = Counter()  # job id -> how many times the engine asked the kind to clean up


@register
class CountSetBased(Count):
    """``test_count`` that writes its chunk's outcomes itself, with one ``INSERT … SELECT``
    numbered from ``ctx.seq``, and returns ``Outcomes`` (the path of the set-based kinds),
    and counts its ``cleanup`` calls."""

    name = "test_count_set"
    label = "Test count (set-based outcomes)"

    def apply(self, ctx: JobContext[CountParams], chunk: Chunk) -> Outcomes:
        from django.db import connection

        listed = super().apply(ctx, chunk)  # applies the items (and plants its situations)
        _, start, end = chunk.payload
        every = ctx.params.fail_every or 0
        failing = f"({every} > 0 AND i %% {every} = 0)" if every else "1 = 0"
        data = (
            "jsonb_build_object('item', i)"
            if connection.vendor == "postgresql"
            else ("json_object('item', i)")
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH RECURSIVE n(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM n WHERE i < %s)
                INSERT INTO jobs_jobitem (job_id, seq, status, key, data, error_code, message)
                SELECT %s, %s + i - %s,
                       CASE WHEN {failing} THEN 'ERROR' ELSE 'SUCCESS' END,
                       CAST(i AS TEXT), {data},
                       CASE WHEN {failing} THEN 'odd_item' ELSE '' END,
                       CASE WHEN {failing} THEN 'item refused' ELSE '' END
                FROM n
                """,  # noqa: S608 - the fragments are built here from ints, never from input
                [start + 1, end, ctx.job_id, ctx.seq, start + 1],
            )
        succeeded = sum(1 for o in listed if o.ok)
        return Outcomes(succeeded=succeeded, failed=len(listed) - succeeded)

    def cleanup(self, job_id: str) -> None:
        CLEANED[job_id] += 1


@register
class CountPacked(Count):
    """``test_count`` that writes its chunk's errors as JobItems and packs its successes in
    blocks (``jobs.blocks.pack_sql``), the way the global key jobs do."""

    name = "test_count_packed"
    label = "Test count (packed outcomes)"

    def apply(self, ctx: JobContext[CountParams], chunk: Chunk) -> Outcomes:
        from django.db import connection

        from adminapp.jobs import blocks

        listed = super().apply(ctx, chunk)  # applies the items (and plants its situations)
        _, start, end = chunk.payload
        every = ctx.params.fail_every or 0
        failing = f"({every} > 0 AND i %% {every} = 0)" if every else "1 = 0"
        postgres = connection.vendor == "postgresql"
        numbers = "WITH RECURSIVE n(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM n WHERE i < %s)"
        # noqa: S608 below - the fragments are built here from ints, never from input
        with connection.cursor() as cursor:
            cursor.execute(
                f"""{numbers}
                INSERT INTO jobs_jobitem (job_id, seq, status, key, data, error_code, message)
                SELECT %s, %s + i - %s, 'ERROR', CAST(i AS TEXT),
                       {"jsonb_build_object('item', i)" if postgres else "json_object('item', i)"},
                       'odd_item', 'item refused'
                FROM n WHERE {failing}""",  # noqa: S608
                [start + 1, end, ctx.job_id, ctx.seq, start + 1],
            )
            data = "json_build_object('item', i)" if postgres else "json_object('item', i)"
            source = f"""SELECT %s + i - %s AS seq, CAST(i AS TEXT) AS key, {data} AS data
                FROM n WHERE NOT {failing}"""  # noqa: S608
            cursor.execute(
                numbers + " " + blocks.pack_sql(source),
                [start + 1, end, ctx.job_id, ctx.seq, start + 1],
            )
        succeeded = sum(1 for o in listed if o.ok)
        return Outcomes(succeeded=succeeded, failed=len(listed) - succeeded)
