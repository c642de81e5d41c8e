"""Demo data for ``manage.py seed_demo``: two datasets with a few thousand rows, some of them
keyed, and one finished key assignment with a PARTIAL_SUCCESS outcome, made through the real
services (so the audit log shows them).

Idempotent: a dataset that exists (by name, in its space) is left as it is.
"""

from __future__ import annotations

from adminapp.catalog import services
from adminapp.catalog.models import Dataset
from adminapp.catalog.services.global_keys import global_keys_assign
from adminapp.core.principal import Principal
from adminapp.core.validation import name_key
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job
from adminapp.spaces.models import Space

BATCH = 1000  # rows per insert (the sync API's limit; any size would do here)
# (space, name, description, rows, keyed rows, row data, key pattern)
DATASETS = (
    (
        "Robot Arms",
        "Grasp attempts",
        "One row per grasp: the camera frame at contact.",
        3000,
        2000,
        "https://data.example.com/arms/grasp-{i:05d}.jpg",
        "arms/grasp-{i:05d}",
    ),
    (
        "Warehouse Fleet",
        "Incident clips",
        "Clips the robots flagged, waiting for review.",
        1200,
        400,
        "https://data.example.com/fleet/clip-{i:05d}.mp4",
        "fleet/clip-{i:05d}",
    ),
)


def seed_datasets(*, actor: Principal, spaces: dict[str, Space]) -> dict[str, Dataset]:
    """Make sure the demo datasets exist in their spaces (``actor``: an org OWNER/ADMIN)."""
    made: dict[str, Dataset] = {}
    for space_name, name, description, n, keyed, data, key in DATASETS:
        space = spaces[space_name]
        existing = Dataset.objects.filter(
            space=space, name_key=name_key(name), deleted_at__isnull=True
        ).first()
        if existing is not None:
            made[name] = existing
            continue
        dataset = services.dataset_create(
            actor=actor, space=space.id, name=name, description=description
        )
        for start in range(0, n, BATCH):
            rows = [
                {
                    "row_data": data.format(i=i),
                    "external_id": f"{i:05d}",
                    "global_key": key.format(i=i) if i < keyed else None,
                    "metadata": {"batch": start // BATCH + 1},
                }
                for i in range(start, min(n, start + BATCH))
            ]
            services.data_rows_create(actor=actor, dataset_id=dataset.id, rows=rows)
        made[name] = dataset
    return made


DEMO_JOB_MARK = "demo: incident clip keys"  # the Idempotency-Key that makes it once


def seed_assign_job(*, actor: Principal, datasets: dict[str, Dataset]):
    """One finished key assignment with a PARTIAL_SUCCESS outcome to look at: new keys for
    some incident clips, one key another row holds, one repeated and one invalid. Run here,
    in this process, so it is finished when the demo starts (a worker taking its message
    later finds it done). Made once: its Idempotency-Key marks it."""
    done = Job.objects.filter(organization_id=actor.org_id, idempotency_key=DEMO_JOB_MARK)
    if done.exists():  # its keys changed the rows: the same items could not be asked again
        return done.first()
    clips = list(
        datasets["Incident clips"]
        .rows.filter(global_key__isnull=True)
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:8]
    )
    items = [
        {"data_row_id": row_id, "global_key": f"fleet/review-{i:02d}"}
        for i, row_id in enumerate(clips)
    ]
    items[1]["global_key"] = "arms/grasp-00001"  # held by a grasp row: KEY_TAKEN
    items[2]["global_key"] = "FLEET/REVIEW-00"  # the first item's key in another case
    items[3]["global_key"] = "fleet/review  03"  # two spaces: INVALID_KEY
    job = global_keys_assign(actor=actor, items=items, idempotency_key=DEMO_JOB_MARK)
    job_run(job_id=job.id)  # a no-op when it already ran
    return job
