"""Browsing a repo's objects against the loopback S3 server: keyset pages by key under the
repo's prefix, sizes and dates, and the store's refusals as 502s with a machine code."""

from __future__ import annotations

import socket
import time

import pytest

from tests.api.helpers import API, api_error
from tests.storage.factories import make_bucket_config, make_repo


def _objects(client, tenant, name: str, **query):
    return client.get(f"{API}/storage/repos/{name}/objects", query, **tenant.auth("MEMBER"))


@pytest.fixture
def bucket(s3_server):
    return s3_server.new_bucket()


def _config(tenant, url: str, bucket: str, key: str = "testing", secret: str = "testing"):  # noqa: S107 - moto
    return make_bucket_config(
        tenant,
        "lake",
        f"s3://{bucket}/base",
        extra_config={"endpoint_url": url},
        auth_config={"method": "hmac", "access_key_id": key, "secret_access_key": secret},
    )


def test_objects_are_paged_by_key_under_the_repos_prefix(client, tenant, s3_server, bucket):
    _config(tenant, s3_server.url, bucket)
    make_repo(tenant, "climate", prefix="climate")
    put = s3_server.client().put_object
    keys = [f"day-{i:02}.csv" for i in range(5)] + ["sub/deep.json"]
    for i, key in enumerate(keys):
        put(Bucket=bucket, Key=f"base/climate/{key}", Body=b"x" * i)
    put(Bucket=bucket, Key="base/climate-other/x.csv", Body=b"not mine")
    put(Bucket=bucket, Key="base/other/y.csv", Body=b"not mine")

    first = _objects(client, tenant, "climate", limit=4).json()
    assert [o["key"] for o in first["items"]] == keys[:4]
    assert [o["size"] for o in first["items"]] == [0, 1, 2, 3]
    assert all(o["last_modified"] for o in first["items"])
    assert (first["has_more"], first["next_after"]) == (True, "day-03.csv")
    rest = _objects(client, tenant, "climate", limit=4, after=first["next_after"]).json()
    assert [o["key"] for o in rest["items"]] == keys[4:]
    assert (rest["has_more"], rest["next_after"]) == (False, None)


def test_an_empty_prefix_is_an_empty_page(client, tenant, s3_server, bucket):
    _config(tenant, s3_server.url, bucket)
    make_repo(tenant, "climate")
    assert _objects(client, tenant, "climate").json() == {
        "items": [],
        "has_more": False,
        "next_after": None,
    }


def test_the_stores_refusals_are_502s_saying_what_happened(client, tenant, s3_auth_server):
    bucket = s3_auth_server.new_bucket()
    key, _ = s3_auth_server.users["reader"]
    _config(tenant, s3_auth_server.url, bucket, key=key, secret="wrong")
    make_repo(tenant, "climate")
    error = api_error(_objects(client, tenant, "climate"), 502, "store_bad_credentials")
    assert "secret access key" in error["message"]


def test_an_unreachable_store_is_a_502_at_once(client, tenant):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    _config(tenant, f"http://127.0.0.1:{port}", "some-bucket")
    make_repo(tenant, "climate")
    api_error(_objects(client, tenant, "climate"), 502, "store_unreachable")


def test_bad_paging_input_is_a_422(client, tenant, s3_server, bucket):
    _config(tenant, s3_server.url, bucket)
    make_repo(tenant, "climate")
    api_error(_objects(client, tenant, "climate", limit=0), 422, "validation_error")
    api_error(_objects(client, tenant, "climate", after="k" * 1025), 422, "validation_error")


def test_a_store_that_never_answers_is_a_502_within_the_request_timeout(client, tenant):
    from adminapp.storage.store import REQUEST_TIMEOUTS

    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        _config(tenant, f"http://127.0.0.1:{silent.getsockname()[1]}", "some-bucket")
        make_repo(tenant, "climate")
        started = time.monotonic()
        response = _objects(client, tenant, "climate")
        elapsed = time.monotonic() - started
    api_error(response, 502, "store_timeout")
    assert REQUEST_TIMEOUTS.read <= elapsed < REQUEST_TIMEOUTS.read + REQUEST_TIMEOUTS.connect
