"""The SDK's error tree (STYLE 9), mirroring the API's error body.

Every non-2xx answer from the API is
``{"error": {"code", "message", "fields", "details", "request_id"}}``;
:func:`make_status_error` turns it into the class for its status, keeping the machine
``code`` so callers can branch on it (``api_key_revoked``, ``validation_error``, ...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adminapp.client.types.common import STATUS_CODES


class AdminError(Exception):
    """Base of everything the SDK raises on purpose."""


class APIError(AdminError):
    """A call to the API did not succeed (no answer, or an error answer)."""

    status_code: int | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        details: dict[str, Any] | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields: dict[str, list[str]] = fields or {}
        # More about the error, e.g. {"memberships": 3} for role_in_use.
        self.details: dict[str, Any] = details or {}
        self.request_id = request_id
        self.body = body


class APIConnectionError(APIError):
    """The request got no HTTP answer: refused, reset, DNS failure, ..."""

    def __init__(self, message: str = "Could not connect to the adminapp API.") -> None:
        super().__init__(message, code="connection_error")


class APITimeoutError(APIConnectionError):
    """The request timed out (connecting, or waiting for the answer)."""

    def __init__(self, message: str = "The request to the adminapp API timed out.") -> None:
        APIError.__init__(self, message, code="timeout")


class APIStatusError(APIError):
    """The API answered with an error status; ``code`` is its machine-readable reason."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        details: dict[str, Any] | None = None,
        request_id: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            message, code=code, fields=fields, details=details, request_id=request_id, body=body
        )
        self.status_code = status_code
        self.headers: Mapping[str, str] = headers or {}

    def __str__(self) -> str:
        text = f"{self.status_code} {self.code}: {self.message}"
        if self.fields:
            details = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.fields.items())
            if details not in self.message:
                text += f" [{details}]"
        if self.request_id:
            text += f" (request {self.request_id})"
        return text


class BadRequestError(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    pass


class PermissionDeniedError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class ConflictError(APIStatusError):
    pass


class RequestTooLargeError(APIStatusError):
    pass


class UnprocessableEntityError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked us to wait (``Retry-After``), if it said."""
        return parse_retry_after(self.headers.get("Retry-After"))


class InternalServerError(APIStatusError):
    pass


class JobTimeoutError(AdminError):
    """``wait()`` gave up before the job finished. The job keeps running on the server:
    resume with ``client.jobs.wait(job_id)`` or stop it with ``client.jobs.abort(job_id)``."""

    def __init__(self, job_id: str, timeout: float | None = None, *, job: Any = None) -> None:
        self.job_id = job_id
        self.timeout = timeout
        self.job = job  # the last state seen (a peek), if any
        within = f" within {timeout:g}s" if timeout is not None else ""
        state = f" (last seen {job.state.value})" if job is not None else ""
        super().__init__(
            f"Job {job_id} did not finish{within}{state}; it is still running on the server. "
            f"Resume waiting with client.jobs.wait({job_id!r}) "
            f"or stop it with client.jobs.abort({job_id!r})."
        )


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: RequestTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (or an HTTP date), as a non-negative number of seconds."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def make_status_error(
    status_code: int, content: bytes, headers: Mapping[str, str]
) -> APIStatusError:
    """The error for an error answer, from the standard body; any other body (a proxy's HTML
    page, an empty 502) still gives the right class, a default code and a short message."""
    body: Any = None
    error: dict[str, Any] = {}
    try:
        body = json.loads(content) if content else None
    except (ValueError, UnicodeDecodeError):
        body = content.decode("utf-8", "replace")[:2000]
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]

    code = error.get("code") or STATUS_CODES.get(status_code)
    if code is None:
        code = "internal_error" if status_code >= 500 else "error"
    message = error.get("message")
    if not message:
        snippet = body.strip()[:200] if isinstance(body, str) else ""
        message = f"HTTP {status_code}" + (f": {snippet}" if snippet else "")
    fields = error.get("fields") if isinstance(error.get("fields"), dict) else {}
    details = error.get("details") if isinstance(error.get("details"), dict) else {}
    request_id = error.get("request_id") or headers.get("X-Request-ID")

    cls = _STATUS_CLASSES.get(status_code)
    if cls is None:
        cls = InternalServerError if status_code >= 500 else APIStatusError
    return cls(
        message,
        status_code=status_code,
        code=code,
        fields=fields,
        details=details,
        request_id=request_id,
        body=body,
        headers=headers,
    )
