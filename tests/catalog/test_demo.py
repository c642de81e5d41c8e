"""The demo seed gives the demo org two datasets with a few thousand rows, some keyed;
running it again adds nothing."""

from __future__ import annotations

from collections import Counter
from io import StringIO

from django.core.management import call_command

from adminapp.catalog.models import DataRow, Dataset
from adminapp.jobs.models import Job
from adminapp.jobs.selectors import job_items_all


def test_the_demo_org_has_datasets_with_rows_and_keys(db, var_dir):
    call_command("seed_demo", stdout=StringIO())
    datasets = {d.name: d for d in Dataset.objects.select_related("space")}
    assert {(name, d.space.name, d.row_count) for name, d in datasets.items()} == {
        ("Grasp attempts", "Robot Arms", 3000),
        ("Incident clips", "Warehouse Fleet", 1200),
    }
    grasps = DataRow.objects.filter(dataset=datasets["Grasp attempts"])
    assert grasps.count() == 3000
    assert grasps.filter(global_key__isnull=False).count() == 2000
    assert grasps.get(external_id="00042").global_key == "arms/grasp-00042"

    # A finished key assignment with errors to look at.
    [job] = Job.objects.filter(kind="global_key_assign")
    assert (job.state, job.outcome) == ("SUCCEEDED", "PARTIAL_SUCCESS")
    codes = Counter(i.error_code for i in job_items_all(job=job))
    assert codes == {"": 5, "KEY_TAKEN": 1, "DUPLICATE_IN_REQUEST": 1, "INVALID_KEY": 1}

    call_command("seed_demo", stdout=StringIO())
    assert DataRow.objects.count() == 4200
    assert Dataset.objects.count() == 2
    assert Job.objects.filter(kind="global_key_assign").count() == 1
