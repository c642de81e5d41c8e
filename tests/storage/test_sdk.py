"""``client.storage`` over real HTTP against a live server on loopback (STYLE 18): the keyword
arguments scripts rely on, the typed answers with secrets masked, and the errors."""

from __future__ import annotations

import pytest

from adminapp.client import (
    AdminClient,
    ConflictError,
    CursorPage,
    Job,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableEntityError,
)
from adminapp.client.types import SECRET_MASK, BucketConfig, HmacAuth, Repo, RepoKind

pytestmark = [pytest.mark.live]

SECRET = "s3cr3t-value"  # noqa: S105 - a test value


@pytest.fixture
def sdk(live_server, tenant):
    clients: list[AdminClient] = []

    def make(role: str = "ADMIN") -> AdminClient:
        client = AdminClient(api_key=tenant.keys[role], base_url=live_server.url, max_retries=0)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_bucket_configs_from_create_to_delete(sdk):
    configs = sdk("ADMIN").storage.bucket_configs
    first = configs.create(
        nickname="primary",
        uri="s3://acme-data/team",
        extra_config={"region_name": "us-east-1"},
        auth_config=HmacAuth(method="hmac", access_key_id="AKIA1", secret_access_key=SECRET),
    )
    assert isinstance(first, BucketConfig) and first.is_default
    assert first.auth_config == {
        "method": "hmac",
        "access_key_id": "AKIA1",
        "secret_access_key": SECRET_MASK,
    }
    second = configs.create(nickname="public", uri="gs://open-data")
    assert (second.auth_config, second.is_default) == ({"method": "anonymous"}, False)
    with pytest.raises(UnprocessableEntityError) as info:
        configs.create(nickname="bad", uri="az://x y")
    assert "uri" in info.value.body["error"]["fields"]

    page = configs.list(limit=1)
    assert isinstance(page, CursorPage) and page.has_more
    assert [c.nickname for c in configs.list()] == ["primary", "public"]
    assert configs.set_default(nickname="public").is_default
    assert not configs.get(nickname="primary").is_default

    renamed = configs.update(
        nickname="primary",
        new_nickname="main",
        auth_config={"method": "hmac", "access_key_id": "AKIA2"},
    )
    assert (renamed.nickname, renamed.auth_config["access_key_id"]) == ("main", "AKIA2")

    with pytest.raises(UnprocessableEntityError):
        configs.delete(nickname="main", imsure=True)
    configs.delete(nickname="main", imsure=True, imreallysure=True)
    with pytest.raises(NotFoundError):
        configs.get(nickname="main")


def test_repos_and_the_configs_they_hold(sdk):
    client = sdk("ADMIN")
    client.storage.bucket_configs.create(nickname="public", uri="gs://open-data")
    repo = client.storage.repos.create(name="climate", kind="v1", metadata={"team": "ops"})
    assert isinstance(repo, Repo) and (repo.kind, repo.prefix) == (RepoKind.V1, repo.id)
    same = client.storage.repos.get_or_create(name="climate", bucket_config_nickname="public")
    assert same.id == repo.id
    with pytest.raises(ConflictError) as info:
        client.storage.repos.get_or_create(name="climate", kind="icechunk")
    assert info.value.code == "repo_kind_mismatch"
    made = client.storage.repos.get_or_create(name="weather")
    assert made.kind == RepoKind.ICECHUNK

    with pytest.raises(ConflictError) as info:
        client.storage.bucket_configs.delete(nickname="public", imsure=True, imreallysure=True)
    assert [r["name"] for r in info.value.body["error"]["details"]["repos"]] == [
        "climate",
        "weather",
    ]
    assert {r.name for r in client.storage.bucket_configs.repos(nickname="public")} == {
        "climate",
        "weather",
    }

    client.storage.repos.delete(name="climate", imsure=True, imreallysure=True)
    assert [r.name for r in client.storage.repos.list()] == ["weather"]
    assert [r.name for r in client.storage.repos.list(deleted=True)] == ["climate"]
    assert client.storage.repos.restore(name="climate").deleted_at is None
    client.storage.repos.delete(name="climate", imsure=True, imreallysure=True, immediate=True)
    with pytest.raises(NotFoundError):
        client.storage.repos.get(name="climate")

    with pytest.raises(ConflictError) as info:  # gs:// is not browsed
        client.storage.repos.objects(name="weather")
    assert info.value.code == "store_not_supported"
    job = client.storage.bucket_configs.check(nickname="public")
    assert isinstance(job, Job) and job.kind == "bucket_config_check"


def test_members_read_storage_and_cannot_change_it(sdk):
    sdk("ADMIN").storage.bucket_configs.create(nickname="public", uri="gs://open-data")
    member = sdk("MEMBER").storage
    assert member.bucket_configs.get(nickname="public").nickname == "public"
    with pytest.raises(PermissionDeniedError):
        member.repos.create(name="mine")
    with pytest.raises(PermissionDeniedError):
        member.bucket_configs.check(nickname="public")
