"""Reading and validating a plugin's ``plugin.json`` (the rules are the pydantic models of
``client.types.plugins``; this adds what only the unpacked files can tell)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from adminapp.client._version import __version__ as PORTAL_VERSION  # noqa: N812
from adminapp.client.types.plugins import PluginManifest, version_in_range
from adminapp.core.errors import ValidationFailed
from adminapp.core.validation import clean_text
from adminapp.plugins.archives import MANIFEST_NAME

MANIFEST_MAX_BYTES = 256 * 1024
# Paths of /api/v1/plugins that a plugin id would be taken for.
RESERVED_IDS = {"components", "store", "install"}


class ManifestInvalid(ValidationFailed):
    code = "plugin_manifest_invalid"


def _field(loc: tuple) -> str:
    return ".".join(["manifest", *(str(p) for p in loc)])


def parse(data: object) -> PluginManifest:
    """The manifest as a model, or ManifestInvalid naming each wrong field
    (``manifest.components.0.entry``)."""
    try:
        return PluginManifest.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if p not in ("importer", "macro"))
            msg = error["msg"].removeprefix("Value error, ")
            fields.setdefault(_field(loc), []).append(msg)
        first = next(iter(fields.items()))
        raise ManifestInvalid(
            f"plugin.json is not valid: {first[0]}: {first[1][0]}", fields=fields
        ) from None


def check_text(manifest: PluginManifest) -> None:
    """The words people read (labels, descriptions, author, tags) hold no control,
    invisible or direction-changing characters (``core.validation.clean_text``'s rule)."""
    texts = [
        ("manifest.meta.label", manifest.meta.label, True),
        ("manifest.meta.description", manifest.meta.description, False),
        ("manifest.meta.author", manifest.meta.author, False),
        *((f"manifest.meta.tags.{i}", tag, True) for i, tag in enumerate(manifest.meta.tags)),
    ]
    for i, component in enumerate(manifest.components):
        texts.append((f"manifest.components.{i}.label", component.label, True))
        texts.append((f"manifest.components.{i}.description", component.description, False))
    for field, value, required in texts:
        try:
            clean_text(value, field=field, max_length=10_000, required=required)
        except ValidationFailed as exc:
            raise ManifestInvalid(
                f"plugin.json is not valid: {exc.message}", fields=exc.fields
            ) from None


def load(root: Path) -> PluginManifest:
    """Read ``root/plugin.json``, validate it, check that every component's entry is a
    regular file inside ``root`` and that the portal's version is in ``requires``."""
    path = root / MANIFEST_NAME
    if not path.is_file() or path.is_symlink():
        raise ManifestInvalid("The plugin has no plugin.json.", code="plugin_manifest_missing")
    if path.stat().st_size > MANIFEST_MAX_BYTES:
        raise ManifestInvalid(f"plugin.json is larger than {MANIFEST_MAX_BYTES} bytes.")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestInvalid(f"plugin.json is not valid JSON: {exc}.") from None
    manifest = parse(data)
    check_text(manifest)
    if manifest.id.lower() in RESERVED_IDS:
        raise ManifestInvalid(
            f"The plugin id {manifest.id!r} is reserved.",
            fields={"manifest.id": [f"Not one of {', '.join(sorted(RESERVED_IDS))}."]},
        )
    resolved_root = root.resolve()
    for i, component in enumerate(manifest.components):
        entry = root.joinpath(*component.entry.split("/"))
        inside = entry.resolve().is_relative_to(resolved_root)
        if not inside or entry.is_symlink() or not entry.is_file():
            raise ManifestInvalid(
                f"Component {component.id!r}: its entry {component.entry!r} is not a file "
                "of the plugin.",
                fields={f"manifest.components.{i}.entry": ["No such file in the plugin."]},
            )
    if manifest.requires and not version_in_range(PORTAL_VERSION, manifest.requires):
        raise ManifestInvalid(
            f"The plugin requires the portal's version {manifest.requires}; this is "
            f"{PORTAL_VERSION}.",
            code="plugin_requires_other_version",
            fields={"manifest.requires": [f"This portal is version {PORTAL_VERSION}."]},
        )
    return manifest


SCHEMA_PATH = Path(__file__).resolve().parent / "plugin.schema.json"


def json_schema() -> dict:
    """The JSON Schema of plugin.json, from the pydantic models (``plugin.schema.json`` is
    this, committed: ``python -m adminapp.plugins.manifest`` writes it)."""
    schema = PluginManifest.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://adminapp.invalid/plugin.schema.json",
        "title": "adminapp plugin manifest (plugin.json)",
        **schema,
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text())
    print(f"wrote {SCHEMA_PATH}")
