"""The instance's health, for instance admins: are workers answering, how much work waits in
each queue (in the broker and as QUEUED job rows), how old the oldest waiting job is, when
beat's reaper last ran, and which jobs failed in the last day — the few things Flower is
used for, answered by the jobs engine (``GET /api/v1/instance/health``, the dashboard's
Operations page)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from adminapp.client.types import jobs as wire
from adminapp.core.errors import PermissionDenied
from adminapp.core.principal import Principal
from adminapp.jobs import kinds
from adminapp.jobs.models import Job, JobState, ScheduledRun

logger = logging.getLogger("adminapp.jobs")

REAPER = "jobs.reaper"
RECENT_FAILURES = 20
PING_TIMEOUT = 1.0  # seconds a worker has to answer


def reaper_ran() -> None:
    """Beat's reaper records each run (``jobs.tasks.reap_jobs``)."""
    ScheduledRun.objects.update_or_create(name=REAPER, defaults={"last_run_at": timezone.now()})


def instance_health(*, actor: Principal, ping_timeout: float = PING_TIMEOUT) -> wire.InstanceHealth:
    if not actor.is_superuser:
        raise PermissionDenied("Only instance admins can see the instance's health.")
    now = timezone.now()
    workers, workers_error = _ping(ping_timeout)
    queues = _queues(now)
    oldest = (
        Job.objects.filter(state=JobState.QUEUED)
        .order_by("created_at", "id")
        .values("id", "created_at")
        .first()
    )
    reaper = ScheduledRun.objects.filter(name=REAPER).values_list("last_run_at", flat=True).first()
    interval = int(settings.JOB_REAPER_INTERVAL)
    failed = Job.objects.filter(state=JobState.FAILED, finished_at__gte=now - timedelta(days=1))
    recent = failed.select_related("organization").order_by("-finished_at", "-id")[:RECENT_FAILURES]
    return wire.InstanceHealth(
        checked_at=now,
        workers=workers,
        workers_error=workers_error,
        queues=queues,
        oldest_queued_job_id=oldest["id"] if oldest else None,
        oldest_queued_age_seconds=(now - oldest["created_at"]).total_seconds() if oldest else None,
        reaper_last_run_at=reaper,
        reaper_interval_seconds=interval,
        reaper_late=reaper is None or (now - reaper).total_seconds() > 3 * interval,
        failed_last_24h=failed.count(),
        recent_failures=[
            wire.FailedJobInfo(
                id=job.id,
                kind=job.kind,
                label=kind.label if (kind := kinds.get(job.kind)) else job.kind,
                organization_id=job.organization_id,
                organization_name=job.organization.name,
                error_code=job.error_code,
                error_message=job.error_message[:500],
                finished_at=job.finished_at,
            )
            for job in recent
        ],
    )


def _ping(timeout: float) -> tuple[list[wire.WorkerHealth], str | None]:
    """Celery's broadcast ping: every worker listening answers within ``timeout``."""
    try:
        replies = current_app.control.ping(timeout=timeout) or []
    except Exception as exc:  # noqa: BLE001 - a broker that is down is what this reports
        logger.warning("Could not ping the workers", exc_info=True)
        return [], f"The broker could not be reached: {type(exc).__name__}."
    workers = [
        wire.WorkerHealth(name=name, ok=answer.get("ok") == "pong")
        for reply in replies
        for name, answer in reply.items()
    ]
    return sorted(workers, key=lambda w: w.name), None


def _queue_names() -> list[str]:
    """The queues ``celery_app`` declares: "default" (the reaper) and one per kind of work."""
    return ["default", *(f"{settings.JOB_QUEUE_PREFIX}{queue}" for queue in kinds.Queue)]


def _broker_depths(names: list[str]) -> dict[str, int]:
    """Messages waiting per queue, as the broker counts them (Redis: the list's length; the
    embedded default: the files in its folder). Declaring a queue that exists is a no-op."""
    depths: dict[str, int] = {}
    try:
        with current_app.connection_for_read() as conn:
            channel = conn.default_channel
            for name in names:
                depths[name] = channel.queue_declare(queue=name, passive=False).message_count
    except Exception:  # noqa: BLE001 - reported as unknown (null), not as an error page
        logger.warning("Could not read the broker's queue depths", exc_info=True)
    return depths


def _queues(now) -> list[wire.QueueHealth]:
    names = _queue_names()
    depths = _broker_depths(names)
    waiting: dict[str, tuple[int, object]] = {}
    rows = (
        Job.objects.filter(state=JobState.QUEUED)
        .values("kind")
        .annotate(n=Count("id"), oldest=Min("created_at"))
    )
    for row in rows:
        kind = kinds.get(row["kind"])
        queue = f"{settings.JOB_QUEUE_PREFIX}{kind.queue}" if kind else "default"
        n, oldest = waiting.get(queue, (0, None))
        waiting[queue] = (n + row["n"], min(filter(None, (oldest, row["oldest"]))))
    out = []
    for name in names:
        n, oldest = waiting.get(name, (0, None))
        out.append(
            wire.QueueHealth(
                name=name,
                broker_messages=depths.get(name),
                queued_jobs=n,
                oldest_queued_at=oldest,
                oldest_queued_age_seconds=(now - oldest).total_seconds() if oldest else None,
            )
        )
    return out
