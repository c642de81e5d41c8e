"""/api/v1/audit: read the log and record custom events (exports: ``adminapp.exports``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Body, Query, Router, Status

from adminapp.audit import selectors, services
from adminapp.audit.schemas import audit_event_out
from adminapp.client import types as wire
from adminapp.core.pagination import PageParams

router = Router(tags=["audit"])


@router.get("", response=wire.AuditEventPage, summary="List audit events, newest first")
def list_events(
    request: HttpRequest, filters: Query[wire.AuditFilterParams], page: Query[PageParams]
):
    result = selectors.audit_list(
        actor=request.auth, filters=filters, limit=page.limit, cursor=page.cursor
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
