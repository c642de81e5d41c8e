from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The top of the project: ``manage.py up`` (web + worker + beat on one machine) and
    ``manage.py seed_demo`` (demo organizations built from every domain's demo data)."""

    name = "adminapp.demo"
    label = "demo"
