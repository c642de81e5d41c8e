"""client.plugins over real HTTP (a live server on loopback) with a real worker running
the install and delete jobs: the store, an uploaded archive (path and file object), git,
updates, enable/disable, usages, download and delete — and who may do what."""

from __future__ import annotations

import io

import pytest

from adminapp.client import AdminClient, ConflictError, NotFoundError, PermissionDeniedError
from adminapp.plugins import usages
from tests.plugins.factories import instance_admin, make_store, plugin_files, zip_of
from tests.plugins.gitrepos import Repo

pytestmark = [pytest.mark.live, pytest.mark.worker]


@pytest.fixture
def world(live_server, tenant, celery_workers, tmp_path, settings):
    settings.PLUGINS_STORE_URL = str(make_store(tmp_path, ("demo", "1.0.0")))
    settings.PLUGINS_ALLOW_FILE_GIT = True
    celery_workers.start(
        {"PLUGINS_ALLOW_FILE_GIT": "true", "PLUGINS_CACHE_DIR": str(tmp_path / "worker-cache")}
    )
    _, auth = instance_admin(tenant)
    key = auth["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    clients = {
        "admin": AdminClient(api_key=key, base_url=live_server.url, max_retries=0),
        "OWNER": AdminClient(api_key=tenant.keys["OWNER"], base_url=live_server.url, max_retries=0),
        "MEMBER": AdminClient(
            api_key=tenant.keys["MEMBER"], base_url=live_server.url, max_retries=0
        ),
    }
    yield clients
    for client in clients.values():
        client.close()


def test_the_whole_lifecycle_through_the_sdk(world, tmp_path):
    plugins = world["admin"].plugins
    assert [(e.id, e.version, e.installed_version) for e in plugins.store()] == [
        ("demo", "1.0.0", None)
    ]

    job = plugins.install_from_store("demo", wait=True, timeout=60)
    assert (job.state, job.result["action"]) == ("SUCCEEDED", "installed"), job.error
    assert plugins.store()[0].installed_version == "1.0.0"
    got = plugins.get("DEMO")
    assert (got.plugin_id, got.version, got.enabled, got.source.kind) == (
        "demo",
        "1.0.0",
        True,
        "store",
    )
    assert got.manifest["meta"]["label"] == "demo plugin"
    assert [c.id for c in got.components] == ["lines", "hello"]
    assert [p.plugin_id for p in plugins.list()] == ["demo"]

    member = world["MEMBER"].plugins
    assert [(c.plugin_id, c.id) for c in member.components("importer")] == [("demo", "lines")]
    assert member.components("macro")[0].params["required"] == ["name"]
    plugins.disable("demo")
    assert member.components() == []
    plugins.enable("demo")

    newer = zip_of(tmp_path / "demo-1.1.0.zip", plugin_files("demo", "1.1.0"))
    job = plugins.install_from_archive(newer, wait=True, timeout=60)
    assert (job.state, job.result["previous_version"]) == ("SUCCEEDED", "1.0.0"), job.error
    assert plugins.download("demo") == newer.read_bytes()

    older = io.BytesIO(zip_of(tmp_path / "old.zip", plugin_files("demo", "0.5.0")).read_bytes())
    job = plugins.update("demo", archive=older, wait=True, timeout=60)
    assert (job.state, job.error.code) == ("FAILED", "plugin_version_not_newer")
    older.seek(0)
    job = plugins.update("demo", archive=older, allow_downgrade=True, wait=True, timeout=60)
    assert (job.state, plugins.get("demo").version) == ("SUCCEEDED", "0.5.0")

    repo = Repo(tmp_path / "server")
    repo.commit(plugin_files("from-git", "1.0.0"))
    job = plugins.install_from_git(repo.url, wait=True, timeout=60)
    assert job.state == "SUCCEEDED", job.error
    # Two installed: page through them one at a time with the cursor.
    first = plugins.list(limit=1)
    assert [p.plugin_id for p in first.items] == ["demo"] and first.pagination.has_more
    rest = plugins.list(limit=1, cursor=first.pagination.next_cursor)
    assert [p.plugin_id for p in rest.items] == ["from-git"]
    repo.commit(plugin_files("from-git", "1.0.1"), "fix")
    job = plugins.update("from-git", wait=True, timeout=60)
    assert (job.state, plugins.get("from-git").source.commit) == ("SUCCEEDED", repo_head(repo))

    def busy(plugin):
        return (
            [usages.Usage("job", "job_x", "a running import")] if plugin.plugin_id == "demo" else []
        )

    usages.register(busy)
    try:
        assert [u.id for u in plugins.usages("demo")] == ["job_x"]
        with pytest.raises(ConflictError) as caught:
            plugins.delete("demo")
        assert caught.value.code == "plugin_in_use"
        assert caught.value.details["usages"][0]["label"] == "a running import"
    finally:
        usages.unregister(busy)
    job = plugins.delete("demo", wait=True, timeout=60)
    assert job.state == "SUCCEEDED", job.error
    with pytest.raises(NotFoundError):
        plugins.get("demo")
    assert [p.plugin_id for p in plugins.list()] == ["from-git"]


def test_only_instance_admins_manage_plugins(world):
    for role in ("OWNER", "MEMBER"):
        with pytest.raises(PermissionDeniedError):
            world[role].plugins.install_from_store("demo")
        with pytest.raises(PermissionDeniedError):
            world[role].plugins.list()
    assert world["OWNER"].plugins.components() == []


def repo_head(repo) -> str:
    from tests.plugins.gitrepos import git

    return git("rev-parse", "HEAD", cwd=repo.work)
