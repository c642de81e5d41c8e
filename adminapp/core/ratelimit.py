"""Fixed-window rate limits on the shared cache (Redis in production, a file cache on the
embedded default), so every web process counts together."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

from adminapp.core.errors import RateLimited


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/60"`` → 10 hits per 60 seconds."""
    hits, _, seconds = rate.partition("/")
    return int(hits), int(seconds or 60)


def hit(scope: str, ident: str, rate: str, *, message: str) -> None:
    """Count one attempt; raise ``RateLimited`` (429 + Retry-After) past the limit."""
    limit, window = parse_rate(rate)
    now = int(time.time())
    window_start = now - now % window
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"rl:{scope}:{digest}:{window_start}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        raise RateLimited(message, retry_after=max(1, window_start + window - now))
