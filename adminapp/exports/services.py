"""Starting exports. Each checks its permission and its filters up front (a bad filter is a
422 now, not a failed job later), then creates the job."""

from __future__ import annotations

from adminapp import authz
from adminapp.audit.selectors import audit_queryset
from adminapp.authz import Permission
from adminapp.client.types.audit import AuditFilterParams
from adminapp.core.principal import Principal
from adminapp.exports.jobs import AuditExport
from adminapp.jobs.models import Job
from adminapp.jobs.services import job_create


def audit_export_start(
    *, actor: Principal, filters: AuditFilterParams, idempotency_key: str | None = None
) -> Job:
    """Start a CSV export of the audit events matching ``filters``."""
    authz.require(actor, Permission.AUDIT_READ, "Only org admins can export the audit log.")
    audit_queryset(actor=actor, filters=filters)
    job, _ = job_create(
        actor=actor, kind=AuditExport, params=filters, idempotency_key=idempotency_key
    )
    return job
