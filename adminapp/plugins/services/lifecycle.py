"""Enable and disable: immediate, one UPDATE, audited. A disabled plugin's components leave
the import choices and macro lists at once (``selectors.components_list``)."""

from __future__ import annotations

from django.db import transaction

from adminapp.audit.services import audit_record
from adminapp.core.principal import Principal
from adminapp.plugins.models import Plugin
from adminapp.plugins.services.common import installed, require_manage


@transaction.atomic
def plugin_set_enabled(*, actor: Principal, plugin_id: str, enabled: bool) -> Plugin:
    require_manage(actor)
    plugin = installed(plugin_id)
    plugin = Plugin.objects.select_for_update().get(id=plugin.id)  # current: read after the lock
    if plugin.enabled != enabled:
        plugin.enabled = enabled
        plugin.save(update_fields=["enabled", "updated_at"])
        audit_record(
            actor=actor,
            action="plugin.enable" if enabled else "plugin.disable",
            target_type="plugin",
            target_id=plugin.id,
            details={"plugin_id": plugin.plugin_id},
        )
    return plugin
