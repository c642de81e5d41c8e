"""What every wire type shares: the two base models and the page envelope."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ErrorBody",
    "ErrorDetail",
    "Page",
    "Pagination",
    "ParamsModel",
    "STATUS_CODES",
    "WireModel",
]


class WireModel(BaseModel):
    """A response shape. Unknown fields from a newer server are ignored, so an old SDK
    keeps working."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)


class ParamsModel(BaseModel):
    """A request body, the one the server validates with (unknown fields are a 422). The
    SDK shapes the bodies it sends with the same class, so the two cannot drift; the values
    are the server's to judge (its rules and messages are the same at every door)."""

    model_config = ConfigDict(extra="forbid")


class Pagination(WireModel):
    has_more: bool
    next_cursor: str | None = None


T = TypeVar("T")


class Page(WireModel, Generic[T]):
    """``{items, pagination}``: the body of every list endpoint (``GET /spaces`` names its
    list ``spaces``). The SDK hands these out as ``CursorPage`` objects."""

    items: list[T]
    pagination: Pagination


# The machine code of an error status when nothing more specific is said (the API's own
# answers always carry a code; a proxy's 502 does not).
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
}


class ErrorDetail(WireModel):
    code: str = Field(description="A machine-readable reason, e.g. 'role_in_use'.")
    message: str
    fields: dict[str, list[str]] = Field(
        default_factory=dict, description="Per-field messages, keyed by the field's path."
    )
    details: dict[str, Any] = Field(
        default_factory=dict, description="More about this error (e.g. what is in the way)."
    )
    request_id: str | None = None


class ErrorBody(WireModel):
    """Every error answer of the API."""

    error: ErrorDetail
