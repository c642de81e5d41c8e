from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The top of the project, where it is wired into processes: loads the Celery app into
    every Django process (so tasks and publishing use its configuration), and holds
    ``manage.py up`` (web + worker + beat on one machine) and ``manage.py seed_demo`` (demo
    organizations built from every domain's demo data). Nothing imports this app."""

    name = "adminapp.ops"
    label = "ops"

    def ready(self) -> None:
        from adminapp import celery_app  # noqa: F401 - makes it Celery's current app
