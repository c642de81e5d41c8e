"""The audit log: events, and the filters that list and export them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypedDict

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from adminapp.client.types.common import Page, ParamsModel, WireModel

__all__ = [
    "AuditEvent",
    "AuditEventPage",
    "AuditFilterParams",
    "AuditFilters",
]


class AuditEvent(WireModel):
    id: str
    actor_type: str
    actor_id: str
    actor_label: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
    request_id: str
    ip: str | None = None
    created_at: datetime


class AuditEventPage(Page[AuditEvent]):
    pass


class AuditFilterParams(ParamsModel):
    """Filters for listing (query string) and for an export (JSON body)."""

    actor: str | None = Field(None, max_length=255, description="Actor id or email.")
    action: str | None = Field(
        None, max_length=100, description="Exact action, or a prefix ending in '.' or '*'."
    )
    target: str | None = Field(None, max_length=64, description="Target id.")
    since: datetime | None = Field(None, description="From this time (inclusive, ISO 8601).")
    until: datetime | None = Field(None, description="Before this time (exclusive).")

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """Naive times mean UTC (the server's zone). Converting now means a mix of naive and
        aware bounds can be compared, and a time the database cannot hold is a 422."""
        if value is None:
            return None
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError:
            raise PydanticCustomError("out_of_range", "Out of range.") from None


class AuditFilters(TypedDict, total=False):
    """The filters as keyword arguments of ``client.audit.list`` and ``export``."""

    actor: str  # a user or key id, or an email
    action: str  # exact, or a prefix ending in "." or "*"
    target: str  # a target id
    since: datetime  # inclusive
    until: datetime  # exclusive
