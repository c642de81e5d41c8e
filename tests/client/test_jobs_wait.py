"""``jobs.wait`` polling and its timeout, against a scripted server playing a job's life
(the live jobs engine is exercised in test_sdk_live.py)."""

from __future__ import annotations

import pytest

from adminapp.client import AdminClient, Job, JobTimeoutError
from adminapp.client.types import JobState
from tests.client.scripted_server import Received, Reply, ScriptedServer
from tests.client.test_retries import JOB


@pytest.fixture
def server():
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


def job_life(states: list[str], *, final_result: dict | None = None):
    """Peeks walk through ``states`` (the last repeats); GET returns the last with a result."""
    peeks = iter(states)
    last = {"state": states[0]}

    def respond(request: Received) -> Reply:
        if request.path.endswith("/peek"):
            last["state"] = next(peeks, last["state"])
            return Reply(200, json={**JOB, "state": last["state"]})
        return Reply(200, json={**JOB, "state": last["state"], "result": final_result})

    return respond


def test_wait_polls_peek_with_growing_delays_and_returns_the_job_with_its_result(server):
    server.responder = job_life(
        ["QUEUED", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"], final_result={"rows": 3}
    )
    client = AdminClient(api_key="adm_x", base_url=server.url)

    job = client.jobs.wait("job_1")

    assert isinstance(job, Job)
    assert job.state == JobState.SUCCEEDED
    assert job.result == {"rows": 3}
    paths = [r.path for r in server.received]
    assert paths == ["/api/v1/jobs/job_1/peek"] * 5 + ["/api/v1/jobs/job_1"]
    gaps = [b.at - a.at for a, b in zip(server.received[:5], server.received[1:5], strict=False)]
    assert 0.18 <= gaps[0] < 0.5  # 200 ms
    assert gaps[-1] > gaps[0] * 1.15  # ×1.1 per poll: 0.2, 0.22, 0.242, 0.266


def test_wait_returns_failed_and_aborted_jobs_instead_of_raising(server):
    client = AdminClient(api_key="adm_x", base_url=server.url)
    for state in ("FAILED", "ABORTED"):
        server.responder = job_life(["RUNNING", state])
        assert client.jobs.wait("job_1").state == state


def test_wait_timeout_raises_job_timeout_error_carrying_the_job_id(server):
    server.responder = job_life(["RUNNING"])
    client = AdminClient(api_key="adm_x", base_url=server.url)

    with pytest.raises(JobTimeoutError) as exc_info:
        client.jobs.wait("job_1", timeout=0.5)

    err = exc_info.value
    assert err.job_id == "job_1"
    assert err.timeout == 0.5
    assert err.job.state == JobState.RUNNING
    assert "client.jobs.wait('job_1')" in str(err)
    assert not any(r.path == "/api/v1/jobs/job_1" for r in server.received)  # never fetched


def test_waiting_can_resume_after_a_timeout(server):
    states = ["RUNNING"] * 6 + ["SUCCEEDED"]
    server.responder = job_life(states)
    client = AdminClient(api_key="adm_x", base_url=server.url)

    with pytest.raises(JobTimeoutError) as exc_info:
        client.jobs.wait("job_1", timeout=0.3)
    job = client.jobs.wait(exc_info.value.job_id)

    assert job.state == JobState.SUCCEEDED


def test_a_bound_job_waits_refreshes_and_aborts_itself(server):
    server.responder = job_life(["RUNNING", "RUNNING", "SUCCEEDED"], final_result={"ok": True})
    client = AdminClient(api_key="adm_x", base_url=server.url)
    job = client.jobs.peek("job_1")

    same = job.wait(timeout=10)

    assert same is job
    assert job.state == JobState.SUCCEEDED and job.result == {"ok": True}

    server.responder = lambda r: Reply(
        200, json={**JOB, "state": "RUNNING", "abort_requested": True}
    )
    assert job.abort().abort_requested is True
    assert server.received[-1].method == "POST"
    assert server.received[-1].path == "/api/v1/jobs/job_1/abort"


def test_job_lists_hold_bound_jobs(server):
    server.script(
        Reply(200, json={"items": [JOB], "pagination": {"has_more": True, "next_cursor": "c1"}}),
        Reply(200, json={"items": [{**JOB, "id": "job_2"}], "pagination": {"has_more": False}}),
    )
    client = AdminClient(api_key="adm_x", base_url=server.url)

    jobs = list(client.jobs.list(state="RUNNING", mine=True, limit=1))

    assert [j.id for j in jobs] == ["job_1", "job_2"]
    assert all(isinstance(j, Job) and j.jobs._client is client for j in jobs)
    assert server.received[0].query == {"state": ["RUNNING"], "mine": ["true"], "limit": ["1"]}
    assert server.received[1].query["cursor"] == ["c1"]


def test_an_unbound_job_says_how_to_get_a_bound_one():
    job = Job.model_validate(JOB)

    with pytest.raises(RuntimeError, match="client.jobs.get"):
        job.refresh()
