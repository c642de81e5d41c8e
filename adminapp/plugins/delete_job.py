"""The plugin delete job kind: the plugin's rows removed in one transaction (refused while
it is in use unless forced, the usages named in the 409's details), then its stored
archives and each worker's cached copy once nothing else holds them. Installs are in
``plugins.jobs``."""

from __future__ import annotations

from collections.abc import Iterator

from django.core.files.storage import default_storage
from django.db import transaction
from pydantic import BaseModel

from adminapp.audit.services import audit_record
from adminapp.core.errors import Conflict, NotFound
from adminapp.jobs.kinds import Chunk, ItemOutcome, JobContext, JobKind, Queue, register
from adminapp.plugins import cache, usages
from adminapp.plugins.models import Plugin, PluginVersion


class PluginDeleteParams(BaseModel):
    plugin: str  # the Plugin row's id
    plugin_id: str
    force: bool = False


class PluginDeleteResult(BaseModel):
    plugin_id: str
    versions_removed: int
    forced_past: list[dict] = []


def usages_conflict(plugin: Plugin, found: list[usages.Usage]) -> Conflict:
    listed = [{"kind": u.kind, "id": u.id, "label": u.label} for u in found]
    return Conflict(
        f"Plugin {plugin.plugin_id!r} is in use ({len(listed)} usage"
        f"{'' if len(listed) == 1 else 's'}); delete it with force to remove it anyway.",
        code="plugin_in_use",
        details={"usages": listed},
    )


def remove_files(archive_names: list[str], hashes: list[str]) -> None:
    for name in archive_names:
        if not PluginVersion.objects.filter(archive=name).exists():
            default_storage.delete(name)
    for sha in hashes:
        if not PluginVersion.objects.filter(sha256=sha).exists():
            cache.evict(sha)


@register
class PluginDelete(JobKind[PluginDeleteParams, PluginDeleteResult]):
    name = "plugin_delete"
    label = "Plugin delete"
    queue = Queue.IO
    unit = "plugins"
    permission = "plugin.manage"
    total = 1

    def chunks(self, ctx: JobContext[PluginDeleteParams], after) -> Iterator[Chunk]:
        if after is None:
            yield Chunk(payload=None, after="deleted", stage="deleted", last=True)

    def apply(self, ctx: JobContext[PluginDeleteParams], chunk: Chunk) -> list[ItemOutcome]:
        plugin = Plugin.objects.select_for_update().filter(id=ctx.params.plugin).first()
        if plugin is None:
            raise NotFound(
                f"Plugin {ctx.params.plugin_id!r} is not installed (deleted meanwhile).",
                code="plugin_not_found",
            )
        found = usages.usages_of(plugin)
        if found and not ctx.params.force:
            raise usages_conflict(plugin, found)
        versions = list(plugin.versions.values_list("archive", "sha256"))
        names, hashes = [v[0] for v in versions], [v[1] for v in versions]
        Plugin.objects.filter(id=plugin.id).update(current=None)
        plugin.delete()
        audit_record(
            actor=ctx.principal,
            action="plugin.delete",
            target_type="plugin",
            target_id=ctx.params.plugin,
            details={
                "plugin_id": ctx.params.plugin_id,
                "force": ctx.params.force,
                "usages": [{"kind": u.kind, "id": u.id} for u in found],
                "job": ctx.job_id,
            },
        )
        transaction.on_commit(lambda: remove_files(names, hashes))
        ctx.state["result"] = {
            "plugin_id": ctx.params.plugin_id,
            "versions_removed": len(versions),
            "forced_past": [{"kind": u.kind, "id": u.id, "label": u.label} for u in found],
        }
        return [ItemOutcome.success(key=ctx.params.plugin_id)]

    def result(self, ctx: JobContext[PluginDeleteParams]) -> PluginDeleteResult:
        return PluginDeleteResult.model_validate(ctx.state["result"])
