"""Reads for bucket configs and repos.

Org OWNERs and ADMINs (``storage.manage``) and MEMBERs (``storage.read``) read them;
annotators and space tokens do not (a space token reaches nothing outside its space: 404).
Another organization's config or repo does not exist (404). Lists are keyset pages, the
repos with their bucket config joined in the same query, so a page costs the same number of
queries whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass

from adminapp import authz
from adminapp.authz import Permission
from adminapp.core.errors import ApplicationError, Conflict, NotFound, ValidationFailed
from adminapp.core.pagination import Page, check_limit, paginate
from adminapp.core.principal import Principal
from adminapp.core.validation import name_key
from adminapp.storage import store
from adminapp.storage.models import BucketConfig, Repo


def bucket_config_not_found(nickname: str) -> NotFound:
    return NotFound(f"Bucket config {nickname!r} not found.")


def repo_not_found(name: str) -> NotFound:
    return NotFound(f"Repo {name!r} not found.")


def find_bucket_config(org_id: str | None, nickname: str, *, lock: bool = False) -> BucketConfig:
    """The organization's config with this nickname (any letter case); 404 otherwise."""
    nickname = (nickname or "").strip()
    qs = BucketConfig.objects.filter(organization_id=org_id, nickname_key=name_key(nickname))
    found = (qs.select_for_update() if lock else qs).first()
    if found is None:
        raise bucket_config_not_found(nickname)
    return found


def find_repo(org_id: str | None, name: str, *, lock: bool = False) -> Repo | None:
    """The organization's repo with this name (any letter case), live or soft-deleted."""
    qs = Repo.objects.select_related("bucket_config").filter(
        organization_id=org_id, name_key=name_key((name or "").strip())
    )
    return (qs.select_for_update(of=("self",)) if lock else qs).first()


def bucket_config_get(*, actor: Principal, nickname: str) -> BucketConfig:
    authz.require(actor, Permission.STORAGE_READ)
    return find_bucket_config(actor.org_id, nickname)


def bucket_config_list(*, actor: Principal, limit: int = 50, cursor: str | None = None) -> Page:
    """The organization's bucket configs, oldest first (the first one is the first default)."""
    authz.require(actor, Permission.STORAGE_READ)
    qs = BucketConfig.objects.filter(organization_id=actor.org_id)
    return paginate(qs, limit=limit, cursor=cursor, newest_first=False)


def repo_get(*, actor: Principal, name: str) -> Repo:
    """A live repo (a soft-deleted one is listed with ``deleted=True`` and restored by name)."""
    authz.require(actor, Permission.STORAGE_READ)
    found = find_repo(actor.org_id, name)
    if found is None or found.deleted_at is not None:
        raise repo_not_found(name)
    return found


def repo_list(
    *, actor: Principal, deleted: bool = False, limit: int = 50, cursor: str | None = None
) -> Page:
    """Live repos, newest first; ``deleted``: the soft-deleted ones awaiting their purge."""
    authz.require(actor, Permission.STORAGE_READ)
    qs = Repo.objects.select_related("bucket_config").filter(
        organization_id=actor.org_id, deleted_at__isnull=not deleted
    )
    return paginate(qs, limit=limit, cursor=cursor)


def repos_for_bucket_config(
    *, actor: Principal, nickname: str, limit: int = 50, cursor: str | None = None
) -> Page:
    """The repos using a bucket config, soft-deleted ones included (they still hold it)."""
    config = bucket_config_get(actor=actor, nickname=nickname)
    qs = Repo.objects.select_related("bucket_config").filter(bucket_config_id=config.id)
    return paginate(qs, limit=limit, cursor=cursor)


# --- what the permission check asks this domain ----------------------------------------------
def bucket_config_in_org(config_id: str, org_id: str) -> bool:
    return BucketConfig.objects.filter(id=config_id, organization_id=org_id).exists()


def repo_in_org(repo_id: str, org_id: str) -> bool:
    return Repo.objects.filter(id=repo_id, organization_id=org_id).exists()


# --- a repo's objects ---------------------------------------------------------------------
OBJECTS_MAX = 1000
AFTER_MAX = 1024


class StoreUnavailable(ApplicationError):
    """The store refused or did not answer a request made on the caller's behalf: not the
    caller's input, so a 502 (``store_<what>``: store_bad_credentials, store_no_such_bucket,
    store_access_denied, store_unreachable, store_timeout, store_error)."""

    status_code = 502
    code = "store_error"


@dataclass(frozen=True)
class ObjectsPage:
    items: list[store.Listed]
    prefix: str  # the repo's full key prefix (the items' keys start with it)
    has_more: bool


def repo_objects(
    *, actor: Principal, name: str, after: str | None = None, limit: int = 100
) -> ObjectsPage:
    """The objects under a live repo's prefix, in key order, from the key after ``after``
    (relative to the prefix), at most ``limit``; asked with the short request timeouts."""
    repo = repo_get(actor=actor, name=name)
    check_limit(limit, OBJECTS_MAX)
    if after is not None and (len(after) > AFTER_MAX or "\x00" in after):
        raise ValidationFailed(
            f"after must be a key of at most {AFTER_MAX} characters.",
            fields={"after": [f"At most {AFTER_MAX} characters, no NUL."]},
        )
    prefix = store.full_prefix(repo.bucket_config, repo.prefix)
    try:
        listed, more = store.list_objects(
            repo.bucket_config,
            prefix=prefix,
            after=prefix + after if after else None,
            limit=limit,
            timeouts=store.REQUEST_TIMEOUTS,
        )
    except store.Unsupported as exc:
        raise Conflict(exc.message, code="store_not_supported") from None
    except store.StoreFailure as exc:
        raise StoreUnavailable(
            exc.message, code=f"store_{exc.code.removeprefix('store_')}"
        ) from None
    return ObjectsPage(items=listed, prefix=prefix, has_more=more)
