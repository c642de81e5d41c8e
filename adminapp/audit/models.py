from django.db import models

from adminapp.core.models import public_id


class AuditEvent(models.Model):
    """One mutation through any door. Append-only: never updated, never deleted by the app."""

    id = public_id("aud")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, null=True, related_name="+"
    )
    actor_type = models.CharField(max_length=16)  # user | service_key | system | anonymous
    actor_id = models.CharField(max_length=40, blank=True, default="")
    actor_label = models.CharField(max_length=255, blank=True, default="")
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=40, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The list page and its filters: org first, newest first.
            models.Index(fields=["organization", "-created_at", "-id"], name="audit_org_time"),
            models.Index(
                fields=["organization", "action", "-created_at", "-id"], name="audit_org_action"
            ),
            models.Index(
                fields=["organization", "actor_id", "-created_at", "-id"], name="audit_org_actor"
            ),
            models.Index(
                fields=["organization", "target_id", "-created_at", "-id"],
                name="audit_org_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_label or self.actor_id} at {self.created_at}"
