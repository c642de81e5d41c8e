"""/api/v1/audit: read the log, record custom events, export it as CSV (a job)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Body, Query, Router, Status

from adminapp.audit import selectors, services
from adminapp.audit.schemas import AuditFilterParams, audit_event_out
from adminapp.client import models as wire
from adminapp.core.pagination import PageParams
from adminapp.jobs.schemas import job_out

router = Router(tags=["audit"])


@router.get("", response=wire.AuditEventPage, summary="List audit events, newest first")
def list_events(request: HttpRequest, filters: Query[AuditFilterParams], page: Query[PageParams]):
    result = selectors.audit_list(
        actor=request.auth, filters=filters.to_filters(), limit=page.limit, cursor=page.cursor
    )
    return page.response(result.items, result)  # dicts, validated once by the response schema


@router.post(
    "/custom/{event_type}", response={201: wire.AuditEvent}, summary="Record a custom event"
)
def custom_event(
    request: HttpRequest, event_type: str, params: dict[str, Any] = Body(default_factory=dict)
):
    event = services.audit_record_custom(actor=request.auth, event_type=event_type, params=params)
    return Status(201, audit_event_out(event))


@router.post("/exports", response={202: wire.Job}, summary="Export matching events to CSV (a job)")
def start_export(request: HttpRequest, payload: AuditFilterParams):
    job = services.audit_export_start(
        actor=request.auth,
        filters=payload.to_filters(),
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return Status(202, job_out(job, include_result=False))
