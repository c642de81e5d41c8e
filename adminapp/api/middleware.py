"""The API's own middleware: everything under ``/api/`` passes through it, over HTTP and in
process alike.

``settings.API_MIDDLEWARE`` lists these classes, in order, and ``settings.MIDDLEWARE`` ends
with that list; the in-process transport (``adminapp.api.inprocess``) wraps the API view in
the same list, so a middleware added there cannot silently skip the dashboard's calls.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from adminapp.client.types.common import STATUS_CODES
from adminapp.core.http import error_response

API_PREFIX = "/api/"

_STATUS_MESSAGES = {
    400: "The request could not be understood.",
    401: "Authentication credentials were missing or invalid.",
    403: "You do not have permission to do this.",
    404: "No such endpoint.",
    405: "This method is not allowed on this endpoint.",
    413: "The request body is too large.",
    500: "Something went wrong on our side; it has been logged.",
}


# Endpoints that take more than API_MAX_BODY_BYTES: (method, path pattern, the setting that
# bounds them, what the limit is for). Only these; every other endpoint keeps the small one.
MULTIPART_OVERHEAD = 64 * 1024  # the form's other fields and boundaries, beside the file
LARGE_BODIES = (
    (
        "POST",
        re.compile(r"/api/v1/plugins/(install/archive|[^/]+/update/archive)"),
        "PLUGINS_MAX_ARCHIVE_BYTES",
        MULTIPART_OVERHEAD,
        " for a plugin archive (PLUGINS_MAX_ARCHIVE_BYTES)",
    ),
    (
        "POST",
        re.compile(r"/api/v1/datasets/[^/]+/imports"),
        "IMPORT_MAX_BYTES",
        MULTIPART_OVERHEAD,
        " for an import file (IMPORT_MAX_BYTES)",
    ),
    (
        "POST",
        re.compile(r"/api/v1/datasets/[^/]+/data-rows/async"),
        "IMPORT_JSON_MAX_BYTES",
        0,
        " for rows imported as JSON (IMPORT_JSON_MAX_BYTES); upload a file for more",
    ),
    (
        "POST",
        re.compile(r"/api/v1/global-keys/(assign|clear|lookup)/file"),
        "GLOBAL_KEYS_FILE_MAX_BYTES",
        MULTIPART_OVERHEAD,
        " for a global keys file (GLOBAL_KEYS_FILE_MAX_BYTES)",
    ),
    (
        "POST",
        re.compile(r"/api/v1/global-keys/(assign|clear|lookup)"),
        "IMPORT_JSON_MAX_BYTES",
        0,
        " for global keys sent as JSON (IMPORT_JSON_MAX_BYTES); upload a file for more",
    ),
)


def body_limit(request: HttpRequest) -> tuple[int, str]:
    """The largest body this request may have, and what that limit is called."""
    for method, pattern, setting, overhead, what in LARGE_BODIES:
        if request.method == method and pattern.fullmatch(request.path):
            return getattr(settings, setting) + overhead, what
    return settings.API_MAX_BODY_BYTES, ""


def _multipart(request: HttpRequest) -> bool:
    return request.META.get("CONTENT_TYPE", "").startswith("multipart/")


class ApiBodyLimitMiddleware:
    """Refuses API input no view can use, before any view runs: a chunked body (411); an
    oversized body, from its Content-Length and before reading it (413); a NUL character, which PostgreSQL cannot
    store or compare, in the path (404: it names nothing) or in the query string (422).
    (A NUL inside a JSON body is refused by the API's JSON parser, naming the field.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            if "\x00" in request.path:
                return error_response(request, status=404, code="not_found", message="Not found.")
            bad = sorted(
                {k for k, values in request.GET.lists() for v in [k, *values] if "\x00" in v}
            )
            if bad:
                message = "Text must not contain NUL (\\u0000) characters."
                return error_response(
                    request,
                    status=422,
                    code="validation_error",
                    message=f"{', '.join(bad)}: {message}",
                    fields={k: [message] for k in bad},
                )
            if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
                # The WSGI server hands Django no length, so the body would be read as empty
                # and refused as "Field required", which would mislead the caller.
                return error_response(
                    request,
                    status=411,
                    code="length_required",
                    message="Send the body with a Content-Length header: chunked request "
                    "bodies are not read.",
                )
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit, what = body_limit(request)
            if length > limit:
                return error_response(
                    request,
                    status=413,
                    code="payload_too_large",
                    message=f"The request body is {length} bytes; the limit is {limit} bytes{what}.",
                    details={"max_bytes": limit, "bytes": length},
                )
            if what and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE and not _multipart(request):
                # A large JSON body this endpoint accepts: read it here, within its own limit
                # (checked above), as Django's ``request.body`` would refuse anything over
                # DATA_UPLOAD_MAX_MEMORY_SIZE, which stays the limit of every other body.
                request._body = request.read()
        return self.get_response(request)


class ApiErrorMiddleware:
    """Any non-JSON error answered under /api/ (URL 404, 405, CSRF 403, Django's 500) is
    rewritten into the standard error body, so API clients only ever parse one shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        code = STATUS_CODES.get(response.status_code, "error")
        message = _STATUS_MESSAGES.get(response.status_code, f"HTTP {response.status_code}")
        replacement = error_response(
            request, status=response.status_code, code=code, message=message
        )
        if response.has_header("Allow"):
            replacement["Allow"] = response["Allow"]
        return replacement
