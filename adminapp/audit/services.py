"""Writing audit events. Every service that mutates calls ``audit_record`` inside its own
transaction, so an event exists exactly when the change does."""

from __future__ import annotations

import csv
import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from adminapp import authz
from adminapp.audit.models import AuditEvent
from adminapp.audit.selectors import AuditFilters, audit_queryset
from adminapp.authz import Permission
from adminapp.core.errors import ValidationFailed
from adminapp.core.pagination import encode_cursor, paginate
from adminapp.core.principal import Principal

CUSTOM_TYPE_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
CUSTOM_PARAMS_MAX_BYTES = 8192


def audit_record(
    *,
    actor: Principal,
    action: str,
    org_id: str | None = None,
    target_type: str = "",
    target_id: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        organization_id=org_id if org_id is not None else actor.org_id,
        actor_type=actor.actor_type,
        actor_id=actor.actor_id or "",
        actor_label=actor.label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or {},
        request_id=actor.request_id or "",
        ip=actor.ip,
    )


def audit_record_custom(*, actor: Principal, event_type: str, params: dict[str, Any]) -> AuditEvent:
    """``POST /audit/custom/{type}``: any member may record an event about their own work."""
    authz.require(actor, Permission.AUDIT_WRITE_CUSTOM)
    if not CUSTOM_TYPE_RE.match(event_type):
        raise ValidationFailed(
            "The event type must be 1–64 characters of a-z, 0-9, '_', '.', '-'.",
            fields={"type": ["Use 1–64 characters of a-z, 0-9, '_', '.', '-'."]},
        )
    if len(json.dumps(params)) > CUSTOM_PARAMS_MAX_BYTES:
        raise ValidationFailed(
            f"Custom event params are limited to {CUSTOM_PARAMS_MAX_BYTES} bytes of JSON.",
            fields={"params": [f"At most {CUSTOM_PARAMS_MAX_BYTES} bytes."]},
        )
    return audit_record(actor=actor, action=f"custom.{event_type}", details={"params": params})


# --- export (a job) -----------------------------------------------------------------------
EXPORT_KIND = "audit_export"
EXPORT_COLUMNS = [
    "id",
    "created_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "ip",
    "request_id",
    "details",
]


def audit_export_start(*, actor: Principal, filters, idempotency_key: str | None = None):
    """Start a CSV export of the events matching ``filters`` (an ``AuditFilters``)."""
    from adminapp.jobs.services import job_create

    authz.require(actor, Permission.AUDIT_READ, "Only org admins can export the audit log.")
    audit_queryset(actor=actor, filters=filters)  # bad filters are a 422 now, not a failed job
    job, _ = job_create(
        actor=actor,
        kind=EXPORT_KIND,
        params={"filters": filters.as_dict()},
        idempotency_key=idempotency_key,
    )
    return job


def _csv_safe(value) -> str:
    """Neutralise spreadsheet formulas in user-controlled cells (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def audit_export_run(ctx) -> dict:
    """The ``audit_export`` job: stream matching events, oldest first, into a CSV file in
    chunks. Each chunk is appended and fsynced before its checkpoint (cursor + byte size)
    is saved; a re-run truncates the file to that size and continues from the cursor."""
    from adminapp.jobs.services import ItemOutcome  # (jobs.services imports this module)

    job = ctx.job
    raw = dict(ctx.params.get("filters") or {})
    for name in ("since", "until"):
        if raw.get(name):
            raw[name] = datetime.fromisoformat(raw[name])
    # A snapshot: events written after the export started are not part of it.
    if not raw.get("until") or raw["until"] > job.created_at:
        raw["until"] = job.created_at
    if raw.get("since") and raw["since"] > raw["until"]:
        raw["since"] = raw["until"]  # a window that starts after the snapshot: no rows
    queryset = audit_queryset(actor=ctx.principal, filters=AuditFilters(**raw))

    relative = f"exports/audit-{job.id}.csv"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    state = ctx.state
    total = state.get("total")
    if total is None:
        total = queryset.count()
        ctx.progress(total=total, done=0, stage="exporting")
    done, cursor, size, chunk_no = (
        state.get("done", 0),
        state.get("cursor"),
        state.get("bytes", 0),
        state.get("chunk", 0),
    )
    chunk = settings.AUDIT_EXPORT_CHUNK
    mode = "r+" if path.exists() and size else "w"
    with open(path, mode, newline="", encoding="utf-8") as fh:
        fh.truncate(size)
        fh.seek(size)
        writer = csv.writer(fh)
        if size == 0:
            writer.writerow(EXPORT_COLUMNS)
        while True:
            page = paginate(
                queryset, limit=chunk, cursor=cursor, newest_first=False, max_limit=chunk
            )
            if not page.items:
                break
            for e in page.items:
                writer.writerow(
                    [
                        e.id,
                        e.created_at.isoformat(),
                        e.actor_type,
                        e.actor_id,
                        _csv_safe(e.actor_label),
                        e.action,
                        e.target_type,
                        _csv_safe(e.target_id),
                        e.ip or "",
                        e.request_id,
                        _csv_safe(json.dumps(e.details, sort_keys=True)),
                    ]
                )
            fh.flush()
            os.fsync(fh.fileno())
            size = fh.tell()
            first, last = page.items[0], page.items[-1]
            ctx.record_items(
                [
                    ItemOutcome(
                        seq=chunk_no,
                        ok=True,
                        key=f"events {done + 1}–{done + len(page.items)}",
                        data={"rows": len(page.items), "first_id": first.id, "last_id": last.id},
                    )
                ]
            )
            done += len(page.items)
            chunk_no += 1
            cursor = page.next_cursor or _cursor_after(last)
            ctx.checkpoint(
                {"total": total, "done": done, "cursor": cursor, "bytes": size, "chunk": chunk_no},
                done=done,
                message=f"{done} of {total} events written",
            )
            if not page.has_more:
                break
    ctx.result_file = relative
    return {"rows": done, "bytes": size, "file": path.name}


def _cursor_after(event) -> str:
    return encode_cursor(event.created_at, event.id)
