"""Creating, deleting, restoring and purging repos (SPEC §3).

A repo's name is unique per organization in any letter case, among live and soft-deleted
repos alike: a deleted repo keeps its name for its grace period (``REPO_GRACE``, 7 days), so
it can always be restored; deleting it ``immediate``-ly frees the name at once. Deleting a
repo removes its record, never the objects under its prefix. Writes lock the bucket config
they use, so a config cannot change or go while a repo is being attached to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from adminapp import authz
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.catalog.services.rows import clean_metadata
from adminapp.client.types.storage import RepoKind
from adminapp.core.errors import Conflict, NotFound, ValidationFailed
from adminapp.core.principal import Principal, PrincipalKind
from adminapp.core.validation import clean_text, name_key
from adminapp.jobs.models import TERMINAL_STATES, Job
from adminapp.jobs.services import job_create
from adminapp.spaces.services.naming import clean_name
from adminapp.storage.jobs import REPO_GRACE, RepoPurge, RepoPurgeParams, purge_deadline
from adminapp.storage.models import (
    REPO_DESCRIPTION_MAX,
    REPO_NAME_MAX,
    REPO_PREFIX_MAX,
    BucketConfig,
    Repo,
)
from adminapp.storage.selectors import find_bucket_config, find_repo, repo_not_found
from adminapp.storage.services.bucket_configs import require_confirmation
from adminapp.storage.uris import clean_prefix

DEFAULT_KIND = RepoKind.ICECHUNK
# Path segments that cannot name a repo: POST /storage/repos/get-or-create is an endpoint.
RESERVED_REPO_NAMES = frozenset({"get-or-create"})


def _clean_repo_name(value: str | None) -> str:
    """At most 128 characters on one line, no '/' (repos are addressed ``org/repo``) and no
    '..' (nor a name that is '.')."""
    name = clean_name(value, max_length=REPO_NAME_MAX)
    if "/" in name:
        raise ValidationFailed("A repo name cannot contain '/'.", fields={"name": ["No '/'."]})
    if ".." in name or name == ".":
        raise ValidationFailed(
            "A repo name cannot contain '..' or be '.'.", fields={"name": ["No '..'."]}
        )
    if name.casefold() in RESERVED_REPO_NAMES:
        raise ValidationFailed(f"{name!r} is reserved.", fields={"name": ["Reserved."]})
    return name


def _clean_kind(value: Any) -> RepoKind:
    if value is None:
        return DEFAULT_KIND
    try:
        return RepoKind(value)
    except ValueError:
        kinds = ", ".join(k.value for k in RepoKind)
        raise ValidationFailed(
            f"kind must be one of {kinds}.", fields={"kind": [f"One of {kinds}."]}
        ) from None


def _clean_repo_metadata(value: Any) -> dict[str, Any]:
    """A JSON object of at most 4,096 bytes as compact JSON (the data rows' rule,
    ``catalog.services.rows.clean_metadata``) whose values are scalars: text, numbers,
    true/false or null."""
    metadata = clean_metadata(value)
    nested = sorted(k for k, v in metadata.items() if isinstance(v, dict | list))
    if nested:
        message = "Must be text, a number, true/false or null (not an object or a list)."
        raise ValidationFailed(
            f"metadata.{nested[0]}: {message}", fields={f"metadata.{nested[0]}": [message]}
        )
    return metadata


def _name_taken(repo: Repo) -> Conflict:
    if repo.deleted_at is not None:
        return Conflict(
            f"A deleted repo named {repo.name!r} can still be restored (until "
            f"{(repo.deleted_at + REPO_GRACE).isoformat()}); restore it, or delete it with "
            "immediate=true to free the name.",
            code="repo_name_taken",
            fields={"name": ["Held by a deleted repo."]},
        )
    return Conflict(
        f"A repo named {repo.name!r} already exists.",
        code="repo_name_taken",
        fields={"name": ["Taken (in any letter case)."]},
    )


def _prefix_taken(prefix: str, config: BucketConfig) -> Conflict:
    return Conflict(
        f"Another repo of bucket config {config.nickname!r} has the prefix {prefix!r}.",
        code="repo_prefix_taken",
        fields={"prefix": ["Taken in this bucket config."]},
    )


def _config_for(actor: Principal, nickname: str | None) -> BucketConfig:
    if nickname is not None:
        try:
            return find_bucket_config(actor.org_id, nickname, lock=True)
        except NotFound as exc:
            raise ValidationFailed(
                exc.message, fields={"bucket_config_nickname": ["No such bucket config."]}
            ) from None
    config = (
        BucketConfig.objects.select_for_update()
        .filter(organization_id=actor.org_id, is_default=True)
        .first()
    )
    if config is None:
        raise Conflict(
            "The organization has no bucket config yet: create one (it becomes the default).",
            code="no_default_bucket_config",
        )
    return config


@transaction.atomic
def repo_create(
    *,
    actor: Principal,
    name: str,
    bucket_config_nickname: str | None = None,
    kind: Any = None,
    prefix: str | None = None,
    description: str | None = None,
    metadata: Any = None,
) -> Repo:
    authz.require(actor, Permission.STORAGE_MANAGE)
    repo = Repo(organization_id=actor.org_id, name=_clean_repo_name(name), kind=_clean_kind(kind))
    repo.name_key = name_key(repo.name)
    repo.prefix = (
        clean_prefix(prefix, field="prefix", max_length=REPO_PREFIX_MAX) if prefix else repo.id
    )
    repo.description = clean_text(
        description, field="description", max_length=REPO_DESCRIPTION_MAX, required=False
    )
    repo.metadata = _clean_repo_metadata(metadata)
    config = _config_for(actor, bucket_config_nickname)
    repo.bucket_config = config
    existing = find_repo(actor.org_id, repo.name)
    if existing is not None:
        raise _name_taken(existing)
    if Repo.objects.filter(bucket_config_id=config.id, prefix=repo.prefix).exists():
        raise _prefix_taken(repo.prefix, config)
    try:
        with transaction.atomic():
            repo.save()
    except IntegrityError:
        existing = find_repo(actor.org_id, repo.name)
        if existing is not None:
            raise _name_taken(existing) from None
        raise _prefix_taken(repo.prefix, config) from None
    audit_record(
        actor=actor,
        action="repo.create",
        target_type="repo",
        target_id=repo.id,
        details={
            "name": repo.name,
            "kind": repo.kind,
            "bucket_config": config.nickname,
            "prefix": repo.prefix,
        },
    )
    return repo


def _mismatches(repo: Repo, *, kind: Any, nickname: str | None, prefix: str | None) -> None:
    if kind is not None and _clean_kind(kind).value != repo.kind:
        raise Conflict(
            f"Repo {repo.name!r} exists with kind {repo.kind}, not {_clean_kind(kind).value}.",
            code="repo_kind_mismatch",
            fields={"kind": [f"The repo's kind is {repo.kind}."]},
        )
    if nickname is not None and name_key(nickname.strip()) != repo.bucket_config.nickname_key:
        raise Conflict(
            f"Repo {repo.name!r} exists in bucket config {repo.bucket_config.nickname!r}, "
            f"not {nickname.strip()!r}.",
            code="repo_bucket_mismatch",
            fields={"bucket_config_nickname": [f"The repo's is {repo.bucket_config.nickname!r}."]},
        )
    if prefix is not None and prefix != repo.prefix:
        raise Conflict(
            f"Repo {repo.name!r} exists with the prefix {repo.prefix!r}.",
            code="repo_prefix_mismatch",
            fields={"prefix": [f"The repo's prefix is {repo.prefix!r}."]},
        )


def repo_get_or_create(
    *,
    actor: Principal,
    name: str,
    bucket_config_nickname: str | None = None,
    kind: Any = None,
    prefix: str | None = None,
    description: str | None = None,
    metadata: Any = None,
) -> tuple[Repo, bool]:
    """``(repo, created)``. An existing repo whose kind, bucket config or prefix differs
    from one given is a 409 saying which (``repo_kind_mismatch``, ``repo_bucket_mismatch``,
    ``repo_prefix_mismatch``); a deleted one is ``repo_name_taken``."""
    authz.require(actor, Permission.STORAGE_MANAGE)
    name = _clean_repo_name(name)
    for _ in range(2):  # a concurrent create of the same name: read the winner's repo
        existing = find_repo(actor.org_id, name)
        if existing is not None:
            if existing.deleted_at is not None:
                raise _name_taken(existing)
            _mismatches(existing, kind=kind, nickname=bucket_config_nickname, prefix=prefix)
            return existing, False
        try:
            repo = repo_create(
                actor=actor,
                name=name,
                bucket_config_nickname=bucket_config_nickname,
                kind=kind,
                prefix=prefix,
                description=description,
                metadata=metadata,
            )
            return repo, True
        except Conflict as exc:
            if exc.code != "repo_name_taken":
                raise
    raise Conflict("The repo changed meanwhile; try again.")


@transaction.atomic
def repo_delete(
    *,
    actor: Principal,
    name: str,
    imsure: bool = False,
    imreallysure: bool = False,
    immediate: bool = False,
) -> None:
    """Soft-delete a repo (restorable for 7 days, then purged), or with ``immediate`` remove
    it now (a soft-deleted one too). The objects under its prefix are not touched."""
    authz.require(actor, Permission.STORAGE_MANAGE)
    repo = find_repo(actor.org_id, name, lock=True)
    if repo is None:
        raise repo_not_found(name)
    require_confirmation(imsure, imreallysure)
    details = {
        "name": repo.name,
        "bucket_config": repo.bucket_config.nickname,
        "immediate": immediate,
    }
    if immediate:
        Repo.objects.filter(id=repo.id).delete()
    elif repo.deleted_at is not None:
        raise Conflict(
            f"Repo {repo.name!r} is already deleted: restore it, or delete it with immediate=true.",
            code="repo_deleted",
        )
    else:
        repo.deleted_at = timezone.now()
        repo.save(update_fields=["deleted_at", "updated_at"])
        details["purge_after"] = (repo.deleted_at + REPO_GRACE).isoformat()
    audit_record(
        actor=actor, action="repo.delete", target_type="repo", target_id=repo.id, details=details
    )


@transaction.atomic
def repo_restore(*, actor: Principal, name: str) -> Repo:
    """Bring back a soft-deleted repo within its grace period."""
    authz.require(actor, Permission.STORAGE_MANAGE)
    repo = find_repo(actor.org_id, name, lock=True)
    if repo is None or (repo.deleted_at is not None and repo.deleted_at < purge_deadline()):
        raise NotFound(f"No deleted repo named {name!r} can be restored.")
    if repo.deleted_at is None:
        raise Conflict(f"Repo {repo.name!r} is not deleted.", code="repo_not_deleted")
    repo.deleted_at = None
    repo.save(update_fields=["deleted_at", "updated_at"])
    audit_record(
        actor=actor,
        action="repo.restore",
        target_type="repo",
        target_id=repo.id,
        details={"name": repo.name},
    )
    return repo


def repos_purge_start(*, now: datetime | None = None) -> list[Job]:
    """Beat's part: one ``repo_purge`` job, as the system, for each organization holding
    repos deleted longer ago than the grace period (none while one is still unfinished)."""
    deadline = purge_deadline(now)
    org_ids = set(
        Repo.objects.filter(deleted_at__isnull=False, deleted_at__lt=deadline).values_list(
            "organization_id", flat=True
        )
    )
    busy = set(
        Job.objects.filter(organization_id__in=org_ids, kind=RepoPurge.name)
        .exclude(state__in=TERMINAL_STATES)
        .values_list("organization_id", flat=True)
    )
    started = []
    for org_id in sorted(org_ids - busy):
        system = Principal(kind=PrincipalKind.SYSTEM, org_id=org_id, role=None, label="system")
        with transaction.atomic():
            job, _ = job_create(
                actor=system, kind=RepoPurge, params=RepoPurgeParams(deleted_before=deadline)
            )
        started.append(job)
    return started
