"""The Celery application. Start a worker with ``celery -A adminapp.celery_app worker``.

Settings come from Django settings (``CELERY_*``); the values that protect long work are set
here so that one test can assert them together (soft < hard time limit < visibility timeout).
"""

import os

from celery import Celery, signals
from kombu import Queue as KombuQueue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adminapp.settings")

app = Celery("adminapp")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _configure() -> None:
    from django.conf import settings

    from adminapp.jobs.kinds import Queue

    # A worker started without -Q consumes every queue below: "default" (the reaper) and
    # each kind of job work. Separate pools name their queues with -Q (see the README).
    # Each queue is bound by its own name: with no routing key Celery binds every queue with
    # the default key, and a message sent to one would be delivered to all of them.
    names = ["default", *(f"{settings.JOB_QUEUE_PREFIX}{queue}" for queue in Queue)]
    app.conf.update(
        broker_url=settings.CELERY_BROKER_URL,
        broker_transport=settings.CELERY_BROKER_TRANSPORT,
        broker_transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        broker_connection_retry_on_startup=True,
        task_default_queue="default",
        task_queues=[KombuQueue(name, routing_key=name) for name in names],
        # A task is acknowledged only after it ran, and a worker holds one message at a
        # time, so a killed worker's message goes back to the broker, not down with it.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.JOB_SOFT_TIME_LIMIT,
        task_time_limit=settings.JOB_HARD_TIME_LIMIT,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        # Publishing must not hang a web request when the broker is down: the job row is
        # the truth and the reaper publishes it again later.
        task_publish_retry=True,
        task_publish_retry_policy={
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        broker_connection_timeout=2,
        worker_hijack_root_logger=False,
        # Read by Celery's Django fixup under this name only (see _close_old_connections).
        CELERY_DB_REUSE_MAX=2**62 if settings.WORKER_KEEP_DB_CONNECTIONS else None,
        timezone="UTC",
        beat_schedule={
            "jobs-reaper": {
                "task": "adminapp.jobs.reap",
                "schedule": float(settings.JOB_REAPER_INTERVAL),
            },
            "storage-repo-purge": {
                "task": "adminapp.storage.purge_repos",
                "schedule": float(settings.STORAGE_PURGE_INTERVAL),
            },
        },
    )


# With WORKER_KEEP_DB_CONNECTIONS (the default) a worker's database connections follow
# Django's rules for requests (CONN_MAX_AGE and health checks, checked before and after
# each task) instead of Celery's Django fixup, which closes every connection around every
# task, so that each job claim opened a new PostgreSQL session. The fixup closes only after
# 2 x CELERY_DB_REUSE_MAX tasks: a huge value leaves the decision to Django.
@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_connections(sender=None, **kwargs) -> None:
    from django.conf import settings
    from django.db import close_old_connections

    eager = getattr(getattr(sender, "request", None), "is_eager", False)  # inside a request
    if settings.WORKER_KEEP_DB_CONNECTIONS and not eager:
        close_old_connections()


_configure()
app.autodiscover_tasks(["adminapp.jobs", "adminapp.storage", "adminapp.accounts"])
