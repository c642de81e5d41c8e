"""Starting exports. Each checks its permission and its filters up front (a bad filter is a
422 now, not a failed job later), then creates the job."""

from __future__ import annotations

from adminapp import authz
from adminapp.audit.selectors import audit_queryset
from adminapp.authz import Permission
from adminapp.client.types.audit import AuditFilterParams
from adminapp.core.errors import NotFound
from adminapp.core.principal import Principal
from adminapp.exports.jobs import AuditExport, OrgDataExport
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


def org_data_export_start(
    *, actor: Principal, org_id: str, idempotency_key: str | None = None
) -> Job:
    """Start an export of everything the organization holds (owners only): a ZIP archive of
    JSON-lines files, one per section, to download from the job."""
    if org_id != actor.org_id:
        raise NotFound("No such organization.")  # another organization's id: as if absent
    authz.require(
        actor, Permission.ORG_EXPORT, "Only the organization's owners can export all its data."
    )
    job, _ = job_create(actor=actor, kind=OrgDataExport, idempotency_key=idempotency_key)
    return job
