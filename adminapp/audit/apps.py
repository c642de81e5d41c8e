from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "adminapp.audit"
    label = "audit"
