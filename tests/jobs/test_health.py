"""``GET /api/v1/instance/health`` (``client.instance.health()``): instance admins see the
workers that answer, the work waiting per queue, the reaper's last run and the day's failed
jobs; nobody else does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from adminapp.jobs.models import Job, JobState
from adminapp.jobs.services import job_create
from adminapp.jobs.tasks import reap_jobs
from tests.factories import add_member, make_key, make_tenant, make_user, principal_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def instance_admin(tenant):
    user = add_member(tenant.org, role="MEMBER", user=make_user(superuser=True))
    return {"HTTP_AUTHORIZATION": f"Bearer {make_key(user, tenant.org)}"}, user


def health(client, auth):
    response = client.get("/api/v1/instance/health", **auth)
    assert response.status_code == 200, response.content
    return response.json()


def test_only_instance_admins_see_the_instance_health(client, tenant):
    for role in ("OWNER", "ADMIN", "MEMBER", "ANNOTATOR"):
        response = client.get("/api/v1/instance/health", **tenant.auth(role))
        assert response.status_code == 403, role
        assert response.json()["error"]["code"] == "permission_denied"
    assert client.get("/api/v1/instance/health").status_code == 401


def test_the_days_failures_from_every_organization_are_listed_newest_first(
    client, tenant, instance_admin
):
    auth, _ = instance_admin
    elsewhere = make_tenant("Far Away Ltd")
    now = timezone.now()

    def failed(t, hours_ago, message):
        return Job.objects.create(
            organization=t.org,
            kind="audit_export",
            owner_id=t.owner.id,
            state=JobState.FAILED,
            error_code="crashed",
            error_message=message,
            finished_at=now - timedelta(hours=hours_ago),
        )

    older = failed(tenant, 5, "disk full")
    newer = failed(elsewhere, 1, "bucket gone")
    failed(tenant, 30, "yesterday's news")  # over a day ago: not counted
    body = health(client, auth)
    assert body["failed_last_24h"] == 2
    listed = [
        (f["id"], f["organization_name"], f["error_message"]) for f in body["recent_failures"]
    ]
    assert listed == [
        (newer.id, "Far Away Ltd", "bucket gone"),
        (older.id, tenant.org.name, "disk full"),
    ]
    assert body["recent_failures"][0]["label"] == "Audit log export"


def test_the_reaper_is_late_until_it_runs(client, instance_admin):
    auth, _ = instance_admin
    before = health(client, auth)
    assert before["reaper_last_run_at"] is None and before["reaper_late"] is True
    reap_jobs()
    after = health(client, auth)
    assert after["reaper_last_run_at"] is not None and after["reaper_late"] is False


@pytest.mark.django_db(transaction=True)
def test_waiting_work_is_counted_per_queue_in_the_broker_and_as_job_rows(
    client, worker_queue, instance_admin
):
    from tests.jobs.kinds import Count, CountBulk

    auth, user = instance_admin
    tenant_org = user.org_memberships.get().organization
    actor = principal_for(user, tenant_org)
    first, _ = job_create(actor=actor, kind=Count, params={"n": 1})
    job_create(actor=actor, kind=Count, params={"n": 2})
    job_create(actor=actor, kind=CountBulk, params={"n": 3})
    Job.objects.filter(id=first.id).update(created_at=timezone.now() - timedelta(minutes=10))

    body = health(client, auth)
    queues = {q["name"]: q for q in body["queues"]}
    default, bulk, io = (queues[f"{worker_queue}jobs.{name}"] for name in ("default", "bulk", "io"))
    assert (default["queued_jobs"], bulk["queued_jobs"], io["queued_jobs"]) == (2, 1, 0)
    assert (default["broker_messages"], bulk["broker_messages"], io["broker_messages"]) == (2, 1, 0)
    assert 590 <= default["oldest_queued_age_seconds"] < 900
    assert body["oldest_queued_job_id"] == first.id
    assert body["workers"] == []  # nobody is listening on this test's broker


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_answers_the_ping_and_drains_its_queues(
    client, celery_worker_process, instance_admin
):
    from tests.helpers import wait_for

    auth, _ = instance_admin
    body = health(client, auth)
    assert [w["ok"] for w in body["workers"]] == [True], body["workers"]
    assert all(q["queued_jobs"] == 0 for q in body["queues"])
    celery_worker_process.stop()
    wait_for(lambda: health(client, auth)["workers"] == [], timeout=15)
