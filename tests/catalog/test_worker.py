"""Catalog jobs on real worker processes, killed mid-job (SIGKILL, as on a lost machine): a
global key assignment and a file import each finish on a second worker after the reaper
requeues them, every item applied exactly once and no outcome recorded twice."""

from __future__ import annotations

from collections import Counter
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from adminapp.catalog.models import DataRow, Dataset
from adminapp.catalog.services import global_keys, imports
from adminapp.jobs.models import Job
from adminapp.jobs.selectors import job_items_all
from tests.catalog.factories import make_dataset, make_rows
from tests.helpers import wait_for
from tests.spaces.factories import make_space

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

N = 3000
SLOW = {"JOB_CHUNK_DELAY_MS": "100"}  # so that the kill lands mid-job


def job_state(job_id: str) -> Job:
    return Job.objects.get(id=job_id)


def finished(job_id: str) -> Job | None:
    job = job_state(job_id)
    return job if job.state in ("SUCCEEDED", "FAILED", "ABORTED") else None


def kill_mid_job_and_finish_elsewhere(celery_workers, job_id: str, env: dict) -> Job:
    first = celery_workers.start({**SLOW, **env})
    wait_for(lambda: job_state(job_id).progress_done >= 500, message="some chunks done")
    celery_workers.kill(first)
    job = job_state(job_id)
    assert job.state == "RUNNING"
    assert job.progress_done < (job.progress_total or 0)  # killed before the end

    celery_workers.start(env)  # re-queues it as it starts: the first one's process is gone
    job = wait_for(lambda: finished(job_id), message="the job to finish on the second worker")
    assert (job.state, job.attempts) == ("SUCCEEDED", 2), job.error_message
    return job


def test_a_killed_workers_key_assignment_applies_each_key_exactly_once(tenant, celery_workers):
    dataset = make_dataset(space=make_space(tenant, "Killed"))
    rows = make_rows(dataset=dataset, n=N)
    wanted = {row.id: f"killed/{i:05d}" for i, row in enumerate(rows)}
    job = global_keys.global_keys_assign(
        actor=tenant.principal(),
        items=[{"data_row_id": row_id, "global_key": key} for row_id, key in wanted.items()],
    )

    job = kill_mid_job_and_finish_elsewhere(celery_workers, job.id, {"GLOBAL_KEYS_CHUNK": "100"})
    assert job.outcome == "SUCCESS"
    assert dict(DataRow.objects.values_list("id", "global_key")) == wanted
    items = list(job_items_all(job=job))
    assert [i.seq for i in items] == list(range(N))  # one outcome per input item, none twice
    assert Counter(i.status for i in items) == {"SUCCESS": N}
    assert job.items_succeeded == N


def test_a_killed_workers_import_imports_each_row_exactly_once(tenant, celery_workers):
    dataset = make_dataset(space=make_space(tenant, "Imported"))
    lines = ["row_data,external_id,global_key"] + [
        f"https://example.com/{i}.jpg,e-{i},imp/{i:05d}" for i in range(N)
    ]
    upload = SimpleUploadedFile("rows.csv", ("\n".join(lines) + "\n").encode())
    job = imports.data_rows_import_file(
        actor=tenant.principal(),
        dataset_id=dataset.id,
        file=BytesIO(upload.read()),
        filename="rows.csv",
    )

    kill_mid_job_and_finish_elsewhere(celery_workers, job.id, {"IMPORT_CHUNK_ROWS": "100"})
    imported = DataRow.objects.filter(dataset=dataset)
    assert imported.count() == N
    assert Counter(imported.values_list("external_id", flat=True)) == {
        f"e-{i}": 1 for i in range(N)
    }
    assert sorted(imported.values_list("global_key", flat=True)) == [
        f"imp/{i:05d}" for i in range(N)
    ]
    assert Dataset.objects.get(id=dataset.id).row_count == N
    assert not list(job_items_all(job=job, status="ERROR"))
