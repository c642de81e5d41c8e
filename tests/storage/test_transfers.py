"""Exporting a dataset's rows to a repo as JSONL (a streamed multipart upload) and importing
the CSV / JSONL objects under a repo's prefix (one catalog import job per object), against
the loopback S3 server."""

from __future__ import annotations

import json

import pytest

from adminapp.catalog.models import DataRow
from adminapp.catalog.services import data_rows_create
from adminapp.core.errors import Conflict, PermissionDenied, ValidationFailed
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job, JobItem
from adminapp.storage.services import repo_export_dataset, repo_import_rows
from adminapp.storage.transfers import EXPORT_PART_BYTES
from tests.catalog.factories import make_dataset, make_rows
from tests.spaces.factories import make_space
from tests.storage.factories import make_bucket_config, make_repo


@pytest.fixture
def lake(tenant, s3_server, settings, tmp_path):
    """A repo ``climate`` under s3://<bucket>/base/climate/ and a dataset in a space."""
    settings.MEDIA_ROOT = tmp_path / "media"  # the import jobs' copies of the objects
    bucket = s3_server.new_bucket()
    make_bucket_config(
        tenant,
        "lake",
        f"s3://{bucket}/base",
        extra_config={"endpoint_url": s3_server.url},
        auth_config={"method": "hmac", "access_key_id": "testing", "secret_access_key": "testing"},
    )
    make_repo(tenant, "climate", prefix="climate")
    dataset = make_dataset(space=make_space(tenant, "Research"), name="Frames")
    return bucket, dataset


def _run(job: Job) -> Job:
    job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.state == "SUCCEEDED", (job.error_code, job.error_message)
    return job


def test_a_dataset_is_exported_as_jsonl_under_the_repos_prefix(tenant, s3_server, lake):
    bucket, dataset = lake
    rows = make_rows(dataset=dataset, n=5, keys=["k0", None, "k2", None, None])
    job = repo_export_dataset(
        actor=tenant.principal("ADMIN"), name="climate", dataset_id=dataset.id, object_name="frames"
    )
    job = _run(job)
    key = "base/climate/frames.jsonl"
    assert job.result == {
        "uri": f"s3://{bucket}/{key}",
        "rows": 5,
        "bytes": job.result["bytes"],
        "parts": 1,
    }
    lines = s3_server.read(bucket, key).decode().splitlines()
    exported = [json.loads(line) for line in lines]
    assert exported == [
        {
            "row_data": r.row_data,
            "external_id": r.external_id,
            **({"global_key": r.global_key} if r.global_key else {}),
        }
        for r in rows
    ]
    assert job.result["bytes"] == sum(len(line) + 1 for line in lines)


def test_a_large_export_streams_in_parts(tenant, s3_server, lake):
    bucket, dataset = lake
    owner = tenant.principal("OWNER")
    n = EXPORT_PART_BYTES // 4000 + 600  # ~4 KB rows: one part of 2,500 and a last one
    for start in range(0, n, 1000):
        rows = [{"row_data": f"{i:06d}" + "x" * 4000} for i in range(start, min(n, start + 1000))]
        data_rows_create(actor=owner, dataset_id=dataset.id, rows=rows)
    job = _run(repo_export_dataset(actor=owner, name="climate", dataset_id=dataset.id))
    assert (job.result["rows"], job.result["parts"]) == (n, 2)
    body = s3_server.read(bucket, f"base/climate/{dataset.id}.jsonl")
    assert [json.loads(line)["row_data"][:6] for line in body.splitlines()] == [
        f"{i:06d}" for i in range(n)
    ]


def test_an_empty_dataset_exports_an_empty_object(tenant, s3_server, lake):
    bucket, dataset = lake
    job = _run(
        repo_export_dataset(actor=tenant.principal("ADMIN"), name="climate", dataset_id=dataset.id)
    )
    assert job.result["rows"] == 0
    assert s3_server.read(bucket, f"base/climate/{dataset.id}.jsonl") == b""


def test_objects_under_the_prefix_are_imported_by_the_catalogs_import_job(tenant, s3_server, lake):
    bucket, dataset = lake
    put = s3_server.client().put_object
    put(
        Bucket=bucket,
        Key="base/climate/in/a.csv",
        Body=b"row_data,global_key\nhttps://e.com/1,g1\n",
    )
    put(
        Bucket=bucket,
        Key="base/climate/in/b.jsonl",
        Body=b'{"row_data": "https://e.com/2"}\n{"row_data": "https://e.com/3", "global_key": "g1"}\n',
    )
    put(Bucket=bucket, Key="base/climate/in/empty.csv", Body=b"")
    put(Bucket=bucket, Key="base/climate/in/notes.txt", Body=b"not rows")
    put(Bucket=bucket, Key="base/climate/other/c.csv", Body=b"row_data\nhttps://e.com/x\n")
    job = _run(
        repo_import_rows(
            actor=tenant.principal("ADMIN"), name="climate", dataset_id=dataset.id, prefix="in"
        )
    )
    assert job.result == {"objects": 4, "started": 2, "refused": 1, "skipped": 1}
    items = {i.key: i for i in JobItem.objects.filter(job=job)}
    assert (
        items["base/climate/in/notes.txt"].error_code,
        items["base/climate/in/empty.csv"].error_code,
    ) == ("SKIPPED", "validation_error")
    imports = [
        Job.objects.get(id=items[f"base/climate/in/{k}"].data["import_job_id"])
        for k in ("a.csv", "b.jsonl")
    ]
    for imported in imports:
        _run(imported)
    assert sorted(DataRow.objects.filter(dataset=dataset).values_list("row_data", flat=True)) == [
        "https://e.com/1",
        "https://e.com/2",
    ]
    [refused] = JobItem.objects.filter(job=imports[1], status="ERROR")
    assert refused.error_code == "KEY_TAKEN"  # the catalog's one duplicate-key policy


def test_transfers_are_refused_at_once_when_they_cannot_work(tenant, lake):
    _, dataset = lake
    admin, member = tenant.principal("ADMIN"), tenant.principal("MEMBER")
    with pytest.raises(ValidationFailed) as info:
        repo_export_dataset(actor=admin, name="climate", dataset_id=dataset.id, object_name="../x")
    assert list(info.value.fields) == ["object_name"]
    with pytest.raises(PermissionDenied):
        repo_export_dataset(actor=member, name="climate", dataset_id=dataset.id)
    make_bucket_config(tenant, "gcs", "gs://open-data", extra_config={})
    make_repo(tenant, "on-gcs", bucket_config_nickname="gcs")
    with pytest.raises(Conflict) as info:
        repo_import_rows(actor=admin, name="on-gcs", dataset_id=dataset.id)
    assert info.value.code == "store_not_supported"
    assert not Job.objects.filter(
        kind__in=["dataset_export", "data_rows_import_from_repo"]
    ).exists()


@pytest.mark.live
def test_the_sdk_exports_and_imports_through_a_worker(
    live_server, tenant, s3_server, celery_worker_process
):
    from adminapp.client import AdminClient

    bucket = s3_server.new_bucket()
    with AdminClient(api_key=tenant.keys["ADMIN"], base_url=live_server.url) as client:
        client.storage.bucket_configs.create(
            nickname="lake",
            uri=f"s3://{bucket}",
            extra_config={"endpoint_url": s3_server.url},
            auth_config={
                "method": "hmac",
                "access_key_id": "testing",
                "secret_access_key": "testing",
            },
        )
        client.storage.repos.create(name="climate", prefix="climate")
        client.spaces.create(name="Research")
        source = client.datasets.create(space="Research", name="Source")
        client.data_rows.create(dataset=source, rows=[{"row_data": f"r{i}"} for i in range(3)])
        exported = client.storage.repos.export_dataset(
            name="climate", dataset=source, object_name="rows"
        ).wait(timeout=60)
        assert (exported.outcome, exported.result["rows"]) == ("SUCCESS", 3)

        target = client.datasets.create(space="Research", name="Target")
        started = client.storage.repos.import_rows(name="climate", dataset=target).wait(timeout=60)
        [item] = started.items()
        assert item.key == "climate/rows.jsonl"
        client.jobs.get(item.data["import_job_id"]).wait(timeout=60)
        assert client.datasets.get(target.id).row_count == 3
