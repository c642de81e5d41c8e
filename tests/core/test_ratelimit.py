"""Rate limits count over a sliding window, and sign-in is limited per IP across emails too
(Hardening I #11). The clock is the only thing set by hand here: the limiter is the real one,
on the real cache."""

from __future__ import annotations

import pytest

from adminapp.core import ratelimit
from adminapp.core.errors import RateLimited
from tests.factories import PASSWORD

API = "/api/v1"


class Clock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(6000.0)  # the start of a 60-second window
    monkeypatch.setattr(ratelimit.time, "time", clock.time)
    return clock


def hits(n: int) -> int:
    """How many of ``n`` attempts get through a 10-per-60-seconds limit."""
    allowed = 0
    for _ in range(n):
        try:
            ratelimit.hit("test", "someone", "10/60", message="slow down")
            allowed += 1
        except RateLimited:
            pass
    return allowed


def test_a_burst_across_a_window_boundary_gets_the_limit_once_not_twice(clock):
    clock.now = 6059.5  # the last half second of one window
    assert hits(10) == 10
    clock.now = 6060.5  # the first half second of the next: a fixed window allowed 10 more
    assert hits(10) == 0


def test_the_window_slides_as_time_passes_and_retry_after_says_when(clock):
    clock.now = 6030.0
    assert hits(10) == 10
    with pytest.raises(RateLimited) as exc_info:
        ratelimit.hit("test", "someone", "10/60", message="slow down")
    assert 1 <= exc_info.value.retry_after <= 60
    clock.now = 6130.0  # more than a window later: all of them have slid out
    assert hits(10) == 10


def test_trying_one_password_on_many_accounts_from_one_ip_is_limited(client, tenant, settings):
    settings.RATE_LIMIT_LOGIN_IP = "5/300"
    emails = [f"nobody{n}@example.com" for n in range(5)]
    for email in emails:
        response = client.post(
            f"{API}/auth/login",
            {"email": email, "password": "Spring2026!"},
            content_type="application/json",
        )
        assert response.status_code == 401
    sixth = client.post(
        f"{API}/auth/login",
        {"email": tenant.member.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert sixth.status_code == 429
    assert "your address" in sixth.json()["error"]["message"]
