"""Writes of plugins: installs, updates and deletes are jobs (``installs``); enabling and
disabling are immediate (``lifecycle``). Instance admins only (``plugin.manage``)."""

from adminapp.plugins.services.installs import (
    plugin_delete,
    plugin_install_from_archive,
    plugin_install_from_git,
    plugin_install_from_store,
    plugin_update,
)
from adminapp.plugins.services.lifecycle import plugin_set_enabled

__all__ = [
    "plugin_delete",
    "plugin_install_from_archive",
    "plugin_install_from_git",
    "plugin_install_from_store",
    "plugin_set_enabled",
    "plugin_update",
]
