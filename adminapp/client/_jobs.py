"""``Job``: the wire job bound to the client that fetched it, so it can wait, refresh,
abort and page its items itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import PrivateAttr

from adminapp.client import models as wire

if TYPE_CHECKING:
    from adminapp.client._client import AdminClient


class Job(wire.Job):
    """A job as returned by the SDK (``client.jobs.get``, ``client.audit.export``, ...).

    ``wait()`` blocks until the job is terminal and returns it whatever the outcome:
    check ``job.state`` (``SUCCEEDED``, ``FAILED`` with ``job.error``, or ``ABORTED``).
    """

    _client: AdminClient | None = PrivateAttr(default=None)

    @classmethod
    def bind(cls, data: Any, client: AdminClient) -> Job:
        """Parse ``data`` (a JSON dict or a wire ``Job``) into a ``Job`` bound to ``client``."""
        if isinstance(data, wire.Job):
            data = data.model_dump()
        job = cls.model_validate(data)
        job._client = client
        return job

    @property
    def client(self) -> AdminClient:
        if self._client is None:
            raise RuntimeError(
                "This Job is not bound to a client; fetch it with client.jobs.get(job_id)."
            )
        return self._client

    @property
    def is_terminal(self) -> bool:
        return self.state.is_terminal

    def _update_from(self, other: wire.Job) -> Job:
        for name in wire.Job.model_fields:
            setattr(self, name, getattr(other, name))
        return self

    def refresh(self) -> Job:
        """Reload this job (with its result) in place; returns it."""
        return self._update_from(self.client.jobs.get(self.id))

    def wait(self, timeout: float | None = None) -> Job:
        """Block until the job is terminal, update this object and return it.

        Returns on SUCCEEDED, FAILED and ABORTED alike (check ``state``); raises
        ``JobTimeoutError`` (with ``job_id``) if ``timeout`` seconds pass first — the job
        keeps running and ``wait()`` can be called again.
        """
        return self._update_from(self.client.jobs.wait(self.id, timeout=timeout))

    def abort(self) -> Job:
        """Ask the job to stop (cooperative: it stops between chunks); returns it updated."""
        return self._update_from(self.client.jobs.abort(self.id))

    def items(
        self,
        *,
        status: wire.JobItemStatus | str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> wire.JobItemPage:
        return self.client.jobs.items(self.id, status=status, limit=limit, cursor=cursor)

    def iter_items(
        self, *, status: wire.JobItemStatus | str | None = None, limit: int = 50
    ) -> Iterator[wire.JobItem]:
        return self.client.jobs.iter_items(self.id, status=status, limit=limit)

    def download(self) -> bytes:
        """The job's result file (e.g. an audit export CSV)."""
        return self.client.jobs.download(self.id)
