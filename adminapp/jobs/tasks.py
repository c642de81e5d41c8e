"""Celery tasks: thin interfaces that load by id and call the engine or a service (STYLE 2,
12). Every job kind runs through ``run_job``; the queue it was sent to is its kind's."""

from celery import shared_task

from adminapp.jobs.engine import job_run
from adminapp.jobs.services import RUN_TASK, jobs_reap


@shared_task(name=RUN_TASK, acks_late=True, ignore_result=True)
def run_job(job_id: str) -> None:
    job_run(job_id=job_id)


@shared_task(name="adminapp.jobs.reap", ignore_result=True)
def reap_jobs() -> dict:
    report = jobs_reap()
    return {
        "republished": len(report.republished),
        "requeued": len(report.requeued),
        "failed": len(report.failed),
    }
