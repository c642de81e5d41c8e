from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "adminapp.jobs"
    label = "jobs"

    def ready(self) -> None:
        from celery import signals

        from adminapp.core.views import register_readiness_check
        from adminapp.jobs import checks, probes, tasks  # noqa: F401 - checks registers itself

        register_readiness_check("media", probes.media_readiness)
        signals.worker_ready.connect(probes.on_worker_ready, weak=False)
        signals.worker_shutdown.connect(probes.on_worker_shutdown, weak=False)
        signals.worker_ready.connect(tasks.reap_orphans_on_start, weak=False)
