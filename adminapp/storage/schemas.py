"""ORM → wire conversions for storage. Secrets never reach an answer: ``auth_config`` is
the public fields with each secret shown as ``SECRET_MASK``."""

from __future__ import annotations

from adminapp.client import types as wire
from adminapp.storage import credentials, store
from adminapp.storage.jobs import REPO_GRACE
from adminapp.storage.models import BucketConfig, Repo


def bucket_config_out(config: BucketConfig) -> wire.BucketConfig:
    return wire.BucketConfig(
        id=config.id,
        nickname=config.nickname,
        uri=config.uri,
        platform=config.platform,
        bucket=config.bucket,
        prefix=config.prefix,
        extra_config=config.extra_config or {},
        auth_config=credentials.masked(config.auth_method, config.auth_config or {}),
        is_default=config.is_default,
        created_at=config.created_at,
        updated_at=config.updated_at,
    )


def repo_out(repo: Repo) -> wire.Repo:
    return wire.Repo(
        id=repo.id,
        name=repo.name,
        kind=repo.kind,
        bucket_config=repo.bucket_config.nickname,
        prefix=repo.prefix,
        description=repo.description,
        metadata=repo.metadata or {},
        deleted_at=repo.deleted_at,
        purge_after=repo.deleted_at + REPO_GRACE if repo.deleted_at else None,
        created_at=repo.created_at,
        updated_at=repo.updated_at,
    )


def store_object_out(listed: store.Listed, prefix: str) -> wire.StoreObject:
    return wire.StoreObject(
        key=listed.key.removeprefix(prefix), size=listed.size, last_modified=listed.last_modified
    )
