"""Sliding-window rate limits on the shared cache (Redis in production, a file cache on the
embedded default), so every web process counts together.

Each window's hits are counted under their own key, and a hit is judged by the hits of the
last ``seconds`` as the sliding-window counter estimates them: this window's count plus the
previous window's, weighted by how much of it still lies within the last ``seconds``. A burst
straddling a window boundary therefore gets the limit once, not twice as a fixed window
would allow.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.core.cache import cache

from adminapp.core.errors import RateLimited


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/60"`` → 10 hits per 60 seconds."""
    hits, _, seconds = rate.partition("/")
    return int(hits), int(seconds or 60)


def _count(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def hit(scope: str, ident: str, rate: str, *, message: str) -> None:
    """Count one attempt; raise ``RateLimited`` (429 + Retry-After) past the limit."""
    limit, window = parse_rate(rate)
    now = time.time()
    current = int(now // window)
    into = now - current * window  # seconds into the current window
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    count = _count(f"rl:{scope}:{digest}:{current}", timeout=2 * window + 5)
    previous = cache.get(f"rl:{scope}:{digest}:{current - 1}", 0)
    carried = previous * (window - into) / window  # the part of it still in the last window
    if count + carried > limit:
        if count > limit or not previous:
            wait = window - into  # nothing helps before the next window
        else:  # until enough of the previous window has slid out
            wait = window - into - (limit - count) * window / previous
        raise RateLimited(message, retry_after=max(1, math.ceil(wait)))
