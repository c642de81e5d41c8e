"""``manage.py check --deploy``: refuse a deployment whose web process cannot read the result
files its workers write (see ``adminapp.jobs.probes``)."""

from __future__ import annotations

from django.core.checks import Error, register
from django.db import DatabaseError

from adminapp.jobs import probes


@register(deploy=True)
def media_root_is_shared(app_configs=None, **kwargs) -> list[Error]:
    try:
        missing = probes.unshared_workers()
    except DatabaseError:  # not migrated yet: nothing to compare with
        return []
    return [
        Error(
            f"MEDIA_ROOT is not shared with worker {probe.hostname}: it writes result files "
            f"under {probe.media_root}, which this machine cannot see, so every download "
            "of them would fail.",
            hint="Mount one MEDIA_ROOT on the web machines and the workers (an NFS share or "
            "similar) and restart the workers, or run them where the web process runs.",
            id="adminapp.E001",
        )
        for probe in missing
    ]
