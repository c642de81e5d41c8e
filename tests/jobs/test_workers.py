"""A job whose worker process died on this host is taken up again at once — by the reaper,
or by the next worker as it starts — instead of after the heartbeat timeout; on another
host (where nothing can be seen) the heartbeat still decides."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from django.utils import timezone

from adminapp.jobs.engine import job_claim
from adminapp.jobs.models import Job, JobState
from adminapp.jobs.services import jobs_reap, jobs_reap_orphans
from adminapp.jobs.workers import gone, this_worker
from tests.jobs.test_services import make_job

pytestmark = pytest.mark.django_db
HOST = socket.gethostname()


def dead_pid() -> int:
    """The pid of a process that has exited and been waited for."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_process_is_gone_only_when_it_ran_here_and_exited():
    assert gone(f"{HOST}:{dead_pid()}")
    assert not gone(this_worker())
    assert not gone(f"{HOST}:1")  # init: alive
    assert not gone(f"elsewhere-{HOST}:{dead_pid()}")  # another host: cannot tell
    assert not gone("")
    assert not gone(f"{HOST}:not-a-pid")


def test_a_zombie_is_gone():
    """Killed but not yet waited for by its parent: dead all the same."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # exited, left a zombie
    try:
        assert gone(f"{HOST}:{process.pid}")
    finally:
        process.wait()


def test_a_claim_records_the_process_that_runs_the_job(tenant):
    job = job_claim(job_id=make_job(tenant).id)
    assert job.worker == this_worker()


def test_the_reaper_requeues_at_once_a_job_whose_process_is_gone_from_this_host(tenant):
    now = timezone.now()
    dead = make_job(
        tenant, state=JobState.RUNNING, attempts=1, heartbeat_at=now, worker=f"{HOST}:{dead_pid()}"
    )
    alive = make_job(
        tenant, state=JobState.RUNNING, attempts=1, heartbeat_at=now, worker=this_worker()
    )
    remote = make_job(
        tenant, state=JobState.RUNNING, attempts=1, heartbeat_at=now, worker=f"other:{dead_pid()}"
    )

    report = jobs_reap()

    assert report.requeued == [dead.id]
    states = dict(Job.objects.values_list("id", "state"))
    assert (states[dead.id], states[alive.id], states[remote.id]) == (
        "QUEUED",
        "RUNNING",
        "RUNNING",
    )


def test_a_starting_worker_requeues_only_the_orphans_of_this_host(tenant, settings):
    long_ago = timezone.now() - timezone.timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT * 2)
    orphan = make_job(
        tenant,
        state=JobState.RUNNING,
        attempts=1,
        heartbeat_at=timezone.now(),
        worker=f"{HOST}:{dead_pid()}",
    )
    stale_remote = make_job(
        tenant, state=JobState.RUNNING, attempts=1, heartbeat_at=long_ago, worker="other:1"
    )

    report = jobs_reap_orphans()

    assert report.requeued == [orphan.id]  # the remote one waits for beat's reaper
    assert Job.objects.get(id=stale_remote.id).state == JobState.RUNNING
