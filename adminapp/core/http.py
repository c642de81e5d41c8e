"""Request metadata (request id, client IP) and the API error body, shared by middleware,
the Ninja exception handlers and the in-process transport."""

from __future__ import annotations

import ipaddress
import itertools
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse

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


def json_refs_stream(
    key: str,
    rows: Iterable[tuple[Any, Any]],
    fields: tuple[str, str] = ("id", "name"),
    *,
    batch: int = 2000,
) -> StreamingHttpResponse:
    """``{"<key>": [{"id": …, "name": …}, …]}`` from ``(id, name)`` pairs, streamed in
    batches of ``batch``: for an unpaginated list too long to build as one response (a
    picker's every row). No model instances and no response-schema validation per row; the
    rows are plain strings the endpoint's declared schema describes. Pairs only: a dict
    display per row costs half of ``dict(zip(...))`` (at 100,000 rows, 25 ms against 45)."""
    first_field, second_field = fields

    def body() -> Iterator[bytes]:
        yield b'{"' + key.encode() + b'":['
        first, it = True, iter(rows)
        while chunk := list(itertools.islice(it, batch)):  # itertools.batched is 3.12+
            encoded = orjson.dumps([{first_field: a, second_field: b} for a, b in chunk])
            yield encoded[1:-1] if first else b"," + encoded[1:-1]
            first = False
        yield b"]}"

    return StreamingHttpResponse(body(), content_type="application/json")
