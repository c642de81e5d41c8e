"""``POST /api/v1/audit/exports``: export the audit events matching a filter to CSV (a job;
poll it under /jobs and download its file from there)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from adminapp.client import types as wire
from adminapp.client.types.audit import AuditFilterParams
from adminapp.exports import services
from adminapp.jobs.schemas import job_out

audit_exports_router = Router(tags=["audit"])


@audit_exports_router.post(
    "", response={202: wire.Job}, summary="Export matching events to CSV (a job)"
)
def start_audit_export(request: HttpRequest, payload: AuditFilterParams):
    job = services.audit_export_start(
        actor=request.auth,
        filters=payload,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return Status(202, job_out(job, include_result=False))


org_exports_router = Router(tags=["organizations"])


@org_exports_router.post(
    "/{org_id}/export",
    response={202: wire.Job},
    summary="Export everything the organization holds as a ZIP of JSON lines (a job; owners)",
)
def start_org_data_export(request: HttpRequest, org_id: str):
    job = services.org_data_export_start(
        actor=request.auth, org_id=org_id, idempotency_key=request.headers.get("Idempotency-Key")
    )
    return Status(202, job_out(job, include_result=False))
