"""What a job kind is: an object the engine runs (STYLE 13a).

A kind declares its ``name``, ``label``, ``queue`` and typed ``Params`` / ``Result`` (pydantic
models, taken from its generic parameters), and splits its work in three:

- ``plan(ctx) -> total``: how many units of work there are (the progress bar's end), once;
- ``chunks(ctx, after) -> iterable of Chunk``: the work still to do after the checkpoint
  ``after`` (None on a first run), lazily, one chunk at a time;
- ``apply(ctx, chunk) -> outcomes``: do one chunk and say what happened to each item,
  either as a list of ``ItemOutcome`` (the engine writes one JobItem each) or, for kinds
  that work on millions of items, as ``Outcomes(succeeded, failed)`` after writing the
  chunk's JobItems itself, set-based, numbered from ``ctx.seq`` (see ``Outcomes``);
- ``cleanup(job_id)``: release what the job kept between deliveries (a staging table, an
  input file) once it is finished, whatever the way (success, failure, abort, the reaper);
  ``finished(ctx, state)`` is called instead when the delivery that ran it finishes it.

The engine (``adminapp.jobs.engine``) owns everything else: it applies each chunk, its item
outcomes and the checkpoint in one transaction (so a chunk is applied exactly once, even
when a lost worker's job is run again), heartbeats, checks for an abort and re-checks the
owner's rights between chunks, keeps progress, and decides the outcome. A kind never does
any of that itself. Then ``result(ctx)`` gives the summary (a kind that knows which chunk
is its last marks it ``Chunk(last=True)``, and the job finishes in that chunk's transaction).

Kinds register with ``@register`` in their domain's ``jobs.py``, which the domain's
AppConfig imports, so tools can follow every kind from its app.

This module imports no models, so a kind's module can be imported before Django is set up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar, get_args

from pydantic import BaseModel

from adminapp.core.principal import Principal


class Queue(StrEnum):
    """Queues by kind of work. One worker consumes all of them by default; separate pools
    can consume one each (see the README, "Scaling workers")."""

    DEFAULT = "jobs.default"  # short work
    BULK = "jobs.bulk"  # long set-based work over many rows (deletes, bulk updates)
    IO = "jobs.io"  # files and the network: exports, imports, installs


@dataclass(frozen=True)
class Chunk:
    """One unit of commit. ``payload`` is what ``apply`` works on; ``after`` (JSON) is
    where the work stands once this chunk is applied, handed back to ``chunks`` on a
    re-run; ``size`` is how many units of the plan it completes.

    ``last``: the kind knows this is its final chunk (a job of one chunk, the switch at the
    end of a plugin install). The engine then finishes the job — SUCCEEDED, its outcome and
    ``result(ctx)`` — in the chunk's own transaction instead of in a write of its own after
    it, and asks ``chunks`` for nothing more. The abort and owner checks before it are the
    same as before any chunk."""

    payload: Any
    after: Any
    size: int = 1
    stage: str = ""  # shown beside the progress bar once this chunk is applied, if given
    last: bool = False


class StartOver(Exception):  # noqa: N818 - an instruction to the engine, not an error
    """Raised by a kind when what its checkpoint describes cannot be trusted any more (a
    partial result file that is missing or differs): the engine forgets the job's progress
    and outcomes and runs it again from the start, once per delivery."""


@dataclass(frozen=True)
class ItemOutcome:
    """What happened to one item: a result (``ok``) or an error with a machine code."""

    ok: bool
    key: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    error_code: str = ""
    message: str = ""

    @classmethod
    def success(cls, key: str = "", **data: Any) -> ItemOutcome:
        return cls(ok=True, key=key, data=data)

    @classmethod
    def error(cls, code: str, message: str, *, key: str = "", **data: Any) -> ItemOutcome:
        return cls(ok=False, key=key, data=data, error_code=code, message=message)


@dataclass(frozen=True)
class Outcomes:
    """A chunk's outcomes when the kind wrote them itself (``INSERT INTO jobs_jobitem …
    SELECT``, in the chunk's transaction): how many succeeded and failed. The kind numbers
    its JobItems ``ctx.seq``, ``ctx.seq + 1``, … ``ctx.seq + succeeded + failed - 1``; the
    engine counts them and moves its running seq on by that many, exactly as for a list."""

    succeeded: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.succeeded + self.failed


ParamsT = TypeVar("ParamsT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)


class JobContext(Generic[ParamsT]):
    """What a kind sees of its job (built by the engine): typed params, its own state and
    who it acts as."""

    def __init__(
        self,
        *,
        job_id: str,
        org_id: str,
        created_at: datetime,
        params: ParamsT,
        state: dict[str, Any],
        principal: Principal,
        result_file: str = "",
    ):
        self.job_id = job_id
        self.org_id = org_id
        self.created_at = created_at
        self.params = params
        # The kind's own running totals: saved with every checkpoint, in the chunk's
        # transaction, and handed back as they were on a re-run.
        self.state = state
        # The job's owner as of the last check (the engine re-resolves it before each chunk).
        self.principal = principal
        self.result_file = result_file
        # The seq the next JobItem of this job gets (set by the engine before each chunk),
        # for kinds that write their outcomes themselves (``Outcomes``).
        self.seq = 0
        # Values of this delivery only (open files, running hashes): never saved.
        self.local: dict[str, Any] = {}

    def set_result_file(self, relative_path: str) -> None:
        """The job's downloadable result, relative to MEDIA_ROOT."""
        self.result_file = relative_path


class JobKind(Generic[ParamsT, ResultT]):
    name: ClassVar[str]
    label: ClassVar[str]
    queue: ClassVar[Queue] = Queue.DEFAULT
    unit: ClassVar[str] = "items"  # what the plan counts, for progress messages
    # A plan known before the job runs (a plugin install's two steps): the job is created
    # with it as its progress total, and the engine neither calls ``plan`` nor writes it.
    total: ClassVar[int | None] = None
    # The org permission the owner must still hold for the work to go on: the engine
    # checks it with the owner re-resolved before every chunk, and fails the job with
    # ``owner_permission_lost`` once it is gone. None: nothing beyond a live owner (the
    # service that created the job checked the rest, as for a space deletion).
    permission: ClassVar[str | None] = None
    makes_file: ClassVar[bool] = False  # a result file to download (``ctx.set_result_file``)
    Params: ClassVar[type[BaseModel]]
    Result: ClassVar[type[BaseModel]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            args = get_args(base)
            if len(args) == 2 and all(isinstance(a, type) for a in args):
                cls.Params, cls.Result = args

    def plan(self, ctx: JobContext[ParamsT]) -> int | None:
        """How many units of work there are (None: unknown). Runs once per job (not at all
        for a kind with a fixed ``total``)."""
        return self.total

    def chunks(self, ctx: JobContext[ParamsT], after: Any) -> Iterable[Chunk]:
        raise NotImplementedError

    def apply(self, ctx: JobContext[ParamsT], chunk: Chunk) -> Sequence[ItemOutcome] | Outcomes:
        """Apply one chunk. Runs inside the chunk's transaction: raise to undo all of it."""
        raise NotImplementedError

    def cleanup(self, job_id: str) -> None:
        """Called once the job is finished (SUCCEEDED, FAILED or ABORTED, by its worker, an
        abort or the reaper), outside any chunk: drop what only the run needed. Must be
        safe to call twice and when nothing was ever made. Errors are logged, not raised."""

    def finished(self, ctx: JobContext[ParamsT], state: str) -> None:
        """Called instead of ``cleanup`` when the job finishes in the delivery that ran it
        (``state``: SUCCEEDED, FAILED or ABORTED), with its context: a kind that can tell
        from it what is left to drop (nothing, after a success) need not read its job back.
        By default, ``cleanup``."""
        self.cleanup(ctx.job_id)

    def result(self, ctx: JobContext[ParamsT]) -> ResultT:
        """The job's summary once its chunks are done. For a chunk marked ``last`` it runs
        in that chunk's transaction: raising there undoes the chunk and fails the job."""
        raise NotImplementedError


_KINDS: dict[str, JobKind] = {}

K = TypeVar("K", bound=type[JobKind])


def register(cls: K) -> K:
    """Class decorator: make ``cls`` a job kind the engine can run."""
    for attribute in ("name", "label", "Params", "Result"):
        if not hasattr(cls, attribute):
            raise TypeError(f"job kind {cls.__name__} has no {attribute}")
    existing = _KINDS.get(cls.name)
    if existing is not None and type(existing) is not cls:
        raise ValueError(f"job kind {cls.name!r} is registered twice")
    _KINDS[cls.name] = cls()
    return cls


def get(name: str) -> JobKind | None:
    return _KINDS.get(name)


def all_kinds() -> list[JobKind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.name)
