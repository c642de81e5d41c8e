"""Global keys in bulk: assign, clear, look up and revert, each as a job (SPEC §4, §6).

A request only checks the input's shape, writes it as one file through Django's storage
API (``catalog/inputs/<uuid>.jsonl`` or ``.csv``; streamed for uploads, never read whole)
and creates the job, whose params name that file and count its items — never the items
themselves. The job (``catalog.global_key_jobs``) does the rest, set-based and chunked.

Limits: JSON bodies up to ``JSON_ITEMS_MAX`` items (more: 413 ``too_many_items``, pointing to
the file upload); files up to ``FILE_ITEMS_MAX`` items and ``settings.GLOBAL_KEYS_FILE_MAX_BYTES``
bytes. The caller must hold ``global_key.assign`` (assign, clear, revert) or ``dataset.read``
(lookup) in at least one space; rows in other spaces are ACCESS_DENIED per row (null for a
lookup), as the job checks each chunk's spaces against its owner as of that chunk.

Audit: ``job.create`` (by the jobs engine) and one ``global_keys.<action>`` event per job on
the job, with the item count and whether it is a preview; the outcome counts are the job's
result (never one event per row).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.functions import Lower

from adminapp import authz
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.catalog.global_key_jobs import (
    ASSIGN_CSV_HEADER,
    KEYS_CSV_HEADER,
    GlobalKeyAssign,
    GlobalKeyClear,
    GlobalKeyJobParams,
    GlobalKeyLookup,
    GlobalKeyRevert,
    GlobalKeyRevertParams,
)
from adminapp.catalog.keys import OnInvalid, fold
from adminapp.catalog.models import DataRow
from adminapp.catalog.selectors import spaces_where
from adminapp.core.errors import Conflict, PayloadTooLarge, PermissionDenied, ValidationFailed
from adminapp.core.principal import Principal, PrincipalKind
from adminapp.jobs.kinds import JobKind
from adminapp.jobs.models import TERMINAL_STATES, Job
from adminapp.jobs.selectors import job_get
from adminapp.jobs.services import idempotency_key_reused, job_create, job_for_idempotency_key

JSON_ITEMS_MAX = 100_000
FILE_ITEMS_MAX = 5_000_000
EXISTS_MAX = 10_000
INPUTS = "catalog/inputs"
SNIFF_BYTES = 8192


# --- permissions ----------------------------------------------------------------------------
def _may_somewhere(actor: Principal, permission: str) -> bool:
    """Whether ``actor`` holds the space permission in at least one space."""
    if actor.kind == PrincipalKind.SYSTEM or authz.space_visibility(actor).everything:
        return True
    return spaces_where(actor=actor, permission=permission).exists()


def _require_somewhere(actor: Principal, permission: str) -> None:
    if not _may_somewhere(actor, permission):
        raise PermissionDenied(f"Your roles allow {permission} in no space.")


# --- inputs ---------------------------------------------------------------------------------
def _too_many(n: int, limit: int, *, file: bool) -> PayloadTooLarge:
    where = (
        "Send them as a CSV or JSONL file to the /file variant of this endpoint "
        f"(up to {FILE_ITEMS_MAX:,} items)."
        if not file
        else "Split the file."
    )
    return PayloadTooLarge(
        f"{n:,} items is more than the {limit:,} allowed here. {where}", code="too_many_items"
    )


def _json_input(lines: list[Any]) -> tuple[str, str, int]:
    if len(lines) > JSON_ITEMS_MAX:
        raise _too_many(len(lines), JSON_ITEMS_MAX, file=False)
    body = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    name = default_storage.save(f"{INPUTS}/{uuid.uuid4().hex}.jsonl", ContentFile(body))
    return name, hashlib.sha256(body).hexdigest(), len(lines)


def _file_format(upload) -> str:
    name = (getattr(upload, "name", "") or "").lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    raise ValidationFailed(
        "The file must be CSV (.csv) or JSON lines (.jsonl).",
        fields={"file": ["A .csv or .jsonl file."]},
    )


def _file_input(upload, *, header: list[str]) -> tuple[str, str, str, int]:
    """Check the upload's shape while hashing and counting its lines chunk by chunk, then
    store it: ``(name, format, sha256, items)``."""
    fmt = _file_format(upload)
    limit = int(settings.GLOBAL_KEYS_FILE_MAX_BYTES)
    if upload.size > limit:
        raise PayloadTooLarge(
            f"The file is {upload.size:,} bytes; the limit is {limit:,}.", code="file_too_large"
        )
    digest, lines, first, last = hashlib.sha256(), 0, b"", b"\n"
    for part in upload.chunks():
        if len(first) < SNIFF_BYTES:
            first += part[: SNIFF_BYTES - len(first)]
        digest.update(part)
        lines += part.count(b"\n")
        last = part[-1:] or last
    lines += 0 if last == b"\n" else 1
    if not first.strip():
        raise ValidationFailed("The file is empty.", fields={"file": ["Empty."]})
    if b"\x00" in first:
        raise ValidationFailed("The file is not text.", fields={"file": ["Not a text file."]})
    if fmt == "csv":
        top = first.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
        if [h.strip() for h in top.split(",")] != header:
            raise ValidationFailed(
                f"The CSV file's first line must be the header {','.join(header)}.",
                fields={"file": [f"Header: {','.join(header)}."]},
            )
        lines -= 1
    if lines > FILE_ITEMS_MAX:
        raise _too_many(lines, FILE_ITEMS_MAX, file=True)
    upload.seek(0)
    name = default_storage.save(f"{INPUTS}/{uuid.uuid4().hex}.{fmt}", upload)
    return name, fmt, digest.hexdigest(), lines


def _earlier(actor: Principal, key: str, kind: str, same: dict[str, Any]) -> Job | None:
    """The job an earlier request with this Idempotency-Key started, if it was this same
    request (same kind, same input by its hash, same options); another request is a 409."""
    earlier = job_for_idempotency_key(actor=actor, idempotency_key=key)
    if earlier is None:
        return None
    if earlier.kind != kind or any(earlier.params.get(k) != v for k, v in same.items()):
        raise idempotency_key_reused(earlier)
    return earlier


def _submit(
    *,
    actor: Principal,
    kind: type[JobKind],
    permission: str,
    action: str,
    json_lines: list[Any] | None,
    upload,
    header: list[str],
    on_invalid: OnInvalid | str,
    dry_run: bool,
    idempotency_key: str | None,
) -> Job:
    _require_somewhere(actor, permission)
    on_invalid = OnInvalid(on_invalid)
    key = (idempotency_key or "").strip()
    if upload is not None:
        name, fmt, sha, n = _file_input(upload, header=header)
    else:
        name, sha, n = _json_input(json_lines or [])
        fmt = "jsonl"
    options = {"sha256": sha, "format": fmt, "on_invalid": on_invalid.value, "dry_run": dry_run}
    earlier = _earlier(actor, key, kind.name, options) if key else None
    if earlier is not None:
        default_storage.delete(name)
        return earlier
    params = GlobalKeyJobParams(input=name, items=n, **options)
    with transaction.atomic():
        job, created = job_create(actor=actor, kind=kind, params=params, idempotency_key=key)
        if created:
            audit_record(
                actor=actor,
                action=action,
                target_type="job",
                target_id=job.id,
                details={"items": n, "dry_run": dry_run, "format": fmt},
            )
    if not created:
        default_storage.delete(name)
    return job


def global_keys_assign(
    *,
    actor: Principal,
    items: list[dict[str, str]] | None = None,
    upload=None,
    on_invalid: OnInvalid | str = OnInvalid.REJECT,
    dry_run: bool = False,
    idempotency_key: str | None = None,
) -> Job:
    """Start a ``global_key_assign`` job for ``items`` (``{data_row_id, global_key}``) or an
    uploaded ``data_row_id,global_key`` CSV / JSONL file; ``dry_run`` previews it."""
    return _submit(
        actor=actor,
        kind=GlobalKeyAssign,
        permission=Permission.GLOBAL_KEY_ASSIGN,
        action="global_keys.preview" if dry_run else "global_keys.assign",
        json_lines=items,
        upload=upload,
        header=ASSIGN_CSV_HEADER,
        on_invalid=on_invalid,
        dry_run=dry_run,
        idempotency_key=idempotency_key,
    )


def global_keys_clear(
    *,
    actor: Principal,
    keys: list[str] | None = None,
    upload=None,
    dry_run: bool = False,
    idempotency_key: str | None = None,
) -> Job:
    """Start a ``global_key_clear`` job for ``keys`` or an uploaded file of keys."""
    return _submit(
        actor=actor,
        kind=GlobalKeyClear,
        permission=Permission.GLOBAL_KEY_ASSIGN,
        action="global_keys.clear_preview" if dry_run else "global_keys.clear",
        json_lines=keys,
        upload=upload,
        header=KEYS_CSV_HEADER,
        on_invalid=OnInvalid.REJECT,
        dry_run=dry_run,
        idempotency_key=idempotency_key,
    )


def global_keys_lookup(
    *,
    actor: Principal,
    keys: list[str] | None = None,
    upload=None,
    idempotency_key: str | None = None,
) -> Job:
    """Start a ``global_key_lookup`` job: data row ids for ``keys``, in input order."""
    return _submit(
        actor=actor,
        kind=GlobalKeyLookup,
        permission=Permission.DATASET_READ,
        action="global_keys.lookup",
        json_lines=keys,
        upload=upload,
        header=KEYS_CSV_HEADER,
        on_invalid=OnInvalid.REJECT,
        dry_run=False,
        idempotency_key=idempotency_key,
    )


REVERTIBLE = (GlobalKeyAssign.name, GlobalKeyClear.name)


def global_keys_revert(*, actor: Principal, job_id: str, idempotency_key: str | None = None) -> Job:
    """Start a ``global_key_revert`` job undoing a finished, applied assign or clear job the
    caller can see (404 otherwise; 422 for another kind or a preview; 409 while it runs)."""
    _require_somewhere(actor, Permission.GLOBAL_KEY_ASSIGN)
    original = job_get(actor=actor, job_id=job_id)
    if original.kind not in REVERTIBLE:
        raise ValidationFailed(
            f"Job {job_id} is a {original.kind} job; only assign and clear jobs can be reverted.",
            fields={"job_id": ["Not an assign or clear job."]},
        )
    if original.params.get("dry_run"):
        raise ValidationFailed(
            f"Job {job_id} was a preview and changed nothing.",
            fields={"job_id": ["A preview (dry run)."]},
        )
    if original.state not in TERMINAL_STATES:
        raise Conflict(
            f"Job {job_id} is still {original.state.lower()}; revert it once it has finished.",
            code="job_not_finished",
        )
    with transaction.atomic():
        job, created = job_create(
            actor=actor,
            kind=GlobalKeyRevert,
            params=GlobalKeyRevertParams(job_id=original.id, kind=original.kind),
            idempotency_key=idempotency_key,
        )
        if created:
            audit_record(
                actor=actor,
                action="global_keys.revert",
                target_type="job",
                target_id=job.id,
                details={"reverts": original.id, "kind": original.kind},
            )
    return job


def global_keys_exists(*, actor: Principal, keys: list[str]) -> list[bool]:
    """For each key, in order: whether a data row the caller can read holds it (a read:
    nothing is recorded)."""
    if len(keys) > EXISTS_MAX:
        raise _too_many(len(keys), EXISTS_MAX, file=False)
    folds = list(dict.fromkeys(fold(k) for k in keys))
    spaces: dict[str, str] = {}
    for start in range(0, len(folds), 500):
        found = (
            DataRow.objects.filter(organization_id=actor.org_id, global_key__isnull=False)
            .annotate(folded=Lower("global_key"))
            .filter(folded__in=folds[start : start + 500])
            .values_list("folded", "space_id")
        )
        spaces.update(found)
    readable = {
        s: authz.can_in_space(actor, s, Permission.DATASET_READ) for s in set(spaces.values())
    }
    return [readable.get(spaces.get(fold(k), ""), False) for k in keys]
