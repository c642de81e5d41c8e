from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "adminapp.core"
    label = "core"

    def ready(self) -> None:
        # Load the Celery app with Django so shared tasks bind to it (see adminapp/__init__.py).
        from adminapp import celery_app  # noqa: F401
