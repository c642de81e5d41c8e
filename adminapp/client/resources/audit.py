"""``client.audit``: the audit log, custom events and exports."""

from __future__ import annotations

from typing import Any, Unpack

from adminapp.client._pagination import CursorPage
from adminapp.client.resources._base import Resource, body, seg
from adminapp.client.resources.jobs import Job
from adminapp.client.types.audit import AuditEvent, AuditEventPage, AuditFilterParams, AuditFilters


class Audit(Resource):
    def list(
        self, *, limit: int = 50, cursor: str | None = None, **filters: Unpack[AuditFilters]
    ) -> CursorPage[AuditEvent]:
        """Audit events, newest first (iterate for all of them). Filters: ``actor`` (a
        user/key id or an email), ``action`` (exact, or a prefix ending in ``.`` or ``*``),
        ``target``, ``since`` (inclusive) and ``until`` (exclusive)."""
        params = {**body(AuditFilterParams, **filters), "limit": limit, "cursor": cursor}
        return self._page("/audit", AuditEventPage, params)

    def record_custom(self, event_type: str, params: dict[str, Any] | None = None) -> AuditEvent:
        """Record ``custom.<event_type>`` with ``params`` (a JSON object, at most 8 KiB)."""
        return self._send("POST", f"/audit/custom/{seg(event_type)}", AuditEvent, params or {})

    def export(self, *, idempotency_key: str | None = None, **filters: Unpack[AuditFilters]) -> Job:
        """Start a CSV export of the events matching the filters (those of ``list``) as a
        job; ``job.wait()`` then ``job.download()``. Retries reuse one ``Idempotency-Key``
        (yours, if given), so they never start a second export."""
        response = self._client.request(
            "POST",
            "/audit/exports",
            json=body(AuditFilterParams, **filters),
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return Job.bind(response.json(), self._client)
