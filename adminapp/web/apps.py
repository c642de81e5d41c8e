from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "adminapp.web"
    label = "web"
