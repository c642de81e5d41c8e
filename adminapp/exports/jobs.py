"""The ``audit_export`` job: the events matching a filter, oldest first, as a CSV file.

A consistent snapshot: events written after the export started are not part of it. Each
chunk of ``AUDIT_EXPORT_CHUNK`` events is appended to the file and fsynced inside the chunk's
transaction, and the file's size and SHA-256 go into the checkpoint with it; a re-run
verifies the file against them, cuts off what a rolled-back chunk appended and continues
from the cursor, so no row is written twice — or starts over when the file is missing or
differs, so a resumed export is never silently corrupt.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from pydantic import BaseModel

from adminapp.accounts import org_data
from adminapp.audit.models import AuditEvent
from adminapp.audit.schemas import audit_event_out
from adminapp.audit.selectors import AUDIT_FIELDS, audit_queryset
from adminapp.authz import Permission
from adminapp.client.types.audit import AuditFilterParams
from adminapp.core.files import store_local_file
from adminapp.core.pagination import encode_cursor, paginate
from adminapp.jobs.kinds import Chunk, ItemOutcome, JobContext, JobKind, Queue, StartOver, register

EXPORT_COLUMNS = AUDIT_FIELDS  # the API's fields, in the same order


class AuditExportResult(BaseModel):
    rows: int
    bytes: int
    file: str


def csv_safe(value: Any) -> str:
    """Neutralise spreadsheet formulas in user-controlled cells (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _csv_bytes(rows) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _row(event: AuditEvent) -> list[str]:
    return [
        event.id,
        event.created_at.isoformat(),
        event.actor_type,
        event.actor_id,
        csv_safe(event.actor_label),
        event.action,
        event.target_type,
        csv_safe(event.target_id),
        event.ip or "",
        event.request_id,
        csv_safe(json.dumps(event.details, sort_keys=True)),
    ]


@register
class AuditExport(JobKind[AuditFilterParams, AuditExportResult]):
    name = "audit_export"
    label = "Audit log export"
    queue = Queue.IO
    unit = "events"
    permission = Permission.AUDIT_READ  # an owner demoted meanwhile stops the export
    makes_file = True

    @staticmethod
    def relative_path(ctx: JobContext) -> str:
        return f"exports/audit-{ctx.job_id}.csv"

    def _path(self, ctx: JobContext) -> Path:
        return Path(settings.MEDIA_ROOT) / self.relative_path(ctx)

    def _events(self, ctx: JobContext[AuditFilterParams]):
        filters = ctx.params
        until = min(filters.until, ctx.created_at) if filters.until else ctx.created_at
        since = min(filters.since, until) if filters.since else None  # after the snapshot: none
        snapshot = filters.model_copy(update={"since": since, "until": until})
        return audit_queryset(actor=ctx.principal, filters=snapshot)

    def plan(self, ctx: JobContext[AuditFilterParams]) -> int:
        return self._events(ctx).count()

    def chunks(self, ctx: JobContext[AuditFilterParams], after: str | None) -> Iterator[Chunk]:
        self._open(ctx)
        events, size, cursor = self._events(ctx), settings.AUDIT_EXPORT_CHUNK, after
        while True:
            page = paginate(events, limit=size, cursor=cursor, newest_first=False, max_limit=size)
            if not page.items:
                return
            last = page.items[-1]
            cursor = page.next_cursor or encode_cursor(last.created_at, last.id)
            yield Chunk(payload=page.items, after=cursor, size=len(page.items))
            if not page.has_more:
                return

    def _open(self, ctx: JobContext) -> None:
        """The file as the last checkpoint left it: new with its header, or the checkpointed
        part verified (its size and SHA-256) and anything appended after it cut off (a chunk
        that was rolled back). A part that is missing, shorter or different — the job moved
        to a machine without the file, or the disk lost it — starts the export over."""
        path = self._path(ctx)
        path.parent.mkdir(parents=True, exist_ok=True)
        size, expected = ctx.state.get("bytes", 0), ctx.state.get("sha256", "")
        if not size:
            header = _csv_bytes([list(EXPORT_COLUMNS)])
            with open(path, "wb") as fh:
                fh.write(header)
                fh.flush()
                os.fsync(fh.fileno())
            ctx.local["sha256"] = hashlib.sha256(header)
            ctx.state.update(bytes=len(header), sha256=ctx.local["sha256"].hexdigest())
            return
        if not path.exists() or path.stat().st_size < size:
            raise StartOver("the partly written export file is missing or shorter here")
        running = hashlib.sha256()
        with open(path, "r+b") as fh:
            remaining = size
            while remaining:
                block = fh.read(min(remaining, 1 << 20))
                running.update(block)
                remaining -= len(block)
            if running.hexdigest() != expected:
                raise StartOver("the partly written export file differs from its checkpoint")
            fh.truncate(size)
        ctx.local["sha256"] = running

    def apply(self, ctx: JobContext, chunk: Chunk) -> list[ItemOutcome]:
        events: list[AuditEvent] = chunk.payload
        data = _csv_bytes(_row(e) for e in events)
        with open(self._path(ctx), "ab") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            size = fh.tell()
        running = ctx.local["sha256"]
        running.update(data)
        done = ctx.state.get("rows", 0)
        ctx.state.update(bytes=size, sha256=running.hexdigest(), rows=done + len(events))
        return [
            ItemOutcome.success(
                key=f"events {done + 1}–{done + len(events)}",
                rows=len(events),
                first_id=events[0].id,
                last_id=events[-1].id,
            )
        ]

    def result(self, ctx: JobContext) -> AuditExportResult:
        if not ctx.state.get("bytes"):  # nothing matched: the file is the header alone
            self._open(ctx)
        # Into the storage (a bucket: uploaded now; the filesystem under MEDIA_ROOT: it is
        # there already), where the web process serves it from.
        ctx.set_result_file(store_local_file(self._path(ctx), self.relative_path(ctx)))
        return AuditExportResult(
            rows=ctx.state.get("rows", 0),
            bytes=ctx.state["bytes"],
            file=self._path(ctx).name,
        )


# --- everything an organization holds, for an owner leaving the platform -------------------
class OrgDataExportParams(BaseModel):
    """No parameters: the job's organization, every registered section."""


class OrgDataExportResult(BaseModel):
    sections: dict[str, int]  # records per section
    bytes: int
    file: str


ORG_DATA_FORMAT = 1  # manifest.json's "format": bumped when a section's shape changes


@register
class OrgDataExport(JobKind[OrgDataExportParams, OrgDataExportResult]):
    """A ZIP archive of the organization: ``manifest.json`` and one JSON-lines file per
    section that the domains register (``accounts.org_data``: members, API keys, spaces and
    their members, roles, tokens, datasets, bucket configs, repos) plus the audit log, each
    record in the API's own shape, secrets masked. One chunk per section, written whole to
    its own part file (a re-run of a chunk rewrites it: no record twice); the archive is
    assembled from the parts at the end. Sections are read one after the other, each a
    consistent read of its own, not one snapshot of them all."""

    name = "org_data_export"
    label = "Organization data export"
    queue = Queue.IO
    unit = "sections"
    permission = Permission.ORG_EXPORT  # an owner demoted meanwhile stops the export
    makes_file = True

    @staticmethod
    def relative_path(ctx: JobContext) -> str:
        return f"exports/org-{ctx.job_id}.zip"

    @staticmethod
    def _parts(job_id: str) -> Path:
        return Path(settings.MEDIA_ROOT) / "exports" / f"org-{job_id}.parts"

    @staticmethod
    def _sections():
        return [*org_data.sections(), AUDIT_SECTION]

    def plan(self, ctx: JobContext) -> int:
        return len(self._sections())

    def chunks(self, ctx: JobContext, after: str | None) -> Iterator[Chunk]:
        sections = self._sections()
        names = [section.name for section in sections]
        start = names.index(after) + 1 if after in names else 0
        parts = self._parts(ctx.job_id)
        if any(not (parts / f"{name}.jsonl").exists() for name in names[:start]):
            raise StartOver("the sections written before are not on this machine")
        parts.mkdir(parents=True, exist_ok=True)
        for section in sections[start:]:
            yield Chunk(payload=section, after=section.name, size=1)

    def apply(self, ctx: JobContext, chunk: Chunk) -> list[ItemOutcome]:
        section: org_data.Section = chunk.payload
        path = self._parts(ctx.job_id) / f"{section.name}.jsonl"
        count = 0
        with open(path, "wb") as fh:
            for record in section.rows(ctx.org_id):
                fh.write(orjson.dumps(record) + b"\n")
                count += 1
            fh.flush()
            os.fsync(fh.fileno())
        ctx.state.setdefault("sections", {})[section.name] = count
        return [ItemOutcome.success(key=section.name, records=count)]

    def result(self, ctx: JobContext) -> OrgDataExportResult:
        counts: dict[str, int] = ctx.state.get("sections", {})
        sections = self._sections()
        manifest = {
            "format": ORG_DATA_FORMAT,
            "organization_id": ctx.org_id,
            "exported_at": ctx.created_at.isoformat(),
            "job_id": ctx.job_id,
            "sections": [
                {
                    "name": s.name,
                    "file": f"{s.name}.jsonl",
                    "records": counts.get(s.name, 0),
                    "description": s.description,
                }
                for s in sections
            ],
        }
        target = Path(settings.MEDIA_ROOT) / self.relative_path(ctx)
        parts = self._parts(ctx.job_id)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
            for section in sections:
                archive.write(parts / f"{section.name}.jsonl", arcname=f"{section.name}.jsonl")
        size = target.stat().st_size
        ctx.set_result_file(store_local_file(target, self.relative_path(ctx)))
        return OrgDataExportResult(sections=counts, bytes=size, file=target.name)

    def cleanup(self, job_id: str) -> None:
        shutil.rmtree(self._parts(job_id), ignore_errors=True)


def _audit_rows(org_id: str):
    return org_data.records(AuditEvent.objects.filter(organization_id=org_id), audit_event_out)


AUDIT_SECTION = org_data.Section(
    name="audit", rows=_audit_rows, description="The audit log, oldest first."
)
