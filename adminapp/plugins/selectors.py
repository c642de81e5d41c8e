"""Reads of plugins.

``component_get`` and ``components_list`` are the interface the rest of the portal uses
(the runtime's importers and macros): no actor check inside, their callers check. The
actor-checked reads of the lifecycle API (``plugin_get``, ``plugin_list``) are below them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models.functions import Lower

from adminapp import authz
from adminapp.authz import Permission
from adminapp.core.errors import NotFound
from adminapp.core.pagination import paginate
from adminapp.plugins import cache, store, usages
from adminapp.plugins.models import Plugin, PluginVersion


@dataclass(frozen=True)
class ResolvedComponent:
    plugin: Plugin
    version: PluginVersion
    component: dict[str, Any]  # as in the manifest

    def path(self) -> Path:
        """The materialized plugin directory on this worker (its plugin.json's folder)."""
        return cache.materialize(self.version)


def plugin_by_id(plugin_id: str) -> Plugin | None:
    """The installed plugin with this manifest id (case-insensitively), or None."""
    return (
        Plugin.objects.select_related("current")
        .annotate(key=Lower("plugin_id"))
        .filter(key=plugin_id.lower())
        .first()
    )


def component_get(*, plugin_id: str, component_id: str, type: str) -> ResolvedComponent:  # noqa: A002
    plugin = plugin_by_id(plugin_id)
    if plugin is None or not plugin.enabled or plugin.current is None:
        raise NotFound(f"No enabled plugin {plugin_id!r} is installed.", code="plugin_not_found")
    for component in plugin.current.manifest.get("components", []):
        if component.get("id") == component_id and component.get("type") == type:
            return ResolvedComponent(plugin, plugin.current, component)
    raise NotFound(
        f"Plugin {plugin.plugin_id!r} has no {type} {component_id!r}.",
        code="plugin_component_not_found",
    )


def components_list(*, type: str) -> list[ResolvedComponent]:  # noqa: A002
    """Every enabled plugin's components of ``type``, by plugin id then manifest order."""
    found = []
    plugins = (
        Plugin.objects.select_related("current")
        .filter(enabled=True, current__isnull=False)
        .order_by(Lower("plugin_id"))
    )
    for plugin in plugins:
        for component in plugin.current.manifest.get("components", []):
            if component.get("type") == type:
                found.append(ResolvedComponent(plugin, plugin.current, component))
    return found


# --- the lifecycle API's reads (instance admins) ---------------------------------------------
def _require_manage(actor) -> None:
    authz.require(actor, Permission.PLUGIN_MANAGE, "Only instance admins manage plugins.")


def plugin_list(*, actor, limit: int, cursor: str | None):
    _require_manage(actor)
    return paginate(
        Plugin.objects.select_related("current"), limit=limit, cursor=cursor, newest_first=False
    )


def plugin_get(*, actor, plugin_id: str) -> Plugin:
    _require_manage(actor)
    plugin = plugin_by_id(plugin_id)
    if plugin is None:
        raise NotFound(f"No plugin {plugin_id!r} is installed.", code="plugin_not_found")
    return plugin


def plugin_usages(*, actor, plugin_id: str):
    return usages.usages_of(plugin_get(actor=actor, plugin_id=plugin_id))


def store_catalogue(*, actor):
    """The store's entries with the version installed here, if any."""
    _require_manage(actor)
    index = store.read_index()
    installed = {
        p.plugin_id.lower(): p.current.version
        for p in Plugin.objects.select_related("current").filter(current__isnull=False)
    }
    return [(entry, installed.get(entry.id.lower())) for entry in index.plugins]


def components_for(*, actor, type: str | None) -> list[ResolvedComponent]:  # noqa: A002
    """What any member of an organization may list: enabled plugins' components."""
    authz.require(actor, Permission.ORG_READ)
    types = [type] if type else ["importer", "macro"]
    return [c for t in types for c in components_list(type=t)]
