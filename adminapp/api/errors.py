"""The one mapping from exceptions to the API error body (STYLE 3)."""

from __future__ import annotations

import json
import logging
import math
import re

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


# What a stored JSON value may be, so that every later read can render it: integers that fit
# in 64 bits (orjson, and every client in other languages, stop there) and nesting no deeper
# than MAX_JSON_DEPTH levels.
MAX_JSON_DEPTH = 64
INT_RANGE = (-(2**63), 2**63 - 1)
_SURROGATES = re.compile("[\ud800-\udfff]")


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "Text must not contain NUL (\\u0000) characters."
    if _SURROGATES.search(text):
        return "Text must not contain lone surrogates (\\ud800–\\udfff): send valid Unicode."
    return None


def _json_problem(data) -> tuple[str, str] | None:
    """The first (path, message) that no column can store or no reader can render: NUL or a
    lone surrogate in text (a value or a key), an integer beyond 64 bits, nesting deeper
    than MAX_JSON_DEPTH. PostgreSQL cannot store the first two; the last two would be stored
    and then break every page that shows them."""
    stack = [((), data)]
    while stack:
        path, value = stack.pop()
        where = ".".join(path) or "body"
        if len(path) > MAX_JSON_DEPTH:
            return ".".join(path[:3]) + "…", f"Nested deeper than {MAX_JSON_DEPTH} levels."
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                return where, problem
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            if not INT_RANGE[0] <= value <= INT_RANGE[1]:
                return where, "Integers must fit in 64 bits (-2^63 to 2^63 - 1)."
        elif isinstance(value, dict):
            for key, item in value.items():
                problem = _text_problem(key)
                if problem:
                    safe = key.replace("\x00", "\\u0000")
                    safe = safe.encode("utf-8", "backslashreplace").decode()
                    return ".".join((*path, safe)), problem
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
    infinity are refused, as no database column can store them; so are NUL and lone
    surrogates in text, integers beyond 64 bits and nesting deeper than MAX_JSON_DEPTH (422
    naming the field, see ``_json_problem``)."""

    def parse_body(self, request: HttpRequest):
        try:
            data = json.loads(
                request.body, parse_constant=_reject_constant, parse_float=_finite_float
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise BodyParseError(f"Malformed JSON: {exc}") from exc
        except RecursionError as exc:
            raise BodyParseError("Malformed JSON: nested too deeply.") from exc
        problem = _json_problem(data)
        if problem is not None:
            where, message = problem
            raise BodyParseError(
                f"{where}: {message}", code="validation_error", fields={where: [message]}
            )
        return data


def _field_path(loc: tuple | list) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        source = parts.pop(0)
        # Ninja nests the body under the parameter name ("payload"); users never see it: an
        # error about the whole body (missing, not an object) names the body.
        if source == "body" and parts:
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
