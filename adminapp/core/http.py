"""Request metadata (request id, client IP) and the API error body, shared by middleware,
the Ninja exception handlers and the in-process transport."""

from __future__ import annotations

import ipaddress
import re
import uuid

from django.conf import settings
from django.http import HttpRequest, JsonResponse

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# Set (as a Python attribute, never from a header) on the requests the in-process transport
# builds for the dashboard's embedded SDK client. Nothing an HTTP caller sends can set it.
INPROCESS_ATTR = "_adminapp_inprocess"


def is_inprocess(request: HttpRequest) -> bool:
    return getattr(request, INPROCESS_ATTR, False) is True


def new_request_id(incoming: str | None = None) -> str:
    """Keep a caller's well-formed X-Request-ID (for tracing); otherwise make one."""
    if incoming and _REQUEST_ID_RE.match(incoming):
        return incoming
    return f"req_{uuid.uuid4().hex}"


def client_ip(request: HttpRequest) -> str | None:
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            # The last address is the one our proxy saw connect; anything before it was sent
            # by the client and can be forged (to dodge the login rate limit, or to lie in
            # the audit log). A proxy that overwrites the header leaves just that one.
            address = forwarded.split(",")[-1].strip()
            # Only an address the audit log's inet column can hold ("unknown" is not one).
            if _is_ip(address):
                return address
    return request.META.get("REMOTE_ADDR") or None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def request_id_of(request: HttpRequest) -> str:
    rid = getattr(request, "request_id", None)
    if not rid:
        rid = new_request_id(request.headers.get("X-Request-ID"))
        request.request_id = rid
    return rid


def error_body(
    request: HttpRequest,
    *,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    details: dict | None = None,
) -> dict:
    return {
        "error": {
            "code": code,
            "message": message,
            "fields": fields or {},
            "details": details or {},
            "request_id": request_id_of(request),
        }
    }


def error_response(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    details: dict | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    response = JsonResponse(
        error_body(request, code=code, message=message, fields=fields, details=details),
        status=status,
    )
    for key, value in (headers or {}).items():
        response[key] = value
    return response
