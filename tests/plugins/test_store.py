"""The store: its build tool, installs and updates from a directory store and from an
https store on loopback, and every way a store's word can be wrong (id or version not the
archive's, sha256 mismatch, too large, too slow, not https)."""

from __future__ import annotations

import json
import zipfile

import pytest

from adminapp.core.errors import Conflict
from adminapp.plugins import services, store
from adminapp.plugins.models import Plugin
from adminapp.plugins.store import build
from tests.plugins.factories import instance_admin, make_store, plugin_files, run, write_dir
from tests.plugins.servers import HttpsStore, Silent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(tenant):
    return instance_admin(tenant)[0]


# --- the build tool ----------------------------------------------------------------------------
def test_the_build_zips_each_plugin_deterministically_and_indexes_it(tmp_path):
    src = tmp_path / "src"
    write_dir(src / "alpha", plugin_files("alpha", "1.2.0"))
    write_dir(src / "beta", plugin_files("beta", "0.1.0"))
    (src / "beta" / "__pycache__").mkdir()
    (src / "beta" / "__pycache__" / "lines.cpython-311.pyc").write_bytes(b"\0junk")
    first = build.build(src, tmp_path / "one")
    (src / "alpha" / "lines.py").touch()  # a new mtime changes nothing
    second = build.build(src, tmp_path / "two")
    assert first == second
    assert [(e["id"], e["version"], e["archive"]) for e in first["plugins"]] == [
        ("alpha", "1.2.0", "alpha-1.2.0.zip"),
        ("beta", "0.1.0", "beta-0.1.0.zip"),
    ]
    assert first["plugins"][0]["meta"]["label"] == "alpha plugin"
    with zipfile.ZipFile(tmp_path / "one" / "beta-0.1.0.zip") as zf:
        assert zf.namelist() == ["lines.py", "macros/hello.py", "plugin.json"]
        assert {i.date_time for i in zf.infolist()} == {(2020, 1, 1, 0, 0, 0)}
    assert json.loads((tmp_path / "one" / "index.json").read_text()) == first
    assert build.differences(src, tmp_path / "one") == []
    (src / "alpha" / "lines.py").write_text("changed = True\n")
    assert build.differences(src, tmp_path / "one") == ["alpha-1.2.0.zip", "index.json"]


def test_the_build_refuses_an_invalid_plugin_and_drops_stale_archives(tmp_path):
    src = tmp_path / "src"
    write_dir(src / "alpha", plugin_files("alpha", "1.0.0"))
    out = tmp_path / "out"
    build.build(src, out)
    write_dir(src / "alpha", plugin_files("alpha", "1.1.0"))
    build.build(src, out)
    assert sorted(p.name for p in out.glob("*.zip")) == ["alpha-1.1.0.zip"]
    write_dir(src / "wrong-name", plugin_files("alpha", "1.0.0"))
    with pytest.raises(build.BuildError, match="its plugin.json says id 'alpha'"):
        build.build(src, out)
    assert build.main(["--src", str(src), "--out", str(out)]) == 2


def test_the_committed_store_matches_a_rebuild_of_its_sources():
    assert build.differences() == []


# --- installs from a directory store ------------------------------------------------------------
def test_install_and_update_from_a_directory_store(admin, tmp_path, settings):
    settings.PLUGINS_STORE_URL = str(make_store(tmp_path, ("demo", "1.0.0"), ("demo", "1.1.0")))
    job = run(services.plugin_install_from_store(actor=admin, plugin_id="demo", version="1.0.0"))
    assert (job.state, job.result["version"]) == ("SUCCEEDED", "1.0.0"), job.error_message
    plugin = Plugin.objects.get()
    assert plugin.source == {"kind": "store", "store": settings.PLUGINS_STORE_URL}
    job = run(services.plugin_update(actor=admin, plugin_id="demo"))
    assert (job.result["action"], job.result["version"]) == ("updated", "1.1.0")
    with pytest.raises(Conflict, match="1.1.0 is not newer"):
        services.plugin_update(actor=admin, plugin_id="demo")


def test_an_archive_whose_manifest_is_not_the_indexs_id_or_version_is_refused(
    admin, tmp_path, settings
):
    where = make_store(tmp_path, ("demo", "1.0.0"))
    index = json.loads((where / "index.json").read_text())
    index["plugins"][0]["version"] = "1.0.1"  # the archive inside still says 1.0.0
    (where / "index.json").write_text(json.dumps(index))
    settings.PLUGINS_STORE_URL = str(where)
    job = run(services.plugin_install_from_store(actor=admin, plugin_id="demo"))
    assert (job.state, job.error_code) == ("FAILED", "plugin_store_mismatch")
    assert "index says demo 1.0.1; the archive's plugin.json says demo 1.0.0" in job.error_message
    index["plugins"][0].update(version="1.0.0", id="other")
    (where / "index.json").write_text(json.dumps(index))
    job = run(services.plugin_install_from_store(actor=admin, plugin_id="other"))
    assert job.error_code == "plugin_store_mismatch"
    assert Plugin.objects.count() == 0


def test_a_sha256_mismatch_is_refused(admin, tmp_path, settings):
    where = make_store(tmp_path, ("demo", "1.0.0"))
    with zipfile.ZipFile(where / "demo-1.0.0.zip", "a") as zf:
        zf.writestr("extra.py", "print('slipped in')\n")
    settings.PLUGINS_STORE_URL = str(where)
    job = run(services.plugin_install_from_store(actor=admin, plugin_id="demo"))
    assert (job.state, job.error_code) == ("FAILED", "plugin_sha256_mismatch")
    assert "not the" in job.error_message and "the store's index says: refused" in job.error_message
    assert Plugin.objects.count() == 0


def test_an_unknown_plugin_or_version_of_the_store_is_a_404(tenant, tmp_path, settings, client):
    settings.PLUGINS_STORE_URL = str(make_store(tmp_path, ("demo", "1.0.0")))
    _, auth = instance_admin(tenant)
    response = client.post(
        "/api/v1/plugins/install/store",
        {"plugin_id": "demo", "version": "9.9.9"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "plugin_not_in_store"
    catalogue = client.get("/api/v1/plugins/store", **auth).json()
    assert [(e["id"], e["version"], e["installed_version"]) for e in catalogue] == [
        ("demo", "1.0.0", None)
    ]


# --- an https store on loopback --------------------------------------------------------------
@pytest.fixture
def https_store(tmp_path, settings):
    root = tmp_path / "www"
    make_store(tmp_path / "www", ("demo", "1.0.0"))
    (tmp_path / "certs").mkdir()
    server = HttpsStore(root, tmp_path / "certs")
    settings.PLUGINS_STORE_URL = server.url
    settings.PLUGINS_STORE_CA_BUNDLE = str(server.ca)
    yield server
    server.close()


def test_install_from_an_https_store(admin, https_store):
    assert [e.id for e in store.read_index().plugins] == ["demo"]
    job = run(services.plugin_install_from_store(actor=admin, plugin_id="demo"))
    assert job.state == "SUCCEEDED", job.error_message
    assert Plugin.objects.get().source["store"] == https_store.url


def test_an_https_store_with_an_untrusted_certificate_is_unavailable(admin, https_store, settings):
    settings.PLUGINS_STORE_CA_BUNDLE = ""
    with pytest.raises(store.StoreUnavailable, match="cannot be reached"):
        store.read_index()


def test_a_download_over_the_size_cap_is_refused(admin, https_store, settings):
    job = services.plugin_install_from_store(actor=admin, plugin_id="demo")
    settings.PLUGINS_MAX_ARCHIVE_BYTES = 100
    job = run(job)
    assert (job.state, job.error_code) == ("FAILED", "plugin_store_refused")
    assert "larger than 100 bytes" in job.error_message


def test_a_store_that_never_answers_times_out(admin, settings):
    silent = Silent()
    settings.PLUGINS_STORE_URL = silent.url
    settings.PLUGINS_DOWNLOAD_TIMEOUT_S = 1
    try:
        with pytest.raises(store.StoreUnavailable, match="did not answer within 1 s"):
            store.read_index()
    finally:
        silent.close()


def test_a_plain_http_store_is_refused(settings):
    settings.PLUGINS_STORE_URL = "http://127.0.0.1:9/store"
    with pytest.raises(store.StoreRefused, match="a directory or an https:// URL"):
        store.read_index()


def test_every_plugin_of_the_shipped_store_installs(admin, settings):
    """The store shipped in adminapp/plugins/store/ (its index may be empty in a tree
    without the plugins' sources: then its index must still parse)."""
    settings.PLUGINS_STORE_URL = str(build.STORE)
    index = store.read_index()
    for entry in index.plugins:
        job = run(services.plugin_install_from_store(actor=admin, plugin_id=entry.id))
        assert (job.state, job.result["version"]) == ("SUCCEEDED", entry.version), job.error_message
        installed = Plugin.objects.get(plugin_id=entry.id)
        assert installed.current.manifest["components"], entry.id
    assert Plugin.objects.count() == len(index.plugins)
