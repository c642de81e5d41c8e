"""``client.audit``: the audit log, custom events and exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adminapp.client._pagination import CursorPage
from adminapp.client.resources._base import Resource, body, seg
from adminapp.client.resources.jobs import Job
from adminapp.client.types.audit import AuditEvent, AuditEventPage, AuditFilterParams


class Audit(Resource):
    def list(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> CursorPage[AuditEvent]:
        """Audit events, newest first (iterate for all of them). ``actor``: a user/key id or
        an email; ``action``: exact, or a prefix ending in ``.`` or ``*``; ``since``
        inclusive, ``until`` exclusive."""
        filters = body(
            AuditFilterParams, actor=actor, action=action, target=target, since=since, until=until
        )
        return self._page("/audit", AuditEventPage, {**filters, "limit": limit, "cursor": cursor})

    def record_custom(self, event_type: str, params: dict[str, Any] | None = None) -> AuditEvent:
        """Record ``custom.<event_type>`` with ``params`` (a JSON object, at most 8 KiB)."""
        return self._send("POST", f"/audit/custom/{seg(event_type)}", AuditEvent, params or {})

    def export(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Start a CSV export of the matching events as a job; ``job.wait()`` then
        ``job.download()``. Retries reuse one ``Idempotency-Key`` (yours, if given), so
        they never start a second export."""
        response = self._client.request(
            "POST",
            "/audit/exports",
            json=body(
                AuditFilterParams,
                actor=actor,
                action=action,
                target=target,
                since=since,
                until=until,
            ),
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return Job.bind(response.json(), self._client)
