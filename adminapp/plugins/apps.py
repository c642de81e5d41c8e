from django.apps import AppConfig


class PluginsConfig(AppConfig):
    name = "adminapp.plugins"
    label = "plugins"

    def ready(self) -> None:
        from adminapp.plugins import jobs  # noqa: F401 - kinds
