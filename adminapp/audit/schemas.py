from __future__ import annotations

from adminapp.audit.models import AuditEvent
from adminapp.client import types as wire


def audit_event_out(event: AuditEvent) -> wire.AuditEvent:
    return wire.AuditEvent.model_validate(event)
