from django.apps import AppConfig


class PluginsConfig(AppConfig):
    name = "adminapp.plugins"
    label = "plugins"

    def ready(self) -> None:
        from adminapp.plugins import delete_job, jobs  # noqa: F401 - kinds
        from adminapp.plugins.runtime import registry

        registry.ready()  # the runtime side's job kinds, usages and import formats
