"""The Celery broker on Redis (adminapp.core.redis_broker): Kombu's Redis transport with one
redis-py client per channel — messages still go round whole and acknowledged, and a channel
that replaces its pool (after a connection error) gets a client on the new one."""

from __future__ import annotations

import os
import uuid

import pytest
from kombu import Connection

TRANSPORT = "adminapp.core.redis_broker:Transport"
URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"

redis = pytest.importorskip("redis")


@pytest.fixture
def prefix():
    """This test's own keys in Redis, removed afterwards."""
    prefix = f"adminapp-test-broker-{uuid.uuid4().hex[:8]}:"
    client = redis.Redis.from_url(URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {URL}: {exc}")
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def connect(prefix: str) -> Connection:
    return Connection(URL, transport=TRANSPORT, transport_options={"global_keyprefix": prefix})


def test_messages_go_round_in_order_and_an_acknowledged_one_leaves_nothing_behind(prefix):
    with connect(prefix) as conn:
        assert type(conn.transport).__module__ == "adminapp.core.redis_broker"
        queue = conn.SimpleQueue("jobs")
        for n in range(3):
            queue.put({"n": n})
        client = redis.Redis.from_url(URL)
        got = []
        for _ in range(3):
            message = queue.get(timeout=5)
            got.append(message.payload["n"])
            # Delivered, not yet acknowledged: kept by the transport until the ack.
            assert client.hlen(f"{prefix}unacked") == 1
            message.ack()
            assert client.hlen(f"{prefix}unacked") == 0
            assert client.zcard(f"{prefix}unacked_index") == 0
        queue.close()
        client.close()
        assert got == [0, 1, 2]


def test_a_channel_reuses_one_client_until_its_pool_is_replaced(prefix):
    with connect(prefix) as conn:
        channel = conn.default_channel
        first = channel._create_client()
        assert channel._create_client() is first
        with channel.conn_or_acquire() as client:
            assert client is first
        # The consumer's client (BRPOP) stays Kombu's own, on its own pool.
        assert channel._create_client(asynchronous=True) is not first

        channel._disconnect_pools()  # what Kombu does after a connection error
        second = channel._create_client()
        assert second is not first
        assert second.connection_pool is channel.pool
        assert second.ping()
