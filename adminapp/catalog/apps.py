from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "adminapp.catalog"
    label = "catalog"
