"""Files through Django's storage API in an S3-compatible bucket (a real moto server on
loopback): an export's result file, an import's upload and a global-key input file all land
in the bucket, are served or read from it, and the inputs are gone when their jobs end."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from adminapp.catalog.models import DataRow
from adminapp.client.types import AuditFilterParams
from adminapp.exports.services import audit_export_start
from adminapp.jobs import probes
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job
from tests.catalog.factories import make_dataset, make_rows
from tests.spaces.factories import make_space

pytestmark = pytest.mark.django_db


def test_an_export_is_written_into_the_bucket_and_downloaded_from_it(
    client, tenant, settings, tmp_path, s3_server, s3_bucket
):
    settings.MEDIA_ROOT = tmp_path / "worker-scratch"
    job = audit_export_start(actor=tenant.principal(), filters=AuditFilterParams())
    job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.state == "SUCCEEDED", job.error_message
    assert s3_server.keys(s3_bucket) == [f"exports/audit-{job.id}.csv"]
    assert not any(settings.MEDIA_ROOT.rglob("*.csv"))  # the local partial moved up

    api = client.get(f"/api/v1/jobs/{job.id}", **tenant.auth("ADMIN")).json()
    assert api["has_file"] is True
    response = client.get(f"/api/v1/jobs/{job.id}/download", **tenant.auth("ADMIN"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == s3_server.read(s3_bucket, f"exports/audit-{job.id}.csv")
    header, *rows = list(csv.reader(io.StringIO(body.decode())))
    assert header[0] == "id" and rows  # the tenant's setup left events to export


def test_an_import_upload_lands_in_the_bucket_and_is_removed_once_imported(
    client, tenant, s3_server, s3_bucket
):
    dataset = make_dataset(space=make_space(tenant, "Bucketed"))
    upload = SimpleUploadedFile("rows.csv", b"row_data,global_key\nhttps://x/1.jpg,b-1\nb,b-2\n")
    response = client.post(
        f"/api/v1/datasets/{dataset.id}/imports", {"file": upload}, **tenant.auth("ADMIN")
    )
    assert response.status_code == 202, response.content
    [stored] = s3_server.keys(s3_bucket)
    assert s3_server.read(s3_bucket, stored).startswith(b"row_data,global_key")

    job_run(job_id=response.json()["id"])
    job = Job.objects.get(id=response.json()["id"])
    assert (job.state, job.outcome) == ("SUCCEEDED", "SUCCESS")
    assert sorted(DataRow.objects.values_list("global_key", flat=True)) == ["b-1", "b-2"]
    assert s3_server.keys(s3_bucket) == []


def test_a_global_keys_file_is_read_from_the_bucket(client, tenant, s3_server, s3_bucket):
    [row] = make_rows(dataset=make_dataset(space=make_space(tenant, "Keys")), n=1)
    upload = SimpleUploadedFile("pairs.csv", f"data_row_id,global_key\n{row.id},k-9\n".encode())
    response = client.post(
        "/api/v1/global-keys/assign/file", {"file": upload}, **tenant.auth("ADMIN")
    )
    assert response.status_code == 202, response.content
    assert len(s3_server.keys(s3_bucket)) == 1

    job_run(job_id=response.json()["id"])
    row.refresh_from_db()
    assert row.global_key == "k-9"
    assert s3_server.keys(s3_bucket) == []


def test_with_files_in_a_bucket_a_worker_elsewhere_is_no_readiness_problem(
    settings, tmp_path, s3_bucket
):
    settings.MEDIA_ROOT = tmp_path / "worker-machine"
    probes.write_probe("worker@elsewhere")
    settings.MEDIA_ROOT = tmp_path / "web-machine"  # not shared, and it need not be
    assert probes.media_readiness() == "ok"
