from __future__ import annotations

from adminapp import authz
from adminapp.authz import Permission
from adminapp.core.errors import NotFound
from adminapp.core.principal import Principal
from adminapp.plugins.models import Plugin
from adminapp.plugins.selectors import plugin_by_id


def require_manage(actor: Principal) -> None:
    authz.require(actor, Permission.PLUGIN_MANAGE, "Only instance admins manage plugins.")


def installed(plugin_id: str) -> Plugin:
    plugin = plugin_by_id(plugin_id)
    if plugin is None:
        raise NotFound(f"No plugin {plugin_id!r} is installed.", code="plugin_not_found")
    return plugin
