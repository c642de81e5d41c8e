"""What the plugin runtime registers when the plugins app starts (``PluginsConfig.ready``):
its job kinds, the usages a plugin delete asks about (its unfinished macro runs and imports
through its importers), and its importers as the catalog's import formats."""

from __future__ import annotations

from adminapp.plugins import usages
from adminapp.plugins.models import Plugin


def running_jobs(plugin: Plugin) -> list[usages.Usage]:
    from adminapp.plugins.runtime.jobs import running_jobs_of

    return [
        usages.Usage(kind="job", id=job.id, label=f"{job.kind} {job.state.lower()}")
        for job in running_jobs_of(plugin.plugin_id).only("id", "kind", "state")[:100]
    ]


def ready() -> None:
    from adminapp.catalog import importers
    from adminapp.plugins.runtime import jobs  # noqa: F401 - registers the job kinds
    from adminapp.plugins.runtime.importers import PLUGIN_IMPORTERS

    usages.register(running_jobs)
    importers.register_source(PLUGIN_IMPORTERS)
