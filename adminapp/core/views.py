"""Health endpoints: /healthz says the process answers; /readyz checks the database, the
broker and what other layers register (``register_readiness_check``: the jobs engine checks
that workers write result files where this process can read them)."""

from __future__ import annotations

from collections.abc import Callable

from celery import current_app
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# name -> a function answering "ok" or "error: <why>"
_READINESS_CHECKS: dict[str, Callable[[], str]] = {}


def register_readiness_check(name: str, check: Callable[[], str]) -> None:
    _READINESS_CHECKS[name] = check


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _broker() -> str:
    # The project's Celery app (loaded by adminapp.ops at start-up).
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    for name, check in {"database": _database, "broker": _broker, **_READINESS_CHECKS}.items():
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks[name] = f"error: {exc.__class__.__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
