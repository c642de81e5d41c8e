"""Do the web process and the workers share MEDIA_ROOT? Files go through Django's default
storage (``core.files``): with the filesystem one, a worker writes result files and reads
uploads under its own MEDIA_ROOT and the web process under its own, so on machines that do
not share the folder every download and every import would fail. (With an S3-compatible
bucket, ``STORAGE_S3_BUCKET``, the bucket is what they share, and this check has nothing to
say.)

Each worker, when it starts, writes ``<MEDIA_ROOT>/.workers/<token>`` and records the token
(``WorkerProbe``); a clean stop removes both. ``media_readiness`` — part of ``/readyz`` and of
``manage.py check --deploy`` — looks for the tokens of the workers started in the last
``PROBE_MAX_AGE`` in this process's MEDIA_ROOT, and names the workers it cannot see.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from adminapp.core.files import storage_is_local
from adminapp.jobs.models import WorkerProbe

logger = logging.getLogger("adminapp.jobs")

PROBE_DIR = ".workers"
PROBE_MAX_AGE = timedelta(days=7)


def _probe_path(token: str) -> Path:
    return Path(settings.MEDIA_ROOT) / PROBE_DIR / token


def write_probe(hostname: str) -> WorkerProbe:
    token = uuid.uuid4().hex
    path = _probe_path(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{hostname}\n")
    previous = WorkerProbe.objects.filter(hostname=hostname).first()
    probe, _ = WorkerProbe.objects.update_or_create(
        hostname=hostname,
        defaults={
            "token": token,
            "media_root": str(settings.MEDIA_ROOT),
            "started_at": timezone.now(),
        },
    )
    if previous is not None:
        _probe_path(previous.token).unlink(missing_ok=True)
    return probe


def remove_probe(hostname: str) -> None:
    for probe in WorkerProbe.objects.filter(hostname=hostname):
        _probe_path(probe.token).unlink(missing_ok=True)
        probe.delete()


def unshared_workers() -> list[WorkerProbe]:
    """Workers whose files this process could not see (none when files are in a bucket)."""
    if not storage_is_local():
        return []
    recent = WorkerProbe.objects.filter(started_at__gte=timezone.now() - PROBE_MAX_AGE)
    return [probe for probe in recent.order_by("hostname") if not _probe_path(probe.token).exists()]


def media_readiness() -> str:
    missing = unshared_workers()
    if not missing:
        return "ok"
    names = ", ".join(f"{p.hostname} (MEDIA_ROOT {p.media_root})" for p in missing)
    return (
        f"error: MEDIA_ROOT {settings.MEDIA_ROOT} is not shared with worker {names}: "
        "downloads of the files they write would fail"
    )


def on_worker_ready(sender=None, **kwargs) -> None:
    hostname = getattr(sender, "hostname", None) or "worker"
    try:
        write_probe(hostname)
    except Exception:  # noqa: BLE001 - a worker without a probe still works
        logger.warning("Could not write the MEDIA_ROOT probe of %s", hostname, exc_info=True)


def on_worker_shutdown(sender=None, **kwargs) -> None:
    hostname = getattr(sender, "hostname", None) or "worker"
    try:
        remove_probe(hostname)
    except Exception:  # noqa: BLE001 - shutting down anyway
        logger.warning("Could not remove the MEDIA_ROOT probe of %s", hostname, exc_info=True)
