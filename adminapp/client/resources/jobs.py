"""``client.jobs`` and the bound ``Job`` every job-starting call returns."""

from __future__ import annotations

import builtins
import time
from typing import Any

from pydantic import PrivateAttr

from adminapp.client._errors import JobTimeoutError
from adminapp.client._pagination import CursorPage
from adminapp.client._transport import Response
from adminapp.client.resources._base import Requester, Resource, seg
from adminapp.client.types import jobs as wire
from adminapp.client.types.jobs import (
    JobItem,
    JobItemPage,
    JobItemStatus,
    JobKindInfo,
    JobKindList,
    JobPage,
    JobState,
)

POLL_INITIAL = 0.2
POLL_FACTOR = 1.1
POLL_MAX = 5.0


class Job(wire.Job):
    """A job as the SDK returns it (``client.jobs.get``, ``client.audit.export``, ...), bound
    to the client that fetched it, so it can wait, refresh, abort and page its items itself.

    ``wait()`` blocks until the job is terminal and returns it whatever the outcome:
    check ``job.state`` (``SUCCEEDED``, ``FAILED`` with ``job.error``, or ``ABORTED``) and
    ``job.outcome`` (``SUCCESS``, ``PARTIAL_SUCCESS`` with item errors, ``FAILURE``).
    """

    _jobs: Jobs | None = PrivateAttr(default=None)

    @classmethod
    def bind(cls, data: Any, client: Requester) -> Job:
        """Parse ``data`` (a JSON dict or a wire ``Job``) into a ``Job`` bound to ``client``."""
        if isinstance(data, wire.Job):
            data = data.model_dump()
        job = cls.model_validate(data)
        job._jobs = Jobs(client)
        return job

    @property
    def jobs(self) -> Jobs:
        if self._jobs is None:
            raise RuntimeError(
                "This Job is not bound to a client; fetch it with client.jobs.get(job_id)."
            )
        return self._jobs

    @property
    def is_terminal(self) -> bool:
        return self.state.is_terminal

    def _update_from(self, other: wire.Job) -> Job:
        for name in wire.Job.model_fields:
            setattr(self, name, getattr(other, name))
        return self

    def refresh(self) -> Job:
        """Reload this job (with its result) in place; returns it."""
        return self._update_from(self.jobs.get(self.id))

    def wait(self, timeout: float | None = None) -> Job:
        """Block until the job is terminal, update this object and return it.

        Returns on SUCCEEDED, FAILED and ABORTED alike (check ``state``); raises
        ``JobTimeoutError`` (with ``job_id``) if ``timeout`` seconds pass first — the job
        keeps running and ``wait()`` can be called again.
        """
        return self._update_from(self.jobs.wait(self.id, timeout=timeout))

    def abort(self) -> Job:
        """Ask the job to stop (cooperative: it stops between chunks); returns it updated."""
        return self._update_from(self.jobs.abort(self.id))

    def items(
        self,
        *,
        status: JobItemStatus | str | None = None,
        error_code: str | None = None,
        limit: int = 50,
    ) -> CursorPage[JobItem]:
        """Its per-item outcomes (iterate the page for all of them), optionally only one
        ``status`` and/or ``error_code`` (e.g. ``"KEY_TAKEN"``)."""
        return self.jobs.items(self.id, status=status, error_code=error_code, limit=limit)

    def download(self) -> bytes:
        """The job's result file (e.g. an audit export CSV)."""
        return self.jobs.download(self.id)


class Jobs(Resource):
    """Long-running work (futures). Every ``Job`` returned is bound to this client."""

    def _job(self, method: str, path: str) -> Job:
        return Job.bind(self._client.request(method, path).json(), self._client)

    def list(
        self,
        *,
        state: JobState | str | None = None,
        kind: str | None = None,
        mine: bool | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> CursorPage[Job]:
        """Your jobs, newest first (iterate for all of them); org admins see everyone's
        unless ``mine=True``."""
        params = {"state": state, "kind": kind, "mine": mine, "limit": limit, "cursor": cursor}
        return self._page("/jobs", JobPage, params, item=lambda raw: Job.bind(raw, self._client))

    def kinds(self) -> builtins.list[JobKindInfo]:
        """Every kind of job the server runs (``name``, ``label``, ``makes_file``), by label:
        the values ``list(kind=...)`` accepts."""
        return self._get("/jobs/kinds", JobKindList).kinds

    def get(self, job_id: str) -> Job:
        """The job with its ``result``."""
        return self._job("GET", f"/jobs/{seg(job_id)}")

    def peek(self, job_id: str) -> Job:
        """The job's state and progress, cheaply (``result`` is always None)."""
        return self._job("GET", f"/jobs/{seg(job_id)}/peek")

    def abort(self, job_id: str) -> Job:
        """Ask a job to stop; already-finished jobs are returned unchanged."""
        return self._job("POST", f"/jobs/{seg(job_id)}/abort")

    def items(
        self,
        job_id: str,
        *,
        status: JobItemStatus | str | None = None,
        error_code: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> CursorPage[JobItem]:
        """Per-item outcomes in order (``status="ERROR"`` for the failures only,
        ``error_code="KEY_TAKEN"`` for those of one code)."""
        params = {"status": status, "error_code": error_code, "limit": limit, "cursor": cursor}
        return self._page(f"/jobs/{seg(job_id)}/items", JobItemPage, params)

    def open_download(self, job_id: str) -> Response:
        """The result file as a streamed response: iterate ``iter_bytes()`` and ``close()``
        it (or use it in a ``with`` block). ``NotFoundError`` (code ``no_result_file``) if
        the job has no file (``job.has_file`` says whether it has one)."""
        return self._client.request("GET", f"/jobs/{seg(job_id)}/download", stream=True)

    def download(self, job_id: str) -> bytes:
        """The result file's bytes (e.g. an audit export CSV)."""
        with self.open_download(job_id) as response:
            return response.content

    def download_items_csv(
        self,
        job_id: str,
        *,
        status: JobItemStatus | str | None = None,
        error_code: str | None = None,
    ) -> bytes:
        """All item outcomes as CSV (optionally only one ``status`` / ``error_code``)."""
        params = {"status": status, "error_code": error_code}
        return self._client.request("GET", f"/jobs/{seg(job_id)}/items.csv", params=params).content

    def wait(self, job_id: str, *, timeout: float | None = None) -> Job:
        """Block until the job is terminal and return it, fetched with its result.

        Returns whatever the outcome — SUCCEEDED, FAILED (see ``job.error``) or ABORTED —
        so check ``job.state``. Polls ``peek`` every 0.2 s, 10 % longer each time, at most
        5 s apart. With ``timeout`` (seconds), raises ``JobTimeoutError`` carrying
        ``job_id`` once it passes; the job keeps running and waiting can resume with
        ``client.jobs.wait(job_id)``.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = POLL_INITIAL
        while True:
            job = self.peek(job_id)
            if job.state.is_terminal:
                return self.get(job_id)
            pause = delay
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise JobTimeoutError(job_id, timeout, job=job)
                pause = min(delay, remaining)
            time.sleep(pause)
            delay = min(delay * POLL_FACTOR, POLL_MAX)
