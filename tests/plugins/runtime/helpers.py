"""Plugins the runtime tests write on disk and run for real."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage

from adminapp.plugins import archives
from adminapp.plugins.models import Plugin, PluginVersion
from adminapp.plugins.runtime.sandbox import Limits, PluginProcess, RunSpec


def write_plugin(root: Path, source: str, *, entry: str = "main.py", **files: str) -> Path:
    """A plugin directory holding ``entry`` with ``source`` (dedented) and ``files``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / entry).write_text(textwrap.dedent(source), encoding="utf-8")
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def run_macro(
    plugin_dir: Path,
    *,
    params: dict[str, Any] | None = None,
    limits: Limits | None = None,
    wants_result: bool = False,
    base_url: str = "http://127.0.0.1:9",
    api_key: str = "adm_not_a_key",
) -> tuple[PluginProcess, list[dict[str, Any]], str]:
    """Run ``main.py``'s ``run(ctx)``; returns the process, its messages and, when it wrote
    one, the result file's text (read before the working directory goes)."""
    spec = RunSpec(
        kind="macro",
        plugin_dir=plugin_dir,
        entry="main.py",
        label="test-plugin/main",
        params=params or {},
        wants_result=wants_result,
        base_url=base_url,
        api_key=api_key,
        limits=limits or Limits(timeout=60),
    )
    with PluginProcess(spec) as proc:
        messages = list(proc.messages())
        result = proc.result_file.read_bytes().decode() if proc.result_file else ""
    return proc, messages, result


def jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def install(tmp_path: Path, source_dir: Path) -> PluginVersion:
    """Install the plugin folder ``source_dir`` (its plugin.json names it) as the current
    version, stored as the install side stores it: a deterministic zip in the storage."""
    data = json.loads((source_dir / "plugin.json").read_text())
    zip_path = tmp_path / f"{data['id']}-{data['version']}.zip"
    sha = archives.deterministic_zip(source_dir, zip_path)
    with open(zip_path, "rb") as fh:
        name = default_storage.save(f"plugins/{data['id']}/{sha}.zip", File(fh))
    plugin, _ = Plugin.objects.get_or_create(plugin_id=data["id"], defaults={"enabled": True})
    version = PluginVersion.objects.create(
        plugin=plugin,
        version=data["version"],
        manifest=data,
        sha256=sha,
        archive=name,
        size=zip_path.stat().st_size,
    )
    plugin.current = version
    plugin.save(update_fields=["current", "updated_at"])
    return version


def macro_plugin(
    root: Path, source: str, *, plugin_id: str = "tools", params: dict | None = None, **extra
) -> Path:
    """A plugin folder with one macro ``m`` whose entry is ``source``."""
    component = {
        "type": "macro",
        "id": "m",
        "label": "A macro",
        "entry": "m.py",
        "params": params or {"type": "object", "properties": {}},
        **extra,
    }
    manifest = {
        "id": plugin_id,
        "version": "1.0.0",
        "meta": {"label": f"{plugin_id} plugin"},
        "components": [component],
    }
    write_plugin(root, source, entry="m.py")
    (root / "plugin.json").write_text(json.dumps(manifest))
    return root
