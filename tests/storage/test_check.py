"""The access check job against real S3-compatible servers on loopback (moto): with the stored
credentials it lists at most one object and reports ok, or what the store said in words."""

from __future__ import annotations

import socket
import time

import pytest

from adminapp.client import AdminClient
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job
from adminapp.storage import services, store
from tests.storage.factories import make_bucket_config


def _config(tenant, server_url: str, bucket: str, auth: dict | None, prefix: str = "team"):
    return make_bucket_config(
        tenant,
        "checked",
        f"s3://{bucket}/{prefix}",
        extra_config={"endpoint_url": server_url, "force_path_style": True},
        auth_config=auth,
    )


def _hmac(key: str, secret: str) -> dict:
    return {"method": "hmac", "access_key_id": key, "secret_access_key": secret}


def _check(tenant) -> Job:
    job = services.bucket_config_check(actor=tenant.principal("ADMIN"), nickname="checked")
    job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.state == "SUCCEEDED", (job.error_code, job.error_message)
    return job


def test_good_credentials_list_one_object_under_the_prefix(tenant, s3_server):
    bucket = s3_server.new_bucket()
    _config(tenant, s3_server.url, bucket, _hmac("testing", "testing"))
    empty = _check(tenant)
    assert (empty.outcome, empty.result["ok"], empty.result["objects_seen"]) == ("SUCCESS", True, 0)
    assert "prefix is empty" in empty.result["message"]
    for key in ("team/a.csv", "team/b.csv", "elsewhere/c.csv"):
        s3_server.client().put_object(Bucket=bucket, Key=key, Body=b"x")
    found = _check(tenant)
    assert (found.result["code"], found.result["objects_seen"]) == ("ok", 1)


@pytest.mark.parametrize(
    ("who", "bucket", "code", "words"),
    [
        ("reader", None, "ok", "Listed"),
        ("wrong secret", None, "bad_credentials", "signature does not match"),
        ("unknown key", None, "bad_credentials", "does not know this access key"),
        ("outsider", None, "access_denied", "not allowed to list"),
        ("reader", "no-such-bucket-here", "no_such_bucket", "does not exist"),
    ],
)
def test_the_stores_refusal_is_reported_in_words(tenant, s3_auth_server, who, bucket, code, words):
    users = s3_auth_server.users
    key, secret = {
        "reader": users["reader"],
        "outsider": users["outsider"],
        "wrong secret": (users["reader"][0], "not-the-secret"),
        "unknown key": ("AKIDNOBODYHASTHIS", "whatever"),
    }[who]
    bucket = bucket or s3_auth_server.new_bucket()
    _config(tenant, s3_auth_server.url, bucket, _hmac(key, secret))
    job = _check(tenant)
    assert job.result["code"] == code
    assert words in job.result["message"]
    assert job.outcome == ("SUCCESS" if code == "ok" else "FAILURE")
    assert secret not in str(job.result)


def test_an_unreachable_endpoint_is_reported_within_its_timeout(tenant):
    with socket.socket() as closed:  # a loopback port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    _config(tenant, f"http://127.0.0.1:{port}", "some-bucket", _hmac("k", "s"))
    started = time.monotonic()
    job = _check(tenant)
    assert time.monotonic() - started < store.JOB_TIMEOUTS.connect + store.JOB_TIMEOUTS.read
    assert (job.result["ok"], job.result["code"]) == (False, "unreachable")
    assert f"127.0.0.1:{port}" in job.result["message"]


@pytest.mark.parametrize(
    ("uri", "extra", "auth", "says"),
    [
        ("gs://open-data", {}, None, "S3 and S3-compatible"),
        ("az://open-data", {}, None, "S3 and S3-compatible"),
        (
            "s3://open-data",
            {"region_name": "us-east-1"},
            {"method": "aws_customer_managed_role", "role_arn": "arn:aws:iam::123456789012:role/r"},
            "cannot use aws_customer_managed_role",
        ),
    ],
)
def test_what_cannot_be_checked_says_so_instead_of_succeeding(tenant, uri, extra, auth, says):
    make_bucket_config(tenant, "checked", uri, extra_config=extra, auth_config=auth)
    job = _check(tenant)
    assert (job.outcome, job.result["ok"], job.result["code"]) == (
        "FAILURE",
        False,
        "not_supported",
    )
    assert says in job.result["message"]


@pytest.mark.live
def test_the_sdk_waits_for_a_check_a_worker_runs(
    live_server, tenant, s3_server, celery_worker_process
):
    bucket = s3_server.new_bucket()
    with AdminClient(api_key=tenant.keys["ADMIN"], base_url=live_server.url) as client:
        client.storage.bucket_configs.create(
            nickname="checked",
            uri=f"s3://{bucket}",
            extra_config={"endpoint_url": s3_server.url},
            auth_config=_hmac("testing", "testing"),
        )
        job = client.storage.bucket_configs.check(nickname="checked").wait(timeout=60)
    assert (job.state, job.outcome, job.result["code"]) == ("SUCCEEDED", "SUCCESS", "ok")
