"""The job-latency baseline: a bare Celery task that only records when it started.

Loaded into the real worker with ``celery -A adminapp.celery_app worker -I bench.noop_task``.
The start time (``time.time()``, the same clock the publisher reads) is pushed to a Redis list
the benchmark waits on, so publish → start is measured without any database work.
"""

from __future__ import annotations

import time

import redis
from celery import shared_task

_redis: redis.Redis | None = None


def result_key(token: str) -> str:
    return f"bench:noop:{token}"


@shared_task(name="bench.noop", ignore_result=True)
def noop(token: str) -> None:
    started = time.time()
    global _redis
    if _redis is None:
        from django.conf import settings

        _redis = redis.Redis.from_url(settings.REDIS_URL)
    key = result_key(token)
    _redis.rpush(key, repr(started))
    _redis.expire(key, 300)
