from django.apps import AppConfig


class PluginsConfig(AppConfig):
    name = "adminapp.plugins"
    label = "plugins"

    def ready(self) -> None:
        pass
