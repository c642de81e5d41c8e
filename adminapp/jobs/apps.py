from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "adminapp.jobs"
    label = "jobs"
