"""Starting the jobs that move data rows between a dataset and a repo's prefix
(``storage.transfers``): an export of a dataset's rows as JSONL, and an import of the CSV /
JSONL objects under the prefix. Everything that needs no store is checked here, at once
(the repo, the dataset, the permissions, the names, a store this installation speaks);
the store itself is only ever reached by the job.

Exporting writes to the organization's bucket: ``storage.manage`` and ``dataset.read`` on
the dataset. Importing reads from it: ``storage.read`` and ``dataset.write``.
"""

from __future__ import annotations

import re

from django.db import transaction
from pydantic import BaseModel

from adminapp import authz
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.catalog import selectors as catalog
from adminapp.catalog.keys import OnInvalid
from adminapp.core.errors import Conflict, ValidationFailed
from adminapp.core.principal import Principal
from adminapp.jobs.kinds import JobKind
from adminapp.jobs.models import Job
from adminapp.jobs.services import idempotency_key_reused, job_create, job_for_idempotency_key
from adminapp.storage import selectors, store
from adminapp.storage.models import Repo
from adminapp.storage.transfers import DatasetExport, ExportParams, RepoImport, RepoImportParams
from adminapp.storage.uris import clean_prefix

_OBJECT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def start_once(
    *, actor: Principal, kind: type[JobKind], params: BaseModel, idempotency_key: str | None
) -> Job:
    """``job_create``, but a retried request (same Idempotency-Key, kind and parameters)
    gets the job the first one started; the same key for anything else is a 409."""
    key = (idempotency_key or "").strip()
    earlier = job_for_idempotency_key(actor=actor, idempotency_key=key)
    if earlier is not None:
        if earlier.kind == kind.name and earlier.params == params.model_dump(mode="json"):
            return earlier
        raise idempotency_key_reused(earlier)
    job, _ = job_create(actor=actor, kind=kind, params=params, idempotency_key=key or None)
    return job


def _spoken(repo: Repo) -> None:
    try:
        store.require_spoken(repo.bucket_config)
    except store.Unsupported as exc:
        raise Conflict(exc.message, code="store_not_supported") from None


@transaction.atomic
def repo_export_dataset(
    *,
    actor: Principal,
    name: str,
    dataset_id: str,
    object_name: str | None = None,
    idempotency_key: str | None = None,
) -> Job:
    """Start writing the dataset's rows to ``<repo prefix>/<object_name>.jsonl`` (default:
    the dataset's id), replacing an object of that name. Returns the QUEUED job."""
    authz.require(actor, Permission.STORAGE_MANAGE)
    repo = selectors.repo_get(actor=actor, name=name)
    dataset = catalog.dataset_get(actor=actor, dataset_id=dataset_id)
    object_name = (object_name or dataset.id).strip()
    if not _OBJECT_NAME_RE.match(object_name) or ".." in object_name:
        message = "1–200 of A-Z a-z 0-9 . _ -, starting with a letter or digit, no '..'."
        raise ValidationFailed(f"object_name: {message}", fields={"object_name": [message]})
    _spoken(repo)
    config = repo.bucket_config
    key = f"{store.full_prefix(config, repo.prefix)}{object_name}.jsonl"
    params = ExportParams(
        dataset_id=dataset.id,
        repo_id=repo.id,
        bucket_config_id=config.id,
        key=key,
        uri=f"{config.uri.split('://', 1)[0]}://{config.bucket}/{key}",
    )
    job = start_once(
        actor=actor, kind=DatasetExport, params=params, idempotency_key=idempotency_key
    )
    audit_record(
        actor=actor,
        action="repo.export",
        target_type="repo",
        target_id=repo.id,
        details={"dataset_id": dataset.id, "key": key, "job_id": job.id},
    )
    return job


@transaction.atomic
def repo_import_rows(
    *,
    actor: Principal,
    name: str,
    dataset_id: str,
    prefix: str | None = None,
    on_invalid: OnInvalid | str = OnInvalid.REJECT,
    idempotency_key: str | None = None,
) -> Job:
    """Start importing the .csv / .jsonl / .ndjson objects under the repo's prefix (or
    ``prefix`` below it) into the dataset, each by the catalog's import job."""
    authz.require(actor, Permission.STORAGE_READ)
    repo = selectors.repo_get(actor=actor, name=name)
    dataset = catalog.dataset_get(actor=actor, dataset_id=dataset_id)
    catalog.require_dataset(actor, dataset, Permission.DATASET_WRITE)
    try:
        on_invalid = OnInvalid(on_invalid)
    except ValueError:
        raise ValidationFailed(
            "on_invalid is reject or sanitize.", fields={"on_invalid": ["reject or sanitize."]}
        ) from None
    sub = clean_prefix(prefix, field="prefix") if prefix else ""
    _spoken(repo)
    config = repo.bucket_config
    full = store.full_prefix(config, repo.prefix) + (f"{sub}/" if sub else "")
    params = RepoImportParams(
        dataset_id=dataset.id,
        repo_id=repo.id,
        bucket_config_id=config.id,
        prefix=full,
        on_invalid=on_invalid.value,
    )
    job = start_once(actor=actor, kind=RepoImport, params=params, idempotency_key=idempotency_key)
    audit_record(
        actor=actor,
        action="repo.import",
        target_type="repo",
        target_id=repo.id,
        details={"dataset_id": dataset.id, "prefix": full, "job_id": job.id},
    )
    return job
