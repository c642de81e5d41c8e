"""Import formats beyond CSV and JSON Lines: the importers a higher layer provides (the
plugins' importer components, issue 11). Catalog knows no plugin: the plugins app registers
a source here from its ``AppConfig.ready()`` (ARCHITECTURE, "the registration table"), and
an import whose ``format`` names one of its importers (``<plugin id>/<importer id>``, e.g.
``coco-importer/coco``) reads its rows from that source instead of parsing the file itself.

The rows an importer yields go through the same checks, duplicate-key policy, chunks,
checkpoints and outcomes as a JSON Lines file's records; an error item's "line" is the row's
position (1 = the first row the importer yielded).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from adminapp.core.errors import ValidationFailed


@dataclass(frozen=True)
class Importer:
    key: str  # "<plugin id>/<importer id>"
    label: str
    description: str = ""
    extensions: tuple[str, ...] = field(default_factory=tuple)


class ImporterSource(Protocol):
    def importers(self) -> list[Importer]:
        """The importers usable now (enabled), in the order the import lists them."""

    def importer(self, key: str) -> Importer | None:
        """The usable importer ``key`` names (its plugin id case-insensitively), or None."""

    def rows(
        self, *, key: str, path: Path, job_id: str, skip: int
    ) -> AbstractContextManager[Iterator[dict[str, Any]]]:
        """The rows read from the local file ``path``, from the ``skip``-th on (a re-run goes
        on after its checkpoint). Leaving the context stops the reading. Raises an
        ``ApplicationError`` with a clear message when the importer fails."""


_SOURCES: list[ImporterSource] = []


def register_source(source: ImporterSource) -> None:
    """Called from an AppConfig.ready(); registering the same source twice keeps one."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def importers_list() -> list[Importer]:
    return [importer for source in _SOURCES for importer in source.importers()]


def is_importer_key(value: str) -> bool:
    return "/" in value


def _source_of(key: str) -> tuple[ImporterSource, Importer] | None:
    for source in _SOURCES:
        found = source.importer(key)
        if found is not None:
            return source, found
    return None


def importer_get(key: str) -> Importer:
    """The importer ``key`` names; a 422 on ``format`` when there is none (not installed,
    disabled, or not an importer)."""
    found = _source_of(key)
    if found is None:
        message = (
            f"No enabled importer {key!r}: csv, jsonl, or an importer listed by "
            "GET /datasets/import-formats."
        )
        raise ValidationFailed(message, fields={"format": [message]})
    return found[1]


def importer_rows(
    *, key: str, path: Path, job_id: str, skip: int
) -> AbstractContextManager[Iterator[dict[str, Any]]]:
    found = _source_of(key)
    if found is None:
        raise ValidationFailed(
            f"The importer {key!r} is no longer enabled; the import cannot go on.",
            code="importer_unavailable",
        )
    return found[0].rows(key=key, path=path, job_id=job_id, skip=skip)
