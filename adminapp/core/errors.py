"""The one error tree of domain code (STYLE 3).

Services raise these; ``adminapp.api.errors`` maps them once to
``{"error": {"code", "message", "fields", "details", "request_id"}}``; the SDK maps status + code
back to its own classes; the dashboard renders ``message`` and ``fields`` inline.
"""

from __future__ import annotations


class ApplicationError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        details: dict | None = None,
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}
        self.details = details or {}


class BadRequest(ApplicationError):
    status_code = 400
    code = "bad_request"


class ValidationFailed(ApplicationError):
    """Input that is well-formed but wrong; ``fields`` maps a field path to messages."""

    status_code = 422
    code = "validation_error"


class AuthenticationFailed(ApplicationError):
    status_code = 401
    code = "authentication_failed"


class PermissionDenied(ApplicationError):
    status_code = 403
    code = "permission_denied"


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(ApplicationError):
    status_code = 413
    code = "payload_too_large"


class RateLimited(ApplicationError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
