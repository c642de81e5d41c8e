"""Celery tasks: thin interfaces that load by id and call a service (STYLE 2, 12)."""

from celery import shared_task


@shared_task(name="adminapp.jobs.run", acks_late=True, ignore_result=True)
def run_job(job_id: str) -> None:
    from adminapp.jobs.services import job_run

    job_run(job_id=job_id)


@shared_task(name="adminapp.jobs.reap", ignore_result=True)
def reap_jobs() -> dict:
    from adminapp.jobs.services import jobs_reap

    report = jobs_reap()
    return {
        "republished": len(report.republished),
        "requeued": len(report.requeued),
        "failed": len(report.failed),
    }
