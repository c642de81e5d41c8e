"""Log lines that say which request, organization, principal and job they belong to.

``log_context`` holds those four for the work in progress (a request in the web process, a
job in a worker); ``ContextFilter`` puts them on every record, so the plain format shows them
too; ``JsonFormatter`` writes one JSON object per line (``LOG_FORMAT=json``) for log
collectors. Context variables are per thread and per task, so concurrent requests in one
process never mix their fields.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

FIELDS = ("request_id", "org_id", "principal", "job_id")
_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "log_context", default=None
)


def start(**fields: str | None) -> None:
    """A new unit of work (a request): these fields, and nothing from the one before."""
    _context.set({k: v for k, v in fields.items() if v})


def bind(**fields: str | None) -> None:
    """Add fields to the current context (None leaves a field as it is)."""
    _context.set({**(_context.get() or {}), **{k: v for k, v in fields.items() if v}})


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """The fields for the duration of a block (a request, a job), then back to before."""
    token = _context.set({k: v for k, v in fields.items() if v})
    try:
        yield
    finally:
        _context.reset(token)


def current() -> dict[str, str]:
    return dict(_context.get() or {})


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get() or {}
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, context.get(name, "-"))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, "-")
            if value and value != "-":
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
