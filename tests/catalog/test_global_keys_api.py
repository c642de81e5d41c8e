"""/api/v1/global-keys over HTTP: 202 + the job, the job's outcomes, 413 / 422 / 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from adminapp.catalog.services import global_keys
from adminapp.jobs.engine import job_run
from tests.catalog.factories import make_dataset, make_rows
from tests.spaces.factories import make_space

pytestmark = pytest.mark.django_db
API = "/api/v1/global-keys"


def post(client, tenant, path, body, **extra):
    return client.post(
        API + path, data=body, content_type="application/json", **tenant.auth("ADMIN"), **extra
    )


def test_assign_answers_202_with_the_job_and_its_items_say_what_happened(client, tenant):
    rows = make_rows(dataset=make_dataset(space=make_space(tenant, "S")), n=2)
    body = {
        "items": [
            {"data_row_id": rows[0].id, "global_key": "one"},
            {"data_row_id": "dr_missing", "global_key": "two"},
        ]
    }
    response = post(client, tenant, "/assign", body, HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    assert post(client, tenant, "/assign", body, HTTP_IDEMPOTENCY_KEY="k1").json()["id"] == job_id
    job_run(job_id=job_id)

    job = client.get(f"/api/v1/jobs/{job_id}", **tenant.auth("ADMIN")).json()
    assert (job["state"], job["outcome"]) == ("SUCCEEDED", "PARTIAL_SUCCESS")
    assert job["result"]["counts"] == {"SUCCESS": 1, "DATA_ROW_NOT_FOUND": 1}
    errors = client.get(f"/api/v1/jobs/{job_id}/items?status=ERROR", **tenant.auth("ADMIN")).json()[
        "items"
    ]
    assert [(e["key"], e["error_code"]) for e in errors] == [("two", "DATA_ROW_NOT_FOUND")]


def test_more_items_than_a_json_body_takes_is_413_pointing_to_the_file_upload(
    client, tenant, monkeypatch
):
    monkeypatch.setattr(global_keys, "JSON_ITEMS_MAX", 2)
    response = post(client, tenant, "/clear", {"global_keys": ["a", "b", "c"]})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_many_items" and "/file" in error["message"]


def test_wrong_shapes_are_422_and_unknown_jobs_404(client, tenant):
    assert post(client, tenant, "/assign", {"items": [{"data_row_id": 1}]}).status_code == 422
    assert post(client, tenant, "/revert", {"job_id": "job_nope"}).status_code == 404


def test_a_csv_file_is_a_job_and_a_wrong_header_is_422(client, tenant):
    rows = make_rows(dataset=make_dataset(space=make_space(tenant, "S")), n=1)
    good = SimpleUploadedFile("pairs.csv", f"data_row_id,global_key\n{rows[0].id},k\n".encode())
    response = client.post(f"{API}/assign/file", {"file": good}, **tenant.auth("ADMIN"))
    assert response.status_code == 202, response.content
    job_run(job_id=response.json()["id"])
    job = client.get(f"/api/v1/jobs/{response.json()['id']}", **tenant.auth("ADMIN")).json()
    assert job["outcome"] == "SUCCESS" and job["result"]["changed"] == 1

    bad = SimpleUploadedFile("pairs.csv", b"id,key\nx,y\n")
    response = client.post(f"{API}/assign/file", {"file": bad}, **tenant.auth("ADMIN"))
    assert response.status_code == 422


def test_exists_answers_in_input_order(client, tenant):
    make_rows(dataset=make_dataset(space=make_space(tenant, "S")), n=1, keys=["Here"])
    response = post(client, tenant, "/exists", {"global_keys": ["nope", "here"]})
    assert response.json() == {"results": [False, True]}


def test_a_global_keys_file_has_its_own_size_limit_not_the_api_bodies_one(client, tenant, settings):
    """The file variants take files up to GLOBAL_KEYS_FILE_MAX_BYTES, far over the API's
    10 MB for other bodies; over it, a 413 saying both sizes."""
    rows = make_rows(dataset=make_dataset(space=make_space(tenant, "S")), n=1)
    content = f"data_row_id,global_key\n{rows[0].id},k\n".encode() + b"\n" * 4000
    settings.API_MAX_BODY_BYTES = 1000  # smaller than the file: other endpoints refuse it
    settings.GLOBAL_KEYS_FILE_MAX_BYTES = 10_000
    upload = SimpleUploadedFile("pairs.csv", content)
    response = client.post(f"{API}/assign/file", {"file": upload}, **tenant.auth("ADMIN"))
    assert response.status_code == 202, response.content

    settings.GLOBAL_KEYS_FILE_MAX_BYTES = 2000
    upload = SimpleUploadedFile("pairs.csv", content)
    response = client.post(f"{API}/assign/file", {"file": upload}, **tenant.auth("ADMIN"))
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "file_too_large"
    assert error["message"] == f"The file is {len(content):,} bytes; the limit is 2,000."
