"""Jobs (futures): long work on the workers, polled, waited on and aborted."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from adminapp.client.types.common import Page, WireModel

__all__ = [
    "Job",
    "JobCounts",
    "JobError",
    "JobItem",
    "JobItemPage",
    "JobItemStatus",
    "JobKindInfo",
    "JobKindList",
    "JobOutcome",
    "JobPage",
    "JobProgress",
    "JobState",
]


class JobState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    ABORTED = "ABORTED"

    @property
    def is_terminal(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.ABORTED)


class JobOutcome(StrEnum):
    """What a finished job achieved: SUCCESS (no item errors), PARTIAL_SUCCESS (errors and
    at least one result, or aborted after doing some of its work), FAILURE (nothing done,
    or the job failed)."""

    SUCCESS = "SUCCESS"
    PARTIAL_SUCCESS = "PARTIAL_SUCCESS"
    FAILURE = "FAILURE"


class JobItemStatus(StrEnum):
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"


class JobProgress(WireModel):
    done: int = 0
    total: int | None = None
    stage: str = ""
    message: str = ""

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, int(self.done * 100 / self.total))


class JobError(WireModel):
    code: str
    message: str


class JobCounts(WireModel):
    """Per-item outcomes recorded so far."""

    succeeded: int = 0
    failed: int = 0


class Job(WireModel):
    id: str
    kind: str
    label: str = Field("", description="The kind in words, e.g. 'Space deletion'.")
    state: JobState
    outcome: JobOutcome | None = Field(None, description="Set once the job is finished.")
    counts: JobCounts = Field(default_factory=JobCounts)
    progress: JobProgress
    owner: str = Field(description="Label of the principal that started it.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="What it was asked to do (the kind's parameters)."
    )
    makes_file: bool = Field(False, description="Its kind writes a result file when it succeeds.")
    has_result: bool = False
    has_file: bool = Field(False, description="A result file to download (/download).")
    result: dict[str, Any] | None = Field(
        None, description="Summary; omitted by peek. Per-item outcomes are paged separately."
    )
    error: JobError | None = None
    abort_requested: bool = False
    attempts: int = 0
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None


class JobPage(Page[Job]):
    pass


class JobKindInfo(WireModel):
    """A kind of job the server runs (``GET /jobs/kinds``), e.g. for a filter's choices."""

    name: str = Field(description="What ``Job.kind`` and the list's ``kind`` filter say.")
    label: str = Field(description="The kind in words, e.g. 'Space deletion'.")
    makes_file: bool = Field(False, description="Its jobs write a result file to download.")


class JobKindList(WireModel):
    """Every kind of job, sorted by label."""

    kinds: list[JobKindInfo]


class JobItem(WireModel):
    seq: int
    status: JobItemStatus
    key: str = ""
    data: dict[str, Any] = Field(default_factory=dict)
    error_code: str = ""
    message: str = ""


class JobItemPage(Page[JobItem]):
    pass
