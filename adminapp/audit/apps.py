from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "adminapp.audit"
    label = "audit"

    def ready(self) -> None:
        from adminapp.jobs import registry

        registry.register(
            "audit_export", "adminapp.audit.services:audit_export_run", label="Audit log export"
        )
