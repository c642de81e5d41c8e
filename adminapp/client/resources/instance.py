"""``client.instance``: the instance as a whole, for instance admins."""

from __future__ import annotations

from adminapp.client.resources._base import Resource
from adminapp.client.types.jobs import InstanceHealth


class Instance(Resource):
    def health(self) -> InstanceHealth:
        """Workers answering the ping, work waiting per queue (broker messages and QUEUED
        jobs), the oldest waiting job's age, beat's reaper's last run and the jobs that
        failed in the last 24 hours. Instance admins only (403 otherwise)."""
        return self._get("/instance/health", InstanceHealth)
