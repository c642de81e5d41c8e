"""ORM → wire conversions for plugins."""

from __future__ import annotations

from adminapp.client import types as wire
from adminapp.plugins.models import Plugin
from adminapp.plugins.selectors import ResolvedComponent


def component_out(plugin: Plugin, component: dict) -> wire.PluginComponentRef:
    label = (plugin.current.manifest.get("meta") or {}).get("label", "") if plugin.current else ""
    return wire.PluginComponentRef(
        plugin_id=plugin.plugin_id,
        plugin_label=label,
        type=component["type"],
        id=component["id"],
        label=component.get("label", ""),
        description=component.get("description", ""),
        extensions=component.get("extensions", []),
        params=component.get("params") if component["type"] == "macro" else None,
        result=component.get("result"),
    )


def resolved_out(resolved: ResolvedComponent) -> wire.PluginComponentRef:
    return component_out(resolved.plugin, resolved.component)


def plugin_out(plugin: Plugin, *, detail: bool = True) -> wire.Plugin:
    current = plugin.current
    manifest = current.manifest if current else {}
    source = plugin.source or {}
    return wire.Plugin(
        id=plugin.id,
        plugin_id=plugin.plugin_id,
        label=(manifest.get("meta") or {}).get("label", plugin.plugin_id),
        enabled=plugin.enabled,
        version=current.version if current else None,
        installed=wire.PluginVersionInfo(
            version=current.version,
            sha256=current.sha256,
            size=current.size,
            installed_at=current.created_at,
        )
        if current
        else None,
        source=wire.PluginSource.model_validate(source) if source.get("kind") else None,
        manifest=manifest if detail and current else None,
        components=[component_out(plugin, c) for c in manifest.get("components", [])],
        created_at=plugin.created_at,
        updated_at=plugin.updated_at,
    )
