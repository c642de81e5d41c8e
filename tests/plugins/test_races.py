"""Installs of one new plugin id racing on PostgreSQL, each job in its own thread and
connection, released at once: the unique index on the id decides, one plugin row results,
and every job either switched to its version or failed saying why.

On SQLite one writing transaction runs at a time, so there is no race to test."""

from __future__ import annotations

import pytest
from django.db import connection

from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job
from adminapp.plugins import services
from adminapp.plugins.models import Plugin, PluginVersion
from tests.plugins.factories import instance_admin, plugin_files, upload, zip_of
from tests.storage.test_races import _together

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one writing transaction at a time: no race to test",
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_installs_of_one_new_id_at_once_leave_one_plugin(tenant, tmp_path):
    admin, _ = instance_admin(tenant)
    jobs = [
        services.plugin_install_from_archive(
            actor=admin,
            upload=upload(zip_of(tmp_path / f"v{i}.zip", plugin_files("raced", f"1.0.{i}"))),
        )
        for i in range(4)
    ]
    _together([lambda job=job: job_run(job_id=job.id) for job in jobs])
    finished = list(Job.objects.filter(id__in=[j.id for j in jobs]))
    succeeded = [j for j in finished if j.state == "SUCCEEDED"]
    failed = [j for j in finished if j.state == "FAILED"]
    assert len(succeeded) + len(failed) == 4 and succeeded
    assert {j.error_code for j in failed} <= {"plugin_install_conflict", "plugin_version_not_newer"}
    plugin = Plugin.objects.get()
    assert PluginVersion.objects.count() == len(succeeded)
    assert plugin.current.version == max(
        (j.result["version"] for j in succeeded), key=lambda v: int(v.rsplit(".", 1)[1])
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_switch_that_waited_for_the_lock_sees_the_version_committed_meanwhile(tenant, tmp_path):
    """Another install switches ``raced`` to 2.0.0 while holding the plugin's lock; the
    lock taken after it (one statement, the version read by a sub-select of the older
    snapshot) still answers 2.0.0 as the current version, not none."""
    import threading

    from django.db import connections, transaction

    from adminapp.plugins.jobs import _locked
    from tests.plugins.factories import install_archive

    admin, _ = instance_admin(tenant)
    install_archive(admin, zip_of(tmp_path / "v1.zip", plugin_files("raced", "1.0.0")))
    locked, seen = threading.Event(), {}

    def switch_meanwhile():
        try:
            with transaction.atomic():
                plugin = Plugin.objects.select_for_update().get()
                version = PluginVersion.objects.create(
                    plugin=plugin, version="2.0.0", manifest={}, sha256="0" * 64, archive="x"
                )
                Plugin.objects.filter(id=plugin.id).update(current=version)
                locked.set()
                threading.Event().wait(0.5)  # the other lock waits meanwhile
        finally:
            connections.close_all()

    def lock_after_it():
        try:
            locked.wait(10)
            with transaction.atomic():
                seen["plugin"], seen["version"] = _locked("RACED")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=switch_meanwhile), threading.Thread(target=lock_after_it)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert seen["version"] == "2.0.0"
    assert seen["plugin"].current_id == Plugin.objects.get().current_id
