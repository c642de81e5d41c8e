"""Archive installs, updates, enable/disable and deletes, run by the real job engine (in
process here; with a real worker that is SIGKILLed mid-way at the end)."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest
from django.core.files.storage import default_storage

from adminapp.audit.models import AuditEvent
from adminapp.core.errors import Conflict, NotFound, PermissionDenied
from adminapp.jobs.models import Job
from adminapp.jobs.services import job_abort, jobs_reap
from adminapp.plugins import cache, selectors, services, usages
from adminapp.plugins.archives import sha256_of
from adminapp.plugins.models import Plugin, PluginVersion
from tests.helpers import wait_for
from tests.plugins.factories import (
    install_archive,
    instance_admin,
    plugin_files,
    run,
    upload,
    zip_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(tenant):
    return instance_admin(tenant)[0]


def archive(tmp_path, plugin_id="demo", version="1.0.0", **overrides):
    return zip_of(
        tmp_path / f"{plugin_id}-{version}.zip", plugin_files(plugin_id, version, **overrides)
    )


def code_of(plugin_id="demo") -> str:
    found = selectors.component_get(plugin_id=plugin_id, component_id="lines", type="importer")
    return (found.path() / "lines.py").read_text()


def test_the_recorded_sha256_is_the_whole_archives(admin, tmp_path):
    """The sha256 is taken while the archive is copied (one read): over every block of an
    archive several read blocks long, and the stored archive has exactly those bytes."""
    files = {**plugin_files(), "data/noise.bin": os.urandom(700_000)}
    path = zip_of(tmp_path / "demo-1.0.0.zip", files)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    job = install_archive(admin, path)
    assert (job.state, job.result["sha256"]) == ("SUCCEEDED", expected)
    version = PluginVersion.objects.get()
    assert version.sha256 == expected
    with default_storage.open(version.archive, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == expected


def test_an_archive_installs_as_a_job_and_its_components_appear(admin, tmp_path):
    job = install_archive(admin, archive(tmp_path))
    assert (job.state, job.kind, job.progress_done, job.progress_total) == (
        "SUCCEEDED",
        "plugin_install",
        2,
        2,
    )
    assert job.result == {
        "plugin_id": "demo",
        "version": "1.0.0",
        "previous_version": None,
        "action": "installed",
        "sha256": PluginVersion.objects.get().sha256,
    }
    plugin = Plugin.objects.get()
    assert (plugin.enabled, plugin.source) == (
        True,
        {"kind": "archive", "filename": "demo-1.0.0.zip"},
    )
    assert default_storage.exists(plugin.current.archive)
    assert not default_storage.listdir("plugins/uploads")[1]  # the upload was removed
    assert code_of() == "VERSION = '1.0.0'\n"
    # The worker's cache holds the version under its hash, and nothing the install used.
    assert os.listdir(cache.cache_dir()) == [plugin.current.sha256]
    placed = os.stat(cache.cache_dir() / plugin.current.sha256).st_mode
    assert stat.S_IMODE(placed) == stat.S_IMODE(os.stat(cache.cache_dir()).st_mode)
    actions = list(AuditEvent.objects.order_by("created_at", "id").values_list("action", flat=True))
    assert actions[-2:] == ["plugin.install_requested", "plugin.install"]


def test_an_install_shows_its_two_steps_from_the_moment_it_is_queued(admin, tmp_path):
    job = services.plugin_install_from_archive(actor=admin, upload=upload(archive(tmp_path)))
    assert (job.state, job.progress_done, job.progress_total) == ("QUEUED", 0, 2)
    job = run(job)
    assert (job.state, job.stage, job.message) == ("SUCCEEDED", "done", "2 of 2 steps")


def test_a_nested_folder_archive_installs_too(admin, tmp_path):
    files = {f"demo-1.0.0/{name}": data for name, data in plugin_files().items()}
    job = install_archive(admin, zip_of(tmp_path / "nested.zip", files))
    assert job.state == "SUCCEEDED", job.error_message
    assert code_of() == "VERSION = '1.0.0'\n"


def test_update_needs_a_newer_version_unless_downgrades_are_allowed(admin, tmp_path):
    install_archive(admin, archive(tmp_path, version="1.0.0"))
    newer = install_archive(admin, archive(tmp_path, version="1.1.0"))
    assert (newer.result["action"], newer.result["previous_version"]) == ("updated", "1.0.0")
    assert code_of() == "VERSION = '1.1.0'\n"
    older = install_archive(admin, archive(tmp_path, version="1.0.0-rc.1"))
    assert (older.state, older.error_code) == ("FAILED", "plugin_version_not_newer")
    assert "demo 1.1.0 is installed; 1.0.0-rc.1 is not newer" in older.error_message
    same = install_archive(admin, archive(tmp_path, version="1.1.0"))
    assert same.error_code == "plugin_version_not_newer"
    assert code_of() == "VERSION = '1.1.0'\n"
    down = install_archive(admin, archive(tmp_path, version="0.9.0"), allow_downgrade=True)
    assert down.result["action"] == "downgraded"
    assert code_of() == "VERSION = '0.9.0'\n"
    assert PluginVersion.objects.count() == 3


def test_a_failed_update_leaves_the_old_version_working(admin, tmp_path):
    install_archive(admin, archive(tmp_path, version="1.0.0"))
    broken = plugin_files(version="2.0.0")
    del broken["lines.py"]  # the manifest names an entry that is not there
    job = install_archive(admin, zip_of(tmp_path / "broken.zip", broken))
    assert (job.state, job.error_code) == ("FAILED", "plugin_manifest_invalid")
    plugin = Plugin.objects.get()
    assert plugin.current.version == "1.0.0"
    assert code_of() == "VERSION = '1.0.0'\n"


def test_an_update_of_names_the_plugin_it_updates(admin, tmp_path):
    install_archive(admin, archive(tmp_path, "demo"))
    other = install_archive(admin, archive(tmp_path, "other", "2.0.0"), update_of="demo")
    assert (other.state, other.error_code) == ("FAILED", "plugin_id_mismatch")
    with pytest.raises(NotFound):
        services.plugin_install_from_archive(
            actor=admin, upload=upload(archive(tmp_path, "x")), update_of="nothing-here"
        )


def test_only_instance_admins_install_and_manage(tenant, admin, tmp_path):
    owner = tenant.principal("OWNER")
    with pytest.raises(PermissionDenied, match="Only instance admins manage plugins"):
        services.plugin_install_from_archive(actor=owner, upload=upload(archive(tmp_path)))
    install_archive(admin, archive(tmp_path))
    for call in (
        lambda: services.plugin_set_enabled(actor=owner, plugin_id="demo", enabled=False),
        lambda: services.plugin_delete(actor=owner, plugin_id="demo"),
        lambda: selectors.plugin_list(actor=owner, limit=10, cursor=None),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_disable_hides_the_components_at_once_and_enable_brings_them_back(admin, tmp_path):
    install_archive(admin, archive(tmp_path))
    services.plugin_set_enabled(actor=admin, plugin_id="DEMO", enabled=False)
    assert selectors.components_list(type="importer") == []
    with pytest.raises(NotFound):
        code_of()
    services.plugin_set_enabled(actor=admin, plugin_id="demo", enabled=True)
    assert [c.component["id"] for c in selectors.components_list(type="importer")] == ["lines"]
    assert AuditEvent.objects.filter(action__in=["plugin.disable", "plugin.enable"]).count() == 2


def test_delete_is_refused_while_in_use_unless_forced(
    admin, tmp_path, django_capture_on_commit_callbacks
):
    install_archive(admin, archive(tmp_path))
    sha = PluginVersion.objects.get().sha256
    code_of()  # materialized in this process's cache

    def in_use(plugin):
        return [usages.Usage("job", "job_123", "COCO import into birds")]

    usages.register(in_use)
    try:
        with pytest.raises(Conflict) as caught:
            services.plugin_delete(actor=admin, plugin_id="demo")
        assert caught.value.code == "plugin_in_use"
        assert caught.value.details == {
            "usages": [{"kind": "job", "id": "job_123", "label": "COCO import into birds"}]
        }
        with django_capture_on_commit_callbacks(execute=True):
            job = run(services.plugin_delete(actor=admin, plugin_id="demo", force=True))
    finally:
        usages.unregister(in_use)
    assert job.state == "SUCCEEDED", job.error_message
    assert job.result["forced_past"] == [
        {"kind": "job", "id": "job_123", "label": "COCO import into birds"}
    ]
    assert Plugin.objects.count() == PluginVersion.objects.count() == 0
    assert not default_storage.exists(f"plugins/archives/{sha}.zip")
    assert not (cache.cache_dir() / sha).exists()
    assert AuditEvent.objects.filter(action="plugin.delete", details__force=True).count() == 1


def test_the_delete_job_checks_usages_again(admin, tmp_path):
    install_archive(admin, archive(tmp_path))
    job = services.plugin_delete(actor=admin, plugin_id="demo")

    def started_meanwhile(plugin):
        return [usages.Usage("job", "job_9", "a macro run")]

    usages.register(started_meanwhile)
    try:
        job = run(job)
    finally:
        usages.unregister(started_meanwhile)
    assert (job.state, job.error_code) == ("FAILED", "plugin_in_use")
    assert Plugin.objects.count() == 1


def test_the_downloaded_zip_is_the_installed_version(tenant, tmp_path, client):
    admin, auth = instance_admin(tenant)
    path = archive(tmp_path)
    install_archive(admin, path)
    response = client.get("/api/v1/plugins/demo/download", **auth)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="demo-1.0.0.zip"'
    assert b"".join(response.streaming_content) == path.read_bytes()


def kill_mid_update(tenant, celery_workers, tmp_path):
    """demo 1.0.0 installed; an update to 2.0.0 whose worker is SIGKILLed once the new
    version is unpacked and stored beside the old one (step 1), before the switch."""
    admin, _ = instance_admin(tenant)
    install_archive(admin, archive(tmp_path, version="1.0.0"))
    worker_cache = tmp_path / "worker-cache"
    proc = celery_workers.start(
        {"JOB_CHUNK_DELAY_MS": "600000", "PLUGINS_CACHE_DIR": str(worker_cache)}
    )
    job = services.plugin_install_from_archive(
        actor=admin, upload=upload(archive(tmp_path, version="2.0.0"))
    )
    wait_for(
        lambda: Job.objects.get(id=job.id).stage == "unpacked and validated",
        message="the new version unpacked",
    )
    celery_workers.kill(proc)
    new_sha = sha256_of(tmp_path / "demo-2.0.0.zip")
    assert (worker_cache / new_sha / "lines.py").read_text() == "VERSION = '2.0.0'\n"
    assert default_storage.exists(f"plugins/archives/{new_sha}.zip")
    assert Plugin.objects.get().current.version == "1.0.0"
    assert code_of() == "VERSION = '1.0.0'\n"  # materialized here from the storage
    return admin, Job.objects.get(id=job.id), new_sha


@pytest.mark.worker
def test_a_worker_killed_mid_update_leaves_the_old_version_working(
    tenant, celery_workers, tmp_path
):
    admin, job, new_sha = kill_mid_update(tenant, celery_workers, tmp_path)
    job_abort(actor=admin, job_id=job.id)
    jobs_reap(heartbeat_timeout=0)  # its worker is gone: aborted, and cleaned up
    job.refresh_from_db()
    assert job.state == "ABORTED"
    assert Plugin.objects.get().current.version == "1.0.0"
    assert code_of() == "VERSION = '1.0.0'\n"
    assert not default_storage.exists(f"plugins/archives/{new_sha}.zip")  # nobody's
    assert default_storage.listdir("plugins/uploads")[1] == []


@pytest.mark.worker
def test_a_killed_update_run_again_continues_with_the_switch(tenant, celery_workers, tmp_path):
    _, job, new_sha = kill_mid_update(tenant, celery_workers, tmp_path)
    jobs_reap(heartbeat_timeout=0)  # re-queued from its checkpoint
    job = run(job)
    assert (job.state, job.result["action"], job.attempts) == ("SUCCEEDED", "updated", 2)
    assert Plugin.objects.get().current.sha256 == new_sha
    assert code_of() == "VERSION = '2.0.0'\n"
