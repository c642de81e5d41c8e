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
    "FailedJobInfo",
    "InstanceHealth",
    "QueueHealth",
    "WorkerHealth",
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


# --- the instance's health (instance admins): what Flower is used for ---------------------
class WorkerHealth(WireModel):
    name: str = Field(description="Celery's node name, e.g. 'celery@host-1'.")
    ok: bool = Field(description="It answered the ping.")


class QueueHealth(WireModel):
    name: str
    broker_messages: int | None = Field(
        None, description="Messages waiting in the broker's queue; null if it could not be read."
    )
    queued_jobs: int = Field(description="Jobs of this queue's kinds waiting to be claimed.")
    oldest_queued_at: datetime | None = None
    oldest_queued_age_seconds: float | None = None


class FailedJobInfo(WireModel):
    id: str
    kind: str
    label: str
    organization_id: str
    organization_name: str
    error_code: str
    error_message: str
    finished_at: datetime | None


class InstanceHealth(WireModel):
    checked_at: datetime
    workers: list[WorkerHealth] = Field(description="Workers that answered the ping.")
    workers_error: str | None = Field(None, description="Why the workers could not be asked.")
    queues: list[QueueHealth]
    oldest_queued_job_id: str | None = None
    oldest_queued_age_seconds: float | None = None
    reaper_last_run_at: datetime | None = Field(
        None, description="When beat's reaper last ran (null: never since the install)."
    )
    reaper_interval_seconds: int
    reaper_late: bool = Field(
        description="The reaper has not run for over three of its intervals: is beat running?"
    )
    failed_last_24h: int
    recent_failures: list[FailedJobInfo] = Field(description="The newest 20 of them.")
