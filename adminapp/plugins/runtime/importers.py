"""The plugins' importers as the catalog's import formats (``catalog.importers``): the
source registered from ``PluginsConfig.ready``. An importer's key is
``<plugin id>/<importer id>``; its code runs in the sandbox (``sandbox.py``) with no
credential and no network at all — it only reads the uploaded file and yields rows, which
the import job checks and inserts like a JSON Lines file's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.conf import settings

from adminapp.catalog.importers import Importer
from adminapp.core.errors import ApplicationError, NotFound
from adminapp.plugins.runtime.sandbox import Limits, PluginProcess, RunSpec
from adminapp.plugins.selectors import ResolvedComponent, component_get, components_list


def _importer(resolved: ResolvedComponent) -> Importer:
    component = resolved.component
    plugin_label = (resolved.version.manifest.get("meta") or {}).get("label") or (
        resolved.plugin.plugin_id
    )
    return Importer(
        key=f"{resolved.plugin.plugin_id}/{component['id']}",
        label=f"{component.get('label') or component['id']} ({plugin_label})",
        description=component.get("description", ""),
        extensions=tuple(component.get("extensions") or ()),
    )


def _resolve(key: str) -> ResolvedComponent | None:
    plugin_id, _, component_id = key.partition("/")
    if not plugin_id or not component_id:
        return None
    try:
        return component_get(plugin_id=plugin_id, component_id=component_id, type="importer")
    except NotFound:
        return None


class PluginImporters:
    def importers(self) -> list[Importer]:
        return [_importer(found) for found in components_list(type="importer")]

    def importer(self, key: str) -> Importer | None:
        found = _resolve(key)
        return _importer(found) if found is not None else None

    @contextmanager
    def rows(self, *, key: str, path: Path, job_id: str, skip: int) -> Iterator[Iterator[dict]]:
        found = _resolve(key)
        if found is None:
            raise ApplicationError(
                f"The importer {key} is no longer installed or enabled; the import stopped.",
                code="importer_unavailable",
            )
        spec = RunSpec(
            kind="importer",
            plugin_dir=found.path(),
            entry=found.component["entry"],
            label=key,
            input_path=path,
            job_id=job_id,
            limits=replace(Limits.from_settings(), timeout=settings.PLUGINS_IMPORT_TIMEOUT),
        )
        with PluginProcess(spec) as proc:
            yield _rows(proc, skip)


def _rows(proc: PluginProcess, skip: int) -> Iterator[Any]:
    """The rows of the plugin's ``rows`` messages (a list each) and ``row`` messages (one
    each), in order, from the ``skip``-th on. A ``rows`` that is not a list is one row (the
    import refuses it, naming it)."""
    seen = 0
    for message in proc.messages():
        kind = message.get("type")
        if kind == "rows":
            rows = message.get("rows")
            if not isinstance(rows, list):
                rows = [rows]
        elif kind == "row":
            rows = [message.get("row")]
        else:
            continue
        if seen >= skip:
            seen += len(rows)
            yield from rows
        else:
            start, seen = skip - seen, seen + len(rows)
            yield from rows[start:]


PLUGIN_IMPORTERS = PluginImporters()
