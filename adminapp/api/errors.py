"""The one mapping from exceptions to the API error body (STYLE 3)."""

from __future__ import annotations

import json
import logging
import math

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser

from adminapp.client.types.common import STATUS_CODES
from adminapp.core.errors import ApplicationError, RateLimited
from adminapp.core.http import error_response

logger = logging.getLogger("adminapp.api")


class BodyParseError(ValueError):
    def __init__(
        self, message: str, *, code: str = "invalid_json", fields: dict | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.fields = fields or {"body": [message]}


def _nul_path(data) -> str | None:
    """The path of the first string (value or key) holding a NUL character, if any.
    PostgreSQL cannot store NUL in text or JSON, so such input is refused up front."""
    stack = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return ".".join(path) or "body"
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return ".".join((*path, key.replace("\x00", "\\u0000")))
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, str(i)), item) for i, item in enumerate(value))
    return None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number is out of range")
    return value


class JsonParser(Parser):
    """Like Ninja's parser, but a malformed body says where it broke (mapped to 422).

    Stricter than ``json.loads``: NaN/Infinity (not JSON) and numbers that overflow to
    infinity are refused, as no database column can store them, and so is NUL in text (422
    naming the field); so is nesting deeper than the interpreter can parse."""

    def parse_body(self, request: HttpRequest):
        try:
            data = json.loads(
                request.body, parse_constant=_reject_constant, parse_float=_finite_float
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise BodyParseError(f"Malformed JSON: {exc}") from exc
        except RecursionError as exc:
            raise BodyParseError("Malformed JSON: nested too deeply.") from exc
        where = _nul_path(data)
        if where is not None:
            message = "Text must not contain NUL (\\u0000) characters."
            raise BodyParseError(
                f"{where}: {message}", code="validation_error", fields={where: [message]}
            )
        return data


def _field_path(loc: tuple | list) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        source = parts.pop(0)
        # Ninja nests the body under the parameter name ("payload"); users never see it.
        if source == "body" and len(parts) > 1:
            parts.pop(0)
        if not parts:
            parts = [source]
    return ".".join(parts) or "body"


def validation_fields(errors: list[dict]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for err in errors:
        msg = err.get("msg", "Invalid value.")
        if err.get("type") == "extra_forbidden":
            msg = "Unknown field."
        fields.setdefault(_field_path(err.get("loc", ())), []).append(msg)
    return fields


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return error_response(
            request,
            status=exc.status_code,
            code=exc.code,
            message=exc.message,
            fields=exc.fields,
            details=exc.details,
            headers=headers,
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = validation_fields(exc.errors)
        summary = "; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items())
        return error_response(
            request,
            status=422,
            code="validation_error",
            message=f"The request is not valid. {summary}",
            fields=fields,
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, BodyParseError):
            return error_response(
                request,
                status=422,
                code=exc.__cause__.code,
                message=str(exc.__cause__),
                fields=exc.__cause__.fields,
            )
        if isinstance(exc, AuthenticationError):
            return error_response(
                request,
                status=401,
                code="authentication_required",
                message="Authentication required: send 'Authorization: Bearer <API key>' "
                "or sign in.",
            )
        headers = None
        if isinstance(exc, Throttled) and exc.wait:
            headers = {"Retry-After": str(int(exc.wait) + 1)}
        return error_response(
            request,
            status=exc.status_code,
            code=STATUS_CODES.get(exc.status_code, "error"),
            message=exc.message if hasattr(exc, "message") else str(exc),
            headers=headers,
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(request, status=404, code="not_found", message="Not found.")

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error_response(
            request, status=413, code="payload_too_large", message="The request body is too large."
        )

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled API error (request %s)", getattr(request, "request_id", "-"))
        return error_response(
            request,
            status=500,
            code="internal_error",
            message="Something went wrong on our side; quote the request id when reporting it.",
        )
