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
