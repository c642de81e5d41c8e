"""What the plugin runtime registers when the plugins app starts (``PluginsConfig.ready``):
its job kinds, the usages a plugin delete asks about (its unfinished macro and import
jobs)."""

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
    from adminapp.plugins.runtime import jobs  # noqa: F401 - registers the job kinds

    usages.register(running_jobs)
