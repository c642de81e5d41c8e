from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "adminapp.catalog"
    label = "catalog"

    def ready(self) -> None:
        from adminapp.catalog import jobs  # noqa: F401 - registers the job kinds
