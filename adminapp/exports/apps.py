from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """Data exports: jobs that write a file an admin downloads (today the audit log as CSV).
    They sit above the audit log and the jobs engine, which both stay free of them."""

    name = "adminapp.exports"
    label = "exports"

    def ready(self) -> None:
        from adminapp.exports import jobs  # noqa: F401 - registers the export job kinds
