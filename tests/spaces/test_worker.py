"""Deleting a space end to end: the API answers 202 and a real Celery worker empties it."""

from __future__ import annotations

import pytest

from adminapp.jobs.models import Job
from adminapp.spaces.models import Space, SpaceMembership, SpaceToken
from tests.factories import add_member
from tests.helpers import wait_for
from tests.spaces.factories import API, bearer, join, make_space, make_token, predefined

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_deleted_space_is_emptied_by_the_worker(client, tenant, celery_worker_process):
    space = make_space(tenant, "Doomed")
    for _ in range(4):
        join(tenant, space, add_member(tenant.org), predefined("MEMBER"))
    _, secret = make_token(tenant, space, permanent=True)
    make_token(tenant, space)

    response = client.delete(f"{API}/spaces/Doomed", **tenant.auth("ADMIN"))
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert client.get(f"{API}/spaces/{space.id}", **tenant.auth("ADMIN")).status_code == 404
    assert client.get(f"{API}/spaces", **bearer(secret)).status_code == 401

    def finished():
        job = Job.objects.get(id=job_id)
        return job if job.state in ("SUCCEEDED", "FAILED", "ABORTED") else None

    job = wait_for(finished, timeout=60, message="space deletion to finish")
    assert job.state == "SUCCEEDED", (job.error_code, job.error_message)
    assert job.result["deleted"] == {"tokens": 2, "memberships": 4, "data_rows": 0, "datasets": 0}
    assert not Space.objects.filter(id=space.id).exists()
    assert not SpaceMembership.objects.filter(space_id=space.id).exists()
    assert not SpaceToken.objects.filter(space_id=space.id).exists()
    api_job = client.get(f"{API}/jobs/{job_id}", **tenant.auth("ADMIN")).json()
    assert api_job["state"] == "SUCCEEDED" and api_job["result"]["name"] == "Doomed"
