"""Creating, changing and deleting spaces."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from adminapp import authz
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.core.errors import (
    BadRequest,
    NotFound,
)
from adminapp.core.principal import Principal
from adminapp.core.validation import clean_text, name_key
from adminapp.jobs.models import TERMINAL_STATES, Job
from adminapp.jobs.services import idempotency_key_reused, job_create, job_for_idempotency_key
from adminapp.spaces import selectors
from adminapp.spaces.jobs import SpaceDelete, SpaceDeleteParams
from adminapp.spaces.models import Space
from adminapp.spaces.services.naming import (
    SPACE_DESCRIPTION_MAX,
    clean_space_name,
    lock_space,
    name_in_use,
    save_named,
    space_name_taken,
    update_name_and_description,
)


@transaction.atomic
def space_create(
    *,
    actor: Principal,
    name: str,
    description: str | None = None,
    organization_id: str | None = None,
) -> Space:
    """Org OWNER/ADMIN create spaces; a duplicate name (any case) is a 409."""
    if organization_id and organization_id != actor.org_id:
        raise NotFound(f"Organization {organization_id} not found.")
    authz.require(actor, Permission.SPACE_CREATE, "Only org owners and admins can create spaces.")
    name = clean_space_name(name)
    description = clean_text(
        description, field="description", max_length=SPACE_DESCRIPTION_MAX, required=False
    )
    live = Space.objects.filter(organization_id=actor.org_id, deleted_at__isnull=True)
    if name_in_use(live, name):
        raise space_name_taken(name)
    space = save_named(
        Space(
            organization_id=actor.org_id,
            name=name,
            name_key=name_key(name),
            description=description,
        ),
        taken=space_name_taken,
    )
    audit_record(
        actor=actor,
        action="space.create",
        target_type="space",
        target_id=space.id,
        details={"name": name},
    )
    return space


@transaction.atomic
def space_update(
    *,
    actor: Principal,
    space: str,
    name: str | None = None,
    description: str | None = None,
) -> Space:
    if name is None and description is None:
        raise BadRequest(
            "Give a new name or description (or both).",
            fields={"name": ["Give name or description."]},
        )
    found = selectors.space_get(actor=actor, space=space)
    authz.require_in_space(actor, found.id, Permission.SPACE_UPDATE)
    found = lock_space(found)
    update_name_and_description(
        found,
        actor=actor,
        name=clean_space_name(name) if name is not None else None,
        description=description,
        description_max=SPACE_DESCRIPTION_MAX,
        peers=Space.objects.filter(organization_id=found.organization_id, deleted_at__isnull=True),
        taken=space_name_taken,
        action="space.update",
    )
    return found


@transaction.atomic
def space_delete(*, actor: Principal, space: str, idempotency_key: str | None = None):
    """Delete a space: returns the ``space_delete`` Job (the API answers 202 with it).

    Why a job every time, not 204: a space can hold millions of data rows whose global keys
    must be freed, which no request should do inline. So the request does the part that must
    be instant — the space disappears from every list and lookup, its name is free again, its
    tokens stop working and its members lose access, all in this transaction — and the job
    removes what it held, chunk by chunk, then the space row. The caller can wait on the job
    to know the contents (and their global keys) are gone.

    A retried request with the same ``Idempotency-Key`` gets the same job. Asking again for a
    space whose deletion job failed or was aborted (by id; org admins) starts a new job.
    """
    key = (idempotency_key or "").strip()
    earlier = job_for_idempotency_key(actor=actor, idempotency_key=key)
    if earlier is not None:
        # A retry names the space as the first request did, by id or by name (it is hidden
        # by now, so it cannot be looked up again); any other request is refused.
        ref = (space or "").strip()
        if earlier.kind == SpaceDelete.name and ref in earlier.params.values():
            return earlier
        raise idempotency_key_reused(earlier)
    found = selectors.space_find(queryset=selectors.space_queryset(actor=actor), ref=space)
    if found is None and authz.can(actor, Permission.SPACE_ADMIN):
        # A deletion that did not finish can be set going again.
        found = Space.objects.filter(
            id=(space or "").strip(), organization_id=actor.org_id, deleted_at__isnull=False
        ).first()
    if found is None:
        raise NotFound(f"Space {space!r} not found.")
    if found.deleted_at is None:
        authz.require_in_space(actor, found.id, Permission.SPACE_DELETE)
    found = lock_space(found)
    if found.deleted_at is not None and found.delete_job_id:
        running = Job.objects.filter(id=found.delete_job_id).exclude(state__in=TERMINAL_STATES)
        if running.exists():
            return running.get()
    job, _ = job_create(
        actor=actor,
        kind=SpaceDelete,
        params=SpaceDeleteParams(space_id=found.id, name=found.name),
        idempotency_key=key or None,
    )
    first_request = found.deleted_at is None
    found.deleted_at = found.deleted_at or timezone.now()
    found.delete_job = job
    found.save(update_fields=["deleted_at", "delete_job", "updated_at"])
    audit_record(
        actor=actor,
        action="space.delete" if first_request else "space.delete_retry",
        target_type="space",
        target_id=found.id,
        details={"name": found.name, "job_id": job.id},
    )
    return job
