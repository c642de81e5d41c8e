"""Small helpers shared by the API tests of accounts, audit and the framework."""

from __future__ import annotations

import time

API = "/api/v1"


def api_error(response, status: int, code: str) -> dict:
    """Assert the standard error body and return its ``error`` object."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == {"code", "message", "fields", "details", "request_id"}
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    assert response["X-Request-ID"] == error["request_id"]
    return error


def away_from_window_edge(window: int, margin: float = 3.0) -> None:
    """Fixed-window rate limits reset on multiples of ``window`` seconds; start a burst of
    attempts well inside one window so the count cannot straddle a reset."""
    into = time.time() % window
    if into > window - margin:
        time.sleep(window - into + 0.1)
