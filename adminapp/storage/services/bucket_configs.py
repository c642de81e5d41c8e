"""Creating, changing, defaulting, checking and deleting bucket configs (SPEC §3).

Every write holds the organization row's lock (``_lock_org``) for its transaction, so the
"exactly one default" rule and the "in use" rules are decided one writer at a time; the
database constraints (one default, unique nickname and URI) stay the last word.

Choices (README, "Storage"):
- the first config of an organization becomes its default; ``bucket_config_set_default``
  moves the default;
- the default cannot be deleted while other configs exist (409
  ``bucket_config_is_default``: make another one the default first); the last one can, and
  the next config created becomes the default;
- a config any repo uses (live, or deleted and awaiting its purge) cannot be deleted (409
  ``bucket_config_in_use``, ``details.repos``), and only its nickname may change (409 naming
  each other field given). A secret sent for an in-use config is refused even if it is the
  stored one (the answer must not tell whether a guess was right).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction

from adminapp import authz
from adminapp.accounts.models import Organization
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.client.types.storage import Platform
from adminapp.core.errors import BadRequest, Conflict, ValidationFailed
from adminapp.core.principal import Principal
from adminapp.core.validation import name_key
from adminapp.jobs.models import Job
from adminapp.storage import credentials
from adminapp.storage.jobs import BucketConfigCheck, BucketConfigCheckParams
from adminapp.storage.models import NICKNAME_MAX, BucketConfig, Repo
from adminapp.storage.selectors import find_bucket_config
from adminapp.storage.services.transfers import start_once
from adminapp.storage.uris import Location, clean_extra_config, parse_uri

NICKNAME_MIN = 3
_NICKNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$")
IN_USE_LISTED = 100  # repos named in a bucket_config_in_use answer


def _clean_nickname(value: str | None, *, field: str = "nickname") -> str:
    """3–64 characters of A-Z a-z 0-9 . _ -, starting and ending with a letter or digit (it
    is a path segment of every bucket-config URL)."""
    nickname = (value or "").strip()
    if not NICKNAME_MIN <= len(nickname) <= NICKNAME_MAX or not _NICKNAME_RE.match(nickname):
        message = (
            f"{NICKNAME_MIN}–{NICKNAME_MAX} characters of A-Z, a-z, 0-9, '.', '_' and '-', "
            "starting and ending with a letter or digit."
        )
        raise ValidationFailed(f"{field}: {message}", fields={field: [message]})
    return nickname


def require_confirmation(imsure: bool, imreallysure: bool) -> None:
    missing = [
        name for name, given in (("imsure", imsure), ("imreallysure", imreallysure)) if not given
    ]
    if missing:
        raise ValidationFailed(
            "Deleting needs both imsure=true and imreallysure=true.",
            fields={name: ["Confirm with true."] for name in missing},
        )


def _lock_org(org_id: str | None) -> None:
    """Serialise this organization's bucket-config writes until the transaction ends.

    FOR NO KEY UPDATE: it excludes the other config writers but not the inserts that only
    reference the organization (a repo, an audit event take FOR KEY SHARE on it); with FOR
    UPDATE a repo created while its config was being deleted deadlocked (the repo's insert
    waited for the organization, the delete for the config the create had locked)."""
    list(Organization.objects.select_for_update(no_key=True).filter(id=org_id).values_list("id"))


def _nickname_taken(nickname: str) -> Conflict:
    return Conflict(
        f"A bucket config nicknamed {nickname!r} already exists.",
        code="bucket_config_nickname_taken",
        fields={"nickname": ["Taken (in any letter case)."]},
    )


def _uri_taken(uri: str) -> Conflict:
    return Conflict(
        f"A bucket config for {uri} already exists.",
        code="bucket_config_uri_taken",
        fields={"uri": ["Another bucket config has this URI."]},
    )


def _save(config: BucketConfig, **kwargs: Any) -> BucketConfig:
    """Save; a constraint a concurrent writer hit first is the pre-check's 409."""
    try:
        with transaction.atomic():
            config.save(**kwargs)
    except IntegrityError:
        peers = BucketConfig.objects.filter(organization_id=config.organization_id).exclude(
            id=config.id
        )
        if peers.filter(nickname_key=config.nickname_key).exists():
            raise _nickname_taken(config.nickname) from None
        if peers.filter(uri=config.uri).exists():
            raise _uri_taken(config.uri) from None
        raise Conflict("The bucket config changed meanwhile; try again.") from None
    return config


def _check_unique(config: BucketConfig) -> None:
    peers = BucketConfig.objects.filter(organization_id=config.organization_id).exclude(
        id=config.id
    )
    if peers.filter(nickname_key=config.nickname_key).exists():
        raise _nickname_taken(config.nickname)
    if peers.filter(uri=config.uri).exists():
        raise _uri_taken(config.uri)


def _place(config: BucketConfig, location: Location, extra_config: Any) -> None:
    platform, extra = clean_extra_config(extra_config, location)
    config.uri, config.bucket, config.prefix = location.uri, location.bucket, location.prefix
    config.platform, config.extra_config = platform.value, extra


@transaction.atomic
def bucket_config_create(
    *,
    actor: Principal,
    nickname: str,
    uri: str,
    extra_config: Any = None,
    auth_config: Any = None,
) -> BucketConfig:
    """Store a bucket config (no bucket is created). The organization's first is its default."""
    authz.require(actor, Permission.STORAGE_MANAGE)
    nickname = _clean_nickname(nickname)
    config = BucketConfig(organization_id=actor.org_id, nickname=nickname)
    config.nickname_key = name_key(nickname)
    _place(config, parse_uri(uri), extra_config)
    method, public, secrets = credentials.clean(auth_config, Platform(config.platform))
    config.auth_method, config.auth_config = method.value, public
    config.secrets = credentials.seal(secrets)
    _lock_org(actor.org_id)
    _check_unique(config)
    config.is_default = not BucketConfig.objects.filter(
        organization_id=actor.org_id, is_default=True
    ).exists()
    _save(config)
    audit_record(
        actor=actor,
        action="bucket_config.create",
        target_type="bucket_config",
        target_id=config.id,
        details={
            "nickname": nickname,
            "uri": config.uri,
            "auth_method": config.auth_method,
            "is_default": config.is_default,
        },
    )
    return config


def _repos_in_the_way(config: BucketConfig) -> dict[str, Any]:
    """``details`` of a bucket_config_in_use answer: the repos using it (the first 100)."""
    rows = list(
        Repo.objects.filter(bucket_config_id=config.id)
        .order_by("name_key")
        .values("id", "name", "deleted_at")[: IN_USE_LISTED + 1]
    )
    repos = [
        {"id": r["id"], "name": r["name"], "deleted": r["deleted_at"] is not None}
        for r in rows[:IN_USE_LISTED]
    ]
    return {"repos": repos, "more": len(rows) > IN_USE_LISTED}


@transaction.atomic
def bucket_config_update(
    *,
    actor: Principal,
    nickname: str,
    new_nickname: str | None = None,
    uri: str | None = None,
    extra_config: Any = None,
    auth_config: Any = None,
) -> BucketConfig:
    """Change what is given; a secret the new ``auth_config`` leaves out is kept when the
    method is unchanged."""
    authz.require(actor, Permission.STORAGE_MANAGE)
    if all(v is None for v in (new_nickname, uri, extra_config, auth_config)):
        raise BadRequest(
            "Give at least one of nickname, uri, extra_config, auth_config.",
            fields={"body": ["Nothing to change."]},
        )
    _lock_org(actor.org_id)
    config = find_bucket_config(actor.org_id, nickname, lock=True)
    before = {
        "nickname": config.nickname,
        "uri": config.uri,
        "extra_config": config.extra_config,
        "auth_config": {"method": config.auth_method, **config.auth_config},
    }
    if new_nickname is not None:
        config.nickname = _clean_nickname(new_nickname)
        config.nickname_key = name_key(config.nickname)
    if uri is not None or extra_config is not None:
        location = parse_uri(uri) if uri is not None else parse_uri(config.uri)
        _place(config, location, extra_config if extra_config is not None else config.extra_config)
    secrets_sent = False
    if auth_config is not None or uri is not None or extra_config is not None:
        # A new platform must still fit the method (stored, or given).
        given = auth_config if auth_config is not None else _stored_auth(config)
        stored = credentials.unseal(config.secrets)
        method, public, secrets = credentials.clean(
            given,
            Platform(config.platform),
            stored_method=config.auth_method,
            stored_secrets=stored,
        )
        secrets_sent = auth_config is not None and any(
            name in credentials.parse(auth_config).model_fields_set
            for name in credentials.SECRET_FIELDS.get(method, ())
        )
        if secrets != stored:
            config.secrets = credentials.seal(secrets)
        config.auth_method, config.auth_config = method.value, public
    after = {
        "nickname": config.nickname,
        "uri": config.uri,
        "extra_config": config.extra_config,
        "auth_config": {"method": config.auth_method, **config.auth_config},
    }
    changes = {k: {"from": before[k], "to": after[k]} for k in before if before[k] != after[k]}
    if secrets_sent:
        changes["secrets"] = {"replaced": True}  # never the values
    frozen = sorted({k if k != "secrets" else "auth_config" for k in changes} - {"nickname"})
    if frozen and Repo.objects.filter(bucket_config_id=config.id).exists():
        message = "Repos use this bucket config: only its nickname may change."
        raise Conflict(
            message,
            code="bucket_config_in_use",
            fields={name: [message] for name in frozen},
            details=_repos_in_the_way(config),
        )
    if not changes:
        return config
    _check_unique(config)
    _save(config)
    audit_record(
        actor=actor,
        action="bucket_config.update",
        target_type="bucket_config",
        target_id=config.id,
        details={"nickname": config.nickname, "changes": changes},
    )
    return config


def _stored_auth(config: BucketConfig) -> dict[str, Any]:
    return {"method": config.auth_method, **config.auth_config}


@transaction.atomic
def bucket_config_set_default(*, actor: Principal, nickname: str) -> BucketConfig:
    """Make this config the organization's default (the one repos get when none is named)."""
    authz.require(actor, Permission.STORAGE_MANAGE)
    _lock_org(actor.org_id)
    config = find_bucket_config(actor.org_id, nickname, lock=True)
    if config.is_default:
        return config
    previous = BucketConfig.objects.filter(organization_id=actor.org_id, is_default=True).first()
    # Unset first: the one-default index is checked row by row.
    BucketConfig.objects.filter(organization_id=actor.org_id, is_default=True).update(
        is_default=False
    )
    config.is_default = True
    _save(config, update_fields=["is_default", "updated_at"])
    audit_record(
        actor=actor,
        action="bucket_config.set_default",
        target_type="bucket_config",
        target_id=config.id,
        details={"nickname": config.nickname, "previous": previous.nickname if previous else None},
    )
    return config


@transaction.atomic
def bucket_config_delete(
    *, actor: Principal, nickname: str, imsure: bool = False, imreallysure: bool = False
) -> None:
    """Delete a config no repo uses (the bucket and its objects are not touched)."""
    authz.require(actor, Permission.STORAGE_MANAGE)
    _lock_org(actor.org_id)
    config = find_bucket_config(actor.org_id, nickname, lock=True)
    require_confirmation(imsure, imreallysure)
    if Repo.objects.filter(bucket_config_id=config.id).exists():
        raise Conflict(
            f"Repos use bucket config {config.nickname!r}: delete them first.",
            code="bucket_config_in_use",
            details=_repos_in_the_way(config),
        )
    others = BucketConfig.objects.filter(organization_id=actor.org_id).exclude(id=config.id)
    if config.is_default and others.exists():
        raise Conflict(
            f"{config.nickname!r} is the default bucket config: make another one the default "
            "first.",
            code="bucket_config_is_default",
        )
    config_id = config.id
    config.delete()
    audit_record(
        actor=actor,
        action="bucket_config.delete",
        target_type="bucket_config",
        target_id=config_id,
        details={"nickname": config.nickname, "uri": config.uri},
    )


@transaction.atomic
def bucket_config_check(
    *, actor: Principal, nickname: str, idempotency_key: str | None = None
) -> Job:
    """Start the job that lists at most one object under the config's prefix with its stored
    credentials and says what the store answered (the API answers 202 with it)."""
    authz.require(actor, Permission.STORAGE_MANAGE)
    config = find_bucket_config(actor.org_id, nickname)
    return start_once(
        actor=actor,
        kind=BucketConfigCheck,
        params=BucketConfigCheckParams(bucket_config_id=config.id, nickname=config.nickname),
        idempotency_key=idempotency_key,
    )
