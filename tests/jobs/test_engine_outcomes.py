"""The engine's set-based outcome path (``Outcomes``) and its cleanup hook, proved on the
test kind ``test_count_set``, which writes its chunk's JobItems with one ``INSERT … SELECT``
numbered from ``ctx.seq``: numbered in order, counted, exactly once across a lost claim and
a start over; and ``JobKind.cleanup`` once for every way a job can finish."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job, JobItem, JobState
from adminapp.jobs.services import job_abort, job_create, jobs_reap
from tests.jobs.kinds import CLEANED, CountParams, CountSetBased
from tests.jobs.test_engine import applied

pytestmark = pytest.mark.django_db


def start(actor, **params) -> Job:
    job, _ = job_create(actor=actor, kind=CountSetBased, params=CountParams(**params))
    return job


def run(job: Job) -> Job:
    job_run(job_id=job.id)
    job.refresh_from_db()
    return job


def items(job: Job) -> list[JobItem]:
    return list(JobItem.objects.filter(job=job).order_by("seq"))


def test_outcomes_a_kind_writes_itself_are_numbered_in_order_and_counted(tenant):
    job = run(start(tenant.principal("ADMIN"), n=25, per_chunk=10, fail_every=4))

    assert (job.state, job.outcome) == (JobState.SUCCEEDED, "PARTIAL_SUCCESS")
    rows = items(job)
    assert [i.seq for i in rows] == list(range(25))
    assert [i.key for i in rows] == [str(n) for n in range(1, 26)]
    assert [i.data for i in rows[:2]] == [{"item": 1}, {"item": 2}]
    assert {i.key for i in rows if i.status == "ERROR"} == {"4", "8", "12", "16", "20", "24"}
    assert (job.items_succeeded, job.items_failed) == (19, 6)
    assert job.checkpoint["seq"] == 25


def test_set_based_outcomes_are_recorded_once_across_a_lost_claim(tenant):
    job = run(start(tenant.principal("ADMIN"), n=30, per_chunk=10, steal_before_chunk=1))
    assert job.state == JobState.RUNNING  # the first worker lost its claim after chunk 0
    assert [i.seq for i in items(job)] == list(range(10))

    Job.objects.filter(id=job.id).update(
        state=JobState.QUEUED, params={**job.params, "steal_before_chunk": None}
    )
    job = run(job)

    assert job.state == JobState.SUCCEEDED
    assert applied(job) == Counter(range(1, 31))
    assert [i.seq for i in items(job)] == list(range(30))
    assert [i.key for i in items(job)] == [str(n) for n in range(1, 31)]
    assert (job.items_succeeded, job.items_failed) == (30, 0)


def test_a_chunk_that_fails_after_writing_its_outcomes_leaves_none_of_them(tenant):
    job = run(start(tenant.principal("ADMIN"), n=40, per_chunk=10, raise_in_chunk=2))
    assert job.state == JobState.FAILED
    assert [i.seq for i in items(job)] == list(range(20))


@pytest.mark.parametrize(
    ("planted", "state"),
    [
        ({}, JobState.SUCCEEDED),
        ({"raise_in_chunk": 1}, JobState.FAILED),
        ({"abort_in_chunk": 0}, JobState.ABORTED),
    ],
)
def test_the_kind_cleans_up_once_whichever_way_its_worker_finishes_the_job(tenant, planted, state):
    job = run(start(tenant.principal("ADMIN"), n=30, per_chunk=10, **planted))
    assert job.state == state
    assert CLEANED[job.id] == 1


def test_a_lost_worker_does_not_clean_up_the_job_it_no_longer_owns(tenant):
    job = run(start(tenant.principal("ADMIN"), n=30, per_chunk=10, steal_before_chunk=1))
    assert job.state == JobState.RUNNING and CLEANED[job.id] == 0


def test_the_kind_cleans_up_when_a_requeued_job_is_aborted_or_given_up_by_the_reaper(
    tenant, django_capture_on_commit_callbacks
):
    admin = tenant.principal("ADMIN")
    queued = start(admin, n=5)
    with django_capture_on_commit_callbacks(execute=True):
        job_abort(actor=admin, job_id=queued.id)
    assert CLEANED[queued.id] == 1

    stuck = start(admin, n=5)
    Job.objects.filter(id=stuck.id).update(
        state=JobState.RUNNING, attempts=3, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    report = jobs_reap(heartbeat_timeout=60, max_attempts=3)
    assert report.failed == [stuck.id]
    assert CLEANED[stuck.id] == 1
