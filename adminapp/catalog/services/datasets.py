"""Creating, changing and deleting datasets.

A dataset's name is unique in its space among live datasets by its name key (NFKC +
casefold): the pre-check gives the message, the unique constraint decides races (the lost
race is the same 409). Deleting is two-phase like a space: ``deleted_at`` hides the dataset
at once (and frees its name), then the ``dataset_delete`` job removes its rows in chunks,
freeing their global keys, and finally the dataset row.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from adminapp import authz
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.catalog import selectors
from adminapp.catalog.jobs import DatasetDelete, DatasetDeleteParams
from adminapp.catalog.models import Dataset
from adminapp.core.errors import BadRequest, Conflict, NotFound
from adminapp.core.principal import Principal
from adminapp.core.validation import clean_text, name_key
from adminapp.jobs.models import Job
from adminapp.jobs.services import idempotency_key_reused, job_create, job_for_idempotency_key
from adminapp.spaces.selectors import space_get
from adminapp.spaces.services.naming import (
    clean_name,
    name_in_use,
    save_named,
    update_name_and_description,
)

DATASET_NAME_MAX = 255
DATASET_DESCRIPTION_MAX = 1000


def dataset_name_taken(name: str) -> Conflict:
    return Conflict(
        f"A dataset named {name!r} already exists in this space.",
        fields={"name": ["A dataset with this name already exists in the space."]},
    )


def _live_in_space(space_id: str):
    return Dataset.objects.filter(space_id=space_id, deleted_at__isnull=True)


@transaction.atomic
def dataset_create(
    *, actor: Principal, space: str, name: str, description: str | None = None
) -> Dataset:
    """``space`` is an id or an exact name. A name used by a live dataset of the space, in
    any letter case or Unicode form, is a 409 naming ``name``."""
    found = space_get(actor=actor, space=space)
    authz.require_in_space(actor, found.id, Permission.DATASET_WRITE)
    name = clean_name(name, max_length=DATASET_NAME_MAX)
    description = clean_text(
        description, field="description", max_length=DATASET_DESCRIPTION_MAX, required=False
    )
    if name_in_use(_live_in_space(found.id), name):
        raise dataset_name_taken(name)
    dataset = save_named(
        Dataset(
            organization_id=found.organization_id,
            space_id=found.id,
            name=name,
            name_key=name_key(name),
            description=description,
        ),
        taken=dataset_name_taken,
    )
    audit_record(
        actor=actor,
        action="dataset.create",
        target_type="dataset",
        target_id=dataset.id,
        details={"name": name, "space_id": found.id},
    )
    return dataset


def lock_dataset(dataset: Dataset) -> Dataset:
    """The dataset row, locked until the transaction ends, if it is still live (a
    concurrent delete may have hidden it since it was read): 404 otherwise."""
    locked = Dataset.objects.select_for_update().filter(id=dataset.id, deleted_at__isnull=True)
    found = locked.first()
    if found is None:
        raise NotFound(f"Dataset {dataset.id} not found.")
    return found


@transaction.atomic
def dataset_update(
    *,
    actor: Principal,
    dataset_id: str,
    name: str | None = None,
    description: str | None = None,
) -> Dataset:
    if name is None and description is None:
        raise BadRequest(
            "Give a new name or description (or both).",
            fields={"name": ["Give name or description."]},
        )
    found = selectors.dataset_get(actor=actor, dataset_id=dataset_id)
    selectors.require_dataset(actor, found, Permission.DATASET_WRITE)
    found = lock_dataset(found)
    update_name_and_description(
        found,
        actor=actor,
        name=clean_name(name, max_length=DATASET_NAME_MAX) if name is not None else None,
        description=description,
        description_max=DATASET_DESCRIPTION_MAX,
        peers=_live_in_space(found.space_id),
        taken=dataset_name_taken,
        action="dataset.update",
    )
    return found


@transaction.atomic
def dataset_delete(*, actor: Principal, dataset_id: str, idempotency_key: str | None = None) -> Job:
    """Hide the dataset now (its name is free again) and start the ``dataset_delete`` job
    that removes its rows in chunks, then the dataset. Returns the job (the API answers 202).

    A retried request with the same ``Idempotency-Key`` gets the same job."""
    key = (idempotency_key or "").strip()
    earlier = job_for_idempotency_key(actor=actor, idempotency_key=key)
    if earlier is not None:
        if earlier.kind == DatasetDelete.name and earlier.params.get("dataset_id") == (
            (dataset_id or "").strip()
        ):
            return earlier
        raise idempotency_key_reused(earlier)
    found = selectors.dataset_get(actor=actor, dataset_id=dataset_id)
    selectors.require_dataset(actor, found, Permission.DATASET_WRITE)
    found = lock_dataset(found)
    job, _ = job_create(
        actor=actor,
        kind=DatasetDelete,
        params=DatasetDeleteParams(dataset_id=found.id, name=found.name),
        idempotency_key=key or None,
    )
    found.deleted_at = timezone.now()
    found.delete_job = job
    found.save(update_fields=["deleted_at", "delete_job", "updated_at"])
    audit_record(
        actor=actor,
        action="dataset.delete",
        target_type="dataset",
        target_id=found.id,
        details={"name": found.name, "space_id": found.space_id, "job_id": job.id},
    )
    return job
