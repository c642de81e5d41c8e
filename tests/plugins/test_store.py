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


# --- a store install is one chunk ---------------------------------------------------------------
def stored_archives() -> list[str]:
    from django.core.files.storage import default_storage

    if not default_storage.exists("plugins/archives"):
        return []
    return sorted(default_storage.listdir("plugins/archives")[1])


def test_a_store_install_fetches_checks_unpacks_and_switches_in_one_chunk(
    admin, tmp_path, settings
):
    """Both steps in one chunk: one checkpoint (written with the switch), both steps'
    items, "2 of 2 steps"; the archive fetched is the one whose sha256 the request read."""
    from adminapp.jobs.models import JobItem
    from adminapp.plugins.models import PluginVersion

    where = make_store(tmp_path, ("demo", "1.0.0"))
    settings.PLUGINS_STORE_URL = str(where)
    job = services.plugin_install_from_store(actor=admin, plugin_id="demo")
    entry = store.read_index(str(where)).plugins[0]
    assert (job.params["store_archive"], job.params["sha256"]) == (entry.archive, entry.sha256)
    job = run(job)
    assert (job.state, job.progress_done, job.progress_total, job.message) == (
        "SUCCEEDED",
        2,
        2,
        "2 of 2 steps",
    ), job.error_message
    assert job.checkpoint["after"] == "switched"
    items = JobItem.objects.filter(job_id=job.id).order_by("seq")
    assert [(i.seq, i.key, i.data["step"]) for i in items] == [
        (0, "demo 1.0.0", "unpacked"),
        (1, "demo 1.0.0", "switched"),
    ]
    assert PluginVersion.objects.get().sha256 == entry.sha256
    assert stored_archives() == [f"{entry.sha256}.zip"]


def test_a_store_archive_changed_after_the_request_is_refused(admin, tmp_path, settings):
    """The job checks the archive against the sha256 the request read from the index, even
    when the store has been rebuilt with other bytes (and a matching index) since."""
    where = make_store(tmp_path, ("demo", "1.0.0"))
    settings.PLUGINS_STORE_URL = str(where)
    job = services.plugin_install_from_store(actor=admin, plugin_id="demo")
    rebuilt = make_store(tmp_path, ("demo", "1.0.0"), name="rebuilt")
    with zipfile.ZipFile(rebuilt / "demo-1.0.0.zip", "a") as zf:
        zf.writestr("extra.py", "print('slipped in')\n")
    (where / "demo-1.0.0.zip").write_bytes((rebuilt / "demo-1.0.0.zip").read_bytes())
    job = run(job)
    assert (job.state, job.error_code) == ("FAILED", "plugin_sha256_mismatch")
    assert Plugin.objects.count() == 0
    assert stored_archives() == []


def test_a_refused_one_chunk_update_leaves_the_old_version_and_no_stored_archive(
    admin, tmp_path, settings
):
    """An install of an older version than the installed one, found out under the lock
    after the archive was stored: the job fails, the old version stays current and the
    archive it stored is removed."""
    from adminapp.audit.models import AuditEvent

    settings.PLUGINS_STORE_URL = str(make_store(tmp_path, ("demo", "1.0.0"), ("demo", "1.1.0")))
    newer = run(services.plugin_install_from_store(actor=admin, plugin_id="demo", version="1.1.0"))
    assert newer.state == "SUCCEEDED", newer.error_message
    kept = stored_archives()
    job = run(services.plugin_install_from_store(actor=admin, plugin_id="demo", version="1.0.0"))
    assert (job.state, job.error_code) == ("FAILED", "plugin_version_not_newer")
    assert Plugin.objects.get().current.version == "1.1.0"
    assert stored_archives() == kept
    assert not AuditEvent.objects.filter(action="plugin.update").exists()


def test_a_one_chunk_update_aborted_before_its_switch_leaves_no_trace(
    admin, tmp_path, settings, monkeypatch
):
    """The abort is asked (through the service, as a user would) while the archive is
    being fetched and unpacked; the engine sees it before the switch: ABORTED, the old
    version current, the new archive not in the storage, no update audited."""
    from adminapp.audit.models import AuditEvent
    from adminapp.jobs.services import job_abort
    from adminapp.plugins import jobs as plugin_jobs

    settings.PLUGINS_STORE_URL = str(make_store(tmp_path, ("demo", "1.0.0"), ("demo", "1.1.0")))
    run(services.plugin_install_from_store(actor=admin, plugin_id="demo", version="1.0.0"))
    kept = stored_archives()
    job = services.plugin_install_from_store(actor=admin, plugin_id="demo", version="1.1.0")
    prepare = plugin_jobs.prepare

    def abort_asked_meanwhile(params, **kwargs):
        new = prepare(params, **kwargs)
        job_abort(actor=admin, job_id=job.id)
        return new

    monkeypatch.setattr(plugin_jobs, "prepare", abort_asked_meanwhile)
    job = run(job)
    assert job.state == "ABORTED"
    assert Plugin.objects.get().current.version == "1.0.0"
    assert stored_archives() == kept
    assert not AuditEvent.objects.filter(action="plugin.update").exists()


def test_a_one_chunk_update_whose_worker_died_is_cleaned_up_when_given_up(
    admin, tmp_path, settings
):
    """A worker killed after storing the new archive, before the switch committed: no
    checkpoint says so, but the job's params name the archive; aborted and reaped, the job
    leaves the old version current and the archive removed."""
    from adminapp.jobs.engine import job_claim
    from adminapp.jobs.services import job_abort, jobs_reap
    from adminapp.plugins import jobs as plugin_jobs

    settings.PLUGINS_STORE_URL = str(make_store(tmp_path, ("demo", "1.0.0"), ("demo", "1.1.0")))
    run(services.plugin_install_from_store(actor=admin, plugin_id="demo", version="1.0.0"))
    kept = stored_archives()
    job = services.plugin_install_from_store(actor=admin, plugin_id="demo", version="1.1.0")
    claimed = job_claim(job_id=job.id)  # what the killed worker did before it died:
    new = plugin_jobs.prepare(plugin_jobs.PluginInstallParams.model_validate(claimed.params))
    assert stored_archives() == sorted([*kept, f"{new['sha256']}.zip"])
    job_abort(actor=admin, job_id=job.id)
    jobs_reap(heartbeat_timeout=0)
    job.refresh_from_db()
    assert job.state == "ABORTED"
    assert Plugin.objects.get().current.version == "1.0.0"
    assert stored_archives() == kept


def test_an_index_rewritten_with_the_same_size_at_once_is_read_anew(tmp_path):
    """The parsed index is cached by its bytes, not by the file's size and mtime (two
    writes within one clock tick share it)."""
    where = make_store(tmp_path, ("demo", "1.0.0"))
    path = where / "index.json"
    assert [e.version for e in store.read_index(str(where)).plugins] == ["1.0.0"]
    path.write_text(path.read_text().replace('"1.0.0"', '"1.0.1"'))
    assert [e.version for e in store.read_index(str(where)).plugins] == ["1.0.1"]
