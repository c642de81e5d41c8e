from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "adminapp.core"
    label = "core"
