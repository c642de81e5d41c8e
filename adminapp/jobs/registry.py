"""Job kinds: each domain registers the function that does one kind of work.

A handler is ``handler(ctx: JobContext) -> dict`` (the result summary). It works in chunks,
calling ``ctx.checkpoint(...)`` after each one; it must be safe to run again from the last
checkpoint (a reaped job is re-run by another worker).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class JobKind:
    name: str
    handler_path: str  # "package.module:function", imported when a worker runs it
    label: str

    def handler(self) -> Callable:
        module, _, attr = self.handler_path.partition(":")
        return getattr(import_module(module), attr)


_KINDS: dict[str, JobKind] = {}


def register(name: str, handler_path: str, *, label: str) -> None:
    _KINDS[name] = JobKind(name=name, handler_path=handler_path, label=label)


def get(name: str) -> JobKind | None:
    return _KINDS.get(name)


def names() -> list[str]:
    return sorted(_KINDS)
