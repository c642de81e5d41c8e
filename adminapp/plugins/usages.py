"""What uses a plugin: a registry the runtime side fills (running import and macro jobs,
saved configurations), asked before a delete.

``register(fn)``: ``fn(plugin) -> list[Usage]``, called with a ``Plugin``; registered from an
AppConfig.ready(). ``usages_of(plugin)`` asks every registered callable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adminapp.plugins.models import Plugin


@dataclass(frozen=True)
class Usage:
    kind: str  # "job", "saved_configuration", ...
    id: str
    label: str = ""


UsageFinder = Callable[[Plugin], list[Usage]]
_FINDERS: list[UsageFinder] = []


def register(fn: UsageFinder) -> UsageFinder:
    """Add a finder (idempotent: registering the same callable twice keeps one)."""
    if fn not in _FINDERS:
        _FINDERS.append(fn)
    return fn


def unregister(fn: UsageFinder) -> None:
    if fn in _FINDERS:
        _FINDERS.remove(fn)


def usages_of(plugin: Plugin) -> list[Usage]:
    found: list[Usage] = []
    for finder in list(_FINDERS):
        found.extend(finder(plugin))
    return found
