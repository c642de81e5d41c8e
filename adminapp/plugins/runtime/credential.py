"""The job-scoped credential a plugin's code reaches the portal with.

An API key of the accounts domain, minted by its own service (``api_key_create``) when the
job's plugin code is about to start, acting as the job's owner and so holding exactly the
owner's permissions (re-checked by every request it makes, like any key):

- a person (a session or a personal key): a **personal** key of that person;
- an ADMIN service key: a **service** key with the same role.

It expires after ``PLUGINS_CREDENTIAL_TTL`` seconds (never later than the plugin's own time
limit needs, plus a margin) and is revoked as soon as the job ends — however it ends: the
job kinds' ``cleanup(job_id)`` calls ``credential_revoke``, which the engine runs after
success, failure, abort and the reaper's verdict alike. The key is found again by its
label, which names the job (``plugin job <job id>``): no table of our own, no migration.
Its secret exists only in the worker's memory and the child's environment.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from adminapp.accounts.models import ApiKey, ApiKeyKind
from adminapp.accounts.services.keys import api_key_create
from adminapp.audit.services import audit_record
from adminapp.core.errors import PermissionDenied
from adminapp.core.principal import SYSTEM, Principal, PrincipalKind

LABEL_PREFIX = "plugin job "


def credential_label(job_id: str) -> str:
    return f"{LABEL_PREFIX}{job_id}"


def credential_issue(*, principal: Principal, job_id: str, lifetime_s: float) -> tuple[str, str]:
    """Mint the job's key; returns ``(key id, secret)``."""
    ttl = min(float(settings.PLUGINS_CREDENTIAL_TTL), lifetime_s + 60)
    expires_at = timezone.now() + timedelta(seconds=ttl)
    description = "Made for a plugin's job; revoked when the job ends."
    if principal.kind == PrincipalKind.USER:
        key, secret = api_key_create(
            actor=principal,
            label=credential_label(job_id),
            description=description,
            kind=ApiKeyKind.PERSONAL,
            expires_at=expires_at,
        )
    elif principal.kind == PrincipalKind.SERVICE_KEY:
        key, secret = api_key_create(
            actor=principal,
            label=credential_label(job_id),
            description=description,
            kind=ApiKeyKind.SERVICE,
            role=principal.role,
            expires_at=expires_at,
        )
    else:
        raise PermissionDenied(
            "Plugin code runs as a person or an org service key; this job's owner is neither.",
            code="plugin_owner_unsupported",
        )
    return key.id, secret


@transaction.atomic
def credential_revoke(*, job_id: str) -> int:
    """Revoke the job's keys still live (safe to call twice); how many were revoked."""
    keys = list(
        ApiKey.objects.select_for_update().filter(
            label=credential_label(job_id), revoked_at__isnull=True
        )
    )
    now = timezone.now()
    for key in keys:
        key.revoked_at = now
        key.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            actor=SYSTEM,
            action="api_key.revoke",
            target_type="api_key",
            target_id=key.id,
            details={"label": key.label, "reason": "the plugin job ended"},
            org_id=key.organization_id,
        )
    return len(keys)
