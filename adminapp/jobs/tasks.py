"""Celery tasks: thin interfaces that load by id and call the engine or a service (STYLE 2,
12). Every job kind runs through ``run_job``; the queue it was sent to is its kind's."""

import logging

from celery import shared_task
from django.db import connections

from adminapp.jobs.engine import job_run
from adminapp.jobs.health import reaper_ran
from adminapp.jobs.services import RUN_TASK, jobs_reap, jobs_reap_orphans

logger = logging.getLogger("adminapp.jobs")


@shared_task(name=RUN_TASK, acks_late=True, ignore_result=True)
def run_job(job_id: str) -> None:
    job_run(job_id=job_id)


@shared_task(name="adminapp.jobs.reap", ignore_result=True)
def reap_jobs() -> dict:
    report = jobs_reap()
    reaper_ran()
    return {
        "republished": len(report.republished),
        "requeued": len(report.requeued),
        "failed": len(report.failed),
    }


def reap_orphans_on_start(sender=None, **kwargs) -> None:
    """As a worker starts (Celery's ``worker_ready``): re-queue the running jobs of processes
    gone from this host — its predecessor's, killed mid-job — instead of leaving them for
    the heartbeat timeout."""
    try:
        report = jobs_reap_orphans()
        if report.requeued or report.failed:
            logger.info("Worker start: requeued %s, failed %s", report.requeued, report.failed)
    except Exception:  # noqa: BLE001 - beat's reaper will find them anyway
        logger.warning("Could not look for orphaned jobs at start", exc_info=True)
    finally:
        connections.close_all()  # nothing of the parent's connection for the pool's children
