"""Imports through the API (multipart upload, JSON batches, the body limits) and the SDK's
``import_file`` / ``create_async`` over HTTP against a live server with a real worker."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from adminapp.catalog.models import DataRow
from adminapp.client import AdminClient
from adminapp.client.types import DataRowsImportResult, JobState
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job
from tests.catalog.factories import make_dataset
from tests.spaces.factories import make_space

API = "/api/v1"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def dataset(tenant):
    return make_dataset(space=make_space(tenant, "Imports"), name="Images")


def upload(client, tenant, dataset, data: bytes, name="rows.csv", **form):
    return client.post(
        f"{API}/datasets/{dataset.id}/imports",
        {"file": SimpleUploadedFile(name, data), **form},
        **tenant.auth("ADMIN"),
    )


@pytest.mark.django_db
def test_an_uploaded_file_answers_202_with_the_job_that_imports_it(client, tenant, dataset, media):
    response = upload(
        client, tenant, dataset, b'{"row_data": "a", "global_key": "k 1"}\n', name="x.jsonl"
    )

    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["kind"], job["state"]) == ("data_rows_import", "QUEUED")
    job_run(job_id=job["id"])
    done = client.get(f"{API}/jobs/{job['id']}", **tenant.auth("ADMIN")).json()
    assert done["state"] == "SUCCEEDED" and done["result"]["created"] == 1
    assert DataRow.objects.get(dataset=dataset).global_key == "k 1"


@pytest.mark.django_db
def test_a_bad_format_or_on_invalid_is_422_naming_the_field(client, tenant, dataset, media):
    response = upload(client, tenant, dataset, b"row_data\na\n", format="xml")
    assert response.status_code == 422
    assert "format" in json.dumps(response.json()["error"]["fields"])


@pytest.mark.django_db
def test_an_oversize_upload_is_413_before_it_is_read_and_other_limits_stay(
    client, tenant, dataset, media, settings
):
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(client, tenant, dataset, b"row_data\n" + b"x" * 200_000 + b"\n")

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large" and "IMPORT_MAX_BYTES" in error["message"]
    assert Job.objects.count() == 0
    # a file as large as the other endpoints' limit is fine here ...
    settings.IMPORT_MAX_BYTES = 2 * 1024 * 1024
    settings.API_MAX_BODY_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    assert (
        upload(client, tenant, dataset, b"row_data\n" + b"x" * 200_000 + b"\n").status_code == 202
    )
    # ... and every other endpoint keeps its own
    big = {"name": "n", "description": "x" * 200_000}
    response = client.post(
        f"{API}/spaces", big, content_type="application/json", **tenant.auth("ADMIN")
    )
    assert response.status_code == 413


@pytest.mark.django_db
def test_json_rows_beyond_the_usual_body_limit_are_imported_as_a_job(
    client, tenant, dataset, media, settings
):
    settings.API_MAX_BODY_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    rows = [{"row_data": f"https://x/{i}.jpg", "global_key": f"k-{i}"} for i in range(1500)]
    response = client.post(
        f"{API}/datasets/{dataset.id}/data-rows/async",
        {"rows": rows},
        content_type="application/json",
        **tenant.auth("ADMIN"),
    )

    assert response.status_code == 202, response.content
    job_run(job_id=response.json()["id"])
    assert DataRow.objects.filter(dataset=dataset).count() == 1500


@pytest.mark.django_db
def test_a_read_only_member_cannot_import(client, tenant, dataset, media):
    from tests.spaces.factories import join, predefined

    join(tenant, dataset.space, tenant.member, predefined("READ_ONLY"))
    response = client.post(
        f"{API}/datasets/{dataset.id}/imports",
        {"file": SimpleUploadedFile("rows.csv", b"row_data\na\n")},
        **tenant.auth("MEMBER"),
    )
    assert response.status_code == 403


# --- the SDK, over HTTP, with a real worker ------------------------------------------------
@pytest.mark.live
def test_sdk_import_file_streams_the_file_and_waits_for_the_job(
    live_server, tenant, celery_worker_process, tmp_path, settings
):
    dataset = make_dataset(space=make_space(tenant, "Imports"), name="Images")
    path = tmp_path / "rows.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("row_data,global_key\n")
        for i in range(2000):
            fh.write(f"https://x/{i}.jpg,{'dup' if i in (3, 1500) else f'k-{i}'}\n")
    client = AdminClient(api_key=tenant.keys["ADMIN"], base_url=live_server.url)

    job = client.data_rows.import_file(dataset=dataset.id, path=path, wait=True, timeout=120)

    assert (job.state, job.outcome) == (JobState.SUCCEEDED, "PARTIAL_SUCCESS")
    result = DataRowsImportResult.model_validate(job.result)
    assert (result.rows, result.created, result.failed) == (2000, 1999, 1)
    [error] = list(job.items(status="ERROR"))
    assert (error.key, error.error_code) == ("1502", "DUPLICATE_IN_REQUEST")  # one chunk
    assert DataRow.objects.filter(dataset=dataset).count() == 1999
    assert not any((settings.MEDIA_ROOT / "imports").rglob("*.csv"))  # removed at the end

    later = client.data_rows.create_async(
        dataset=dataset, rows=[{"row_data": "more"}], wait=True, timeout=60
    )
    assert later.outcome == "SUCCESS"
    client.close()
