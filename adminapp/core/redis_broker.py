"""The Celery broker on Redis: Kombu's Redis transport, with one redis-py client per channel.

Kombu's channel builds a new ``redis.Redis`` object for every call that is not the
consumer's BRPOP: each publish, each acknowledgement, each unacked-message bookkeeping
step (``Channel.conn_or_acquire`` → ``_create_client``). Building one costs ~0.1 ms of CPU
with redis-py 8 (its ``__init__`` sets up callbacks and options each time), paid by every
web request that starts a job and two or three times per task in the worker. A redis-py
client holds no connection of its own — each command takes one from the pool the channel
already shares — so the client is built once per channel (again when the channel replaces
its pool after a connection error) and reused; the pool's own fork check still gives a
forked process fresh connections.

Selected in settings with ``CELERY_BROKER_TRANSPORT`` when the broker is ``redis://`` (TLS
``rediss://`` and Sentinel keep Kombu's own transports).
"""

from __future__ import annotations

from kombu.transport import redis


class Channel(redis.Channel):
    _sync_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._sync_client
        # A new pool after a connection error (``_disconnect_pools``): a new client on it.
        if client is None or client.connection_pool is not self.pool:
            client = self._sync_client = super()._create_client()
        return client


class Transport(redis.Transport):
    Channel = Channel
