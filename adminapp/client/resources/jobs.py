from __future__ import annotations

import time
from collections.abc import Iterator

from adminapp.client._errors import JobTimeoutError
from adminapp.client._jobs import Job
from adminapp.client._pagination import auto_paging
from adminapp.client._transport import Response
from adminapp.client.models import JobItem, JobItemPage, JobItemStatus, JobPage, JobState
from adminapp.client.resources._base import Resource, seg

POLL_INITIAL = 0.2
POLL_FACTOR = 1.1
POLL_MAX = 5.0


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
    ) -> JobPage:
        """Your jobs, newest first; org admins see everyone's unless ``mine=True``."""
        data = self._client.request(
            "GET",
            "/jobs",
            params={"state": state, "kind": kind, "mine": mine, "limit": limit, "cursor": cursor},
        ).json()
        return JobPage(
            items=[Job.bind(item, self._client) for item in data["items"]],
            pagination=data["pagination"],
        )

    def iter(
        self,
        *,
        state: JobState | str | None = None,
        kind: str | None = None,
        mine: bool | None = None,
        limit: int = 50,
    ) -> Iterator[Job]:
        return auto_paging(
            lambda cursor: self.list(state=state, kind=kind, mine=mine, limit=limit, cursor=cursor)
        )

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
        limit: int = 50,
        cursor: str | None = None,
    ) -> JobItemPage:
        """Per-item outcomes (``status="ERROR"`` for the failures only)."""
        return self._get(
            f"/jobs/{seg(job_id)}/items",
            JobItemPage,
            {"status": status, "limit": limit, "cursor": cursor},
        )

    def iter_items(
        self, job_id: str, *, status: JobItemStatus | str | None = None, limit: int = 50
    ) -> Iterator[JobItem]:
        return auto_paging(
            lambda cursor: self.items(job_id, status=status, limit=limit, cursor=cursor)
        )

    def open_download(self, job_id: str) -> Response:
        """The result file as a streamed response: iterate ``iter_bytes()`` and ``close()``
        it (or use it in a ``with`` block). ``NotFoundError`` (code ``no_result_file``) if
        the job has no file."""
        return self._client.request("GET", f"/jobs/{seg(job_id)}/download", stream=True)

    def download(self, job_id: str) -> bytes:
        """The result file's bytes (e.g. an audit export CSV)."""
        with self.open_download(job_id) as response:
            return response.content

    def download_items_csv(self, job_id: str) -> bytes:
        """All item outcomes as CSV."""
        return self._client.request("GET", f"/jobs/{seg(job_id)}/items.csv").content

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
