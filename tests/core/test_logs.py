"""Every log line says which request, organization, principal and job it belongs to; with
LOG_FORMAT=json it is one JSON object per line (Hardening I #4)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from adminapp.core.logs import ContextFilter, JsonFormatter
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job
from adminapp.jobs.services import job_create
from tests.jobs.kinds import Count

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """What the console handler would write with LOG_FORMAT=json, as parsed objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def test_a_request_sent_with_an_x_request_id_has_it_on_its_log_lines(client, tenant, json_lines):
    response = client.get(
        "/api/v1/spaces/Nowhere",
        HTTP_X_REQUEST_ID="trace-0123456789",
        **tenant.auth("ADMIN"),
    )
    assert response.status_code == 404
    line = next(li for li in json_lines() if li["logger"] == "django.request")
    assert line["request_id"] == "trace-0123456789"
    assert (line["org_id"], line["principal"]) == (tenant.org.id, tenant.admin.id)
    assert line["level"] == "WARNING" and "Not Found" in line["message"]


def test_a_jobs_log_lines_carry_its_id_org_owner_and_the_request_that_started_it(
    tenant, json_lines
):
    actor = tenant.principal("ADMIN").with_request(ip=None, request_id="req-started-it")
    job, _ = job_create(actor=actor, kind=Count, params={"n": 20, "steal_before_chunk": 1})
    job_run(job_id=job.id)  # loses its claim before chunk 1: the engine logs a warning
    Job.objects.filter(id=job.id).update(state="SUCCEEDED")
    job_run(job_id=job.id)  # not claimable: logged too

    lines = [li for li in json_lines() if li["logger"] == "adminapp.jobs"]
    assert len(lines) == 2
    lost, skipped = lines
    assert "lost its claim" in lost["message"]
    assert (lost["job_id"], lost["org_id"], lost["principal"], lost["request_id"]) == (
        job.id,
        tenant.org.id,
        tenant.admin.id,
        "req-started-it",
    )
    assert skipped["job_id"] == job.id and "not claimable" in skipped["message"]


def test_the_text_format_carries_the_same_fields(settings):
    from django.conf import settings as live

    text = live.LOGGING["formatters"]["text"]["format"]
    for field in ("request_id", "org_id", "principal", "job_id"):
        assert f"%({field})s" in text
