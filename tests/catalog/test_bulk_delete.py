"""Deleting many data rows as a job: each id deleted once or said why not, row counts exact,
keys free again, the input file gone when the job ends."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from adminapp.catalog import jobs as catalog_jobs
from adminapp.catalog.models import DataRow, Dataset
from adminapp.catalog.services import rows_bulk
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job, JobItem
from tests.catalog.factories import make_dataset, make_rows
from tests.spaces.factories import join, make_space, predefined

pytestmark = pytest.mark.django_db


def post(client, tenant, ids, role="ADMIN", **headers):
    return client.post(
        "/api/v1/data-rows/delete",
        {"data_row_ids": ids},
        content_type="application/json",
        **tenant.auth(role),
        **headers,
    )


def test_each_id_is_deleted_or_said_why_not_in_chunks(client, tenant, monkeypatch):
    monkeypatch.setattr(catalog_jobs, "ROWS_DELETE_CHUNK", 3)
    mine = make_dataset(space=make_space(tenant, "Mine"), name="Mine")
    theirs_space = make_space(tenant, "Theirs")
    theirs = make_dataset(space=theirs_space, name="Theirs")
    rows = make_rows(dataset=mine, n=5, keys=["k-0", "k-1", None, None, "k-4"])
    [other] = make_rows(dataset=theirs, n=1, keys=["k-other"])
    # A MEMBER who may write in "Mine" only.
    join(tenant, mine.space, tenant.member, predefined("MEMBER"))
    join(tenant, theirs_space, tenant.member, predefined("READ_ONLY"))
    ids = [rows[0].id, rows[1].id, rows[0].id, "dr_missing", other.id, rows[2].id, rows[4].id]

    response = post(client, tenant, ids, role="MEMBER")
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    job_run(job_id=job_id)

    job = Job.objects.get(id=job_id)
    assert (job.state, job.outcome) == ("SUCCEEDED", "PARTIAL_SUCCESS")
    assert job.result == {"deleted": 4, "not_deleted": 3}
    outcomes = list(
        JobItem.objects.filter(job_id=job_id).order_by("seq").values_list("key", "error_code")
    )
    assert outcomes == [
        (rows[0].id, ""),
        (rows[1].id, ""),
        (rows[0].id, "DUPLICATE_IN_REQUEST"),
        ("dr_missing", "DATA_ROW_NOT_FOUND"),
        (other.id, "ACCESS_DENIED"),
        (rows[2].id, ""),
        (rows[4].id, ""),
    ]
    assert list(DataRow.objects.filter(dataset=mine).values_list("id", flat=True)) == [rows[3].id]
    assert Dataset.objects.get(id=mine.id).row_count == 1
    assert DataRow.objects.filter(id=other.id).exists()
    make_rows(dataset=mine, n=1, keys=["K-0"])  # the deleted rows' keys are free again
    assert not default_storage.exists(job.params["input"])


def test_an_id_repeated_in_a_later_chunk_is_not_found_the_second_time(client, tenant, monkeypatch):
    monkeypatch.setattr(catalog_jobs, "ROWS_DELETE_CHUNK", 2)
    [row] = make_rows(dataset=make_dataset(space=make_space(tenant, "S")), n=1)
    response = post(client, tenant, [row.id, "dr_x", row.id])
    job_run(job_id=response.json()["id"])
    codes = list(
        JobItem.objects.filter(job_id=response.json()["id"])
        .order_by("seq")
        .values_list("error_code", flat=True)
    )
    assert codes == ["", "DATA_ROW_NOT_FOUND", "DATA_ROW_NOT_FOUND"]


def test_limits_roles_and_retries(client, tenant, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # to count the input files this test leaves
    [row] = make_rows(dataset=make_dataset(space=make_space(tenant, "S")), n=1)
    monkeypatch.setattr(rows_bulk, "DELETE_MANY_MAX", 2)
    too_many = post(client, tenant, ["a", "b", "c"])
    assert too_many.status_code == 413
    assert too_many.json()["error"]["code"] == "too_many_items"
    assert post(client, tenant, []).status_code == 422
    # An annotator may write nowhere: refused before a job is made.
    assert post(client, tenant, [row.id], role="ANNOTATOR").status_code == 403

    first = post(client, tenant, [row.id], HTTP_IDEMPOTENCY_KEY="del-1")
    again = post(client, tenant, [row.id], HTTP_IDEMPOTENCY_KEY="del-1")
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["id"] == first.json()["id"]
    other = post(client, tenant, ["dr_other"], HTTP_IDEMPOTENCY_KEY="del-1")
    assert other.status_code == 409
    assert Job.objects.filter(kind="data_rows_delete").count() == 1
    inputs = default_storage.listdir(catalog_jobs.DELETE_INPUTS)[1]
    assert len(inputs) == 1  # the retries' copies were not kept
