"""/api/v1/storage over the Django test client: the error bodies, secrets never answered or
audited, keyset pages at a constant number of queries."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from adminapp.audit.models import AuditEvent
from tests.api.helpers import API, api_error
from tests.storage.factories import HMAC, make_bucket_config, make_repo

CONFIGS = f"{API}/storage/bucket-configs"
REPOS = f"{API}/storage/repos"


def _post(client, tenant, path, body, role="ADMIN"):
    return client.post(path, body, content_type="application/json", **tenant.auth(role))


def _patch(client, tenant, path, body, role="ADMIN"):
    return client.patch(path, body, content_type="application/json", **tenant.auth(role))


def test_a_secret_goes_in_and_never_comes_out_or_into_the_audit_log(client, tenant):
    body = {
        "nickname": "primary",
        "uri": "s3://acme-data/team",
        "extra_config": {"region_name": "us-east-1"},
        "auth_config": HMAC,
    }
    created = _post(client, tenant, CONFIGS, body)
    assert created.status_code == 201, created.content
    assert created.json()["auth_config"]["secret_access_key"] == "********"
    assert created.json()["is_default"] is True
    new_secret = {**HMAC, "secret_access_key": "an0ther-s3cret"}
    updated = _patch(client, tenant, f"{CONFIGS}/primary", {"auth_config": new_secret})
    assert updated.status_code == 200, updated.content
    answers = [
        created.content,
        updated.content,
        client.get(f"{CONFIGS}/PRIMARY", **tenant.auth("MEMBER")).content,
        client.get(CONFIGS, **tenant.auth("MEMBER")).content,
    ]
    events = json.dumps(list(AuditEvent.objects.values("details")), default=str)
    for secret in (HMAC["secret_access_key"], "an0ther-s3cret"):
        assert all(secret.encode() not in answer for answer in answers)
        assert secret not in events
    assert AuditEvent.objects.get(action="bucket_config.update").details["changes"] == {
        "secrets": {"replaced": True}
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"nickname": "primary", "uri": "s3://acme data"}, "uri"),
        ({"nickname": "pr", "uri": "gs://acme-data"}, "nickname"),
        ({"nickname": "a/b/c", "uri": "gs://acme-data"}, "nickname"),
        ({"nickname": "primary", "uri": "gs://acme-data", "colour": 1}, "colour"),
        (
            {"nickname": "primary", "uri": "gs://acme-data", "auth_config": {"method": "x"}},
            "auth_config.method",
        ),
        (
            {"nickname": "primary", "uri": "az://acme-data", "auth_config": HMAC},
            "auth_config.method",
        ),
        (
            {
                "nickname": "primary",
                "uri": "gs://acme-data",
                "auth_config": {"method": "hmac", "access_key_id": "A"},
            },
            "auth_config.secret_access_key",
        ),
    ],
)
def test_bad_bucket_configs_are_422_naming_the_field(client, tenant, body, field):
    error = api_error(_post(client, tenant, CONFIGS, body), 422, "validation_error")
    assert field in error["fields"], error


def test_a_config_in_use_is_a_409_listing_its_repos(client, tenant):
    make_bucket_config(tenant)
    make_repo(tenant, "climate")
    make_repo(tenant, "weather")
    response = client.delete(
        f"{CONFIGS}/primary?imsure=true&imreallysure=true", **tenant.auth("ADMIN")
    )
    error = api_error(response, 409, "bucket_config_in_use")
    assert [r["name"] for r in error["details"]["repos"]] == ["climate", "weather"]
    response = _patch(client, tenant, f"{CONFIGS}/primary", {"uri": "s3://elsewhere"})
    assert api_error(response, 409, "bucket_config_in_use")["fields"].keys() == {"uri"}
    unconfirmed = client.delete(f"{CONFIGS}/primary", **tenant.auth("ADMIN"))
    error = api_error(unconfirmed, 422, "validation_error")
    assert set(error["fields"]) == {"imsure", "imreallysure"}


def test_repos_over_http(client, tenant):
    make_bucket_config(tenant)
    created = _post(client, tenant, REPOS, {"name": "climate", "kind": "v1", "metadata": {"a": 1}})
    assert created.status_code == 201, created.content
    assert created.json()["bucket_config"] == "primary"
    again = _post(client, tenant, f"{REPOS}/get-or-create", {"name": "climate"})
    assert (again.status_code, again.json()["id"]) == (200, created.json()["id"])
    mismatch = _post(
        client, tenant, f"{REPOS}/get-or-create", {"name": "climate", "kind": "icechunk"}
    )
    assert api_error(mismatch, 409, "repo_kind_mismatch")["fields"].keys() == {"kind"}
    nested = _post(client, tenant, REPOS, {"name": "x", "metadata": {"a": {"b": 1}}})
    assert "metadata.a" in api_error(nested, 422, "validation_error")["fields"]
    gone = client.delete(f"{REPOS}/climate?imsure=true&imreallysure=true", **tenant.auth("ADMIN"))
    assert gone.status_code == 204
    deleted = client.get(f"{REPOS}?deleted=true", **tenant.auth("MEMBER")).json()["items"]
    assert [(r["name"], r["purge_after"] is not None) for r in deleted] == [("climate", True)]
    restored = _post(client, tenant, f"{REPOS}/climate/restore", {})
    assert (restored.status_code, restored.json()["deleted_at"]) == (200, None)
    listed = client.get(f"{CONFIGS}/primary/repos", **tenant.auth("MEMBER")).json()
    assert [r["name"] for r in listed["items"]] == ["climate"]


def test_space_tokens_and_other_organizations_see_no_storage(client, tenant, other_tenant):
    from tests.spaces.factories import make_space, make_token

    make_bucket_config(tenant)
    _, secret = make_token(tenant, make_space(tenant, "Research"))
    token = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    api_error(client.get(CONFIGS, **token), 404, "not_found")
    api_error(client.get(f"{CONFIGS}/primary", **other_tenant.auth("OWNER")), 404, "not_found")


def _queries(client, tenant, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **tenant.auth("MEMBER"))
    assert response.status_code == 200, response.content
    return len(captured)


def test_list_pages_cost_the_same_queries_whatever_their_length(client, tenant):
    make_bucket_config(tenant)
    make_repo(tenant, "r0")
    client.get(REPOS, **tenant.auth("MEMBER"))  # the key's last_used_at is written once a minute
    few = {p: _queries(client, tenant, p) for p in (REPOS, CONFIGS, f"{CONFIGS}/primary/repos")}
    for i in range(1, 30):
        make_repo(tenant, f"r{i}")
        make_bucket_config(tenant, f"config-{i}", f"gs://bucket-{i}")
    many = {p: _queries(client, tenant, p) for p in few}
    assert many == few
    page = client.get(f"{REPOS}?limit=10", **tenant.auth("MEMBER")).json()
    assert len(page["items"]) == 10 and page["pagination"]["has_more"]
    # a page further in (a cursor) costs what the first page costs, on each list
    for path in few:
        first = client.get(f"{path}?limit=10", **tenant.auth("MEMBER")).json()
        cursor = first["pagination"]["next_cursor"]
        later = client.get(f"{path}?limit=10&cursor={cursor}", **tenant.auth("MEMBER")).json()
        assert later["items"] and later["items"][0]["id"] not in {i["id"] for i in first["items"]}
        deep = _queries(client, tenant, f"{path}?limit=10&cursor={cursor}")
        assert deep == _queries(client, tenant, f"{path}?limit=10") == few[path]
