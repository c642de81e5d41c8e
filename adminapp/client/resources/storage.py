"""``client.storage``: ``client.storage.bucket_configs`` and ``client.storage.repos`` (SPEC §3).

Secrets are sent, never read back: a bucket config's ``auth_config`` shows them as
``SECRET_MASK``; an ``update`` whose ``auth_config`` leaves a secret out keeps the stored one.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from pydantic import BaseModel

from adminapp.client._pagination import CursorPage
from adminapp.client.resources._base import Requester, Resource, body, seg
from adminapp.client.resources.jobs import Job
from adminapp.client.types.storage import (
    BucketConfig,
    BucketConfigCreateParams,
    BucketConfigPage,
    BucketConfigUpdateParams,
    Repo,
    RepoCreateParams,
    RepoExportParams,
    RepoImportParams,
    RepoKind,
    RepoPage,
    StoreObjectPage,
)


def _plain(value: Any) -> Any:
    """An auth or extra config given as a model (``HmacAuth(...)``) as the object it sends."""
    return (
        value.model_dump(mode="json", exclude_none=True) if isinstance(value, BaseModel) else value
    )


def _path(nickname: str) -> str:
    return f"/storage/bucket-configs/{seg(nickname)}"


class BucketConfigs(Resource):
    """``client.storage.bucket_configs``: where the organization's data lives. Managing
    them takes an org OWNER or ADMIN; members read them."""

    def create(
        self,
        *,
        nickname: str,
        uri: str,
        extra_config: Mapping[str, Any] | BaseModel | None = None,
        auth_config: Mapping[str, Any] | BaseModel | None = None,
    ) -> BucketConfig:
        """Store a bucket config (``uri``: ``platform://bucket[/prefix]``; ``auth_config``:
        ``{"method": ..., ...}``, default anonymous). No bucket is created. The first
        config of an organization becomes its default."""
        return self._send(
            "POST",
            "/storage/bucket-configs",
            BucketConfig,
            body(
                BucketConfigCreateParams,
                nickname=nickname,
                uri=uri,
                extra_config=_plain(extra_config),
                auth_config=_plain(auth_config),
            ),
        )

    def list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> CursorPage[BucketConfig]:
        """Every bucket config, oldest first (iterate for all of them)."""
        return self._page(
            "/storage/bucket-configs", BucketConfigPage, {"limit": limit, "cursor": cursor}
        )

    def get(self, *, nickname: str) -> BucketConfig:
        return self._get(_path(nickname), BucketConfig)

    def update(
        self,
        *,
        nickname: str,
        new_nickname: str | None = None,
        uri: str | None = None,
        extra_config: Mapping[str, Any] | BaseModel | None = None,
        auth_config: Mapping[str, Any] | BaseModel | None = None,
    ) -> BucketConfig:
        """Change what is given. Once repos use the config only its nickname may change
        (``ConflictError``, code ``bucket_config_in_use``)."""
        return self._send(
            "PATCH",
            _path(nickname),
            BucketConfig,
            body(
                BucketConfigUpdateParams,
                nickname=new_nickname,
                uri=uri,
                extra_config=_plain(extra_config),
                auth_config=_plain(auth_config),
            ),
        )

    def set_default(self, *, nickname: str) -> BucketConfig:
        """Make it the default: the bucket config of repos created without one."""
        return self._send("POST", f"{_path(nickname)}/default", BucketConfig)

    def delete(self, *, nickname: str, imsure: bool = False, imreallysure: bool = False) -> None:
        """Delete a bucket config (not the bucket). Both confirmations must be True; a config
        repos use is a ``ConflictError`` whose ``body`` lists them."""
        self._client.request(
            "DELETE",
            _path(nickname),
            params={"imsure": imsure, "imreallysure": imreallysure},
        )

    def check(self, *, nickname: str, idempotency_key: str | None = None) -> Job:
        """Start the access check: a job that lists at most one object with the stored
        credentials. ``job.wait().result`` says ``ok`` or what the store answered."""
        response = self._client.request(
            "POST", f"{_path(nickname)}/check", creates_job=True, idempotency_key=idempotency_key
        )
        return Job.bind(response.json(), self._client)

    def repos(
        self, *, nickname: str, limit: int | None = None, cursor: str | None = None
    ) -> CursorPage[Repo]:
        """The repos using this bucket config (deleted ones awaiting their purge included)."""
        return self._page(f"{_path(nickname)}/repos", RepoPage, {"limit": limit, "cursor": cursor})


class Repos(Resource):
    """``client.storage.repos``: named locations (a prefix) in a bucket config."""

    def _fields(self, **fields: Any) -> dict[str, Any]:
        return body(RepoCreateParams, **fields)

    def create(
        self,
        *,
        name: str,
        bucket_config_nickname: str | None = None,
        kind: RepoKind | str | None = None,
        prefix: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Repo:
        """Create a repo in ``bucket_config_nickname`` (default: the organization's default
        config), of ``kind`` (default icechunk), under ``prefix`` (default: its id)."""
        return self._send(
            "POST",
            "/storage/repos",
            Repo,
            self._fields(
                name=name,
                bucket_config_nickname=bucket_config_nickname,
                kind=kind,
                prefix=prefix,
                description=description,
                metadata=metadata,
            ),
        )

    def get_or_create(
        self,
        *,
        name: str,
        bucket_config_nickname: str | None = None,
        kind: RepoKind | str | None = None,
        prefix: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Repo:
        """The repo named ``name``, created if missing. An existing repo whose kind, bucket
        config or prefix differs from one given is a ``ConflictError`` saying which."""
        return self._send(
            "POST",
            "/storage/repos/get-or-create",
            Repo,
            self._fields(
                name=name,
                bucket_config_nickname=bucket_config_nickname,
                kind=kind,
                prefix=prefix,
                description=description,
                metadata=metadata,
            ),
        )

    def get(self, *, name: str) -> Repo:
        return self._get(f"/storage/repos/{seg(name)}", Repo)

    def list(
        self, *, deleted: bool = False, limit: int | None = None, cursor: str | None = None
    ) -> CursorPage[Repo]:
        """Live repos, newest first; ``deleted=True``: those deleted and still restorable."""
        params = {"deleted": deleted or None, "limit": limit, "cursor": cursor}
        return self._page("/storage/repos", RepoPage, params)

    def delete(
        self,
        *,
        name: str,
        imsure: bool = False,
        imreallysure: bool = False,
        immediate: bool = False,
    ) -> None:
        """Delete a repo: restorable for 7 days (``restore``) unless ``immediate``. The
        objects under its prefix are not touched. Both confirmations must be True."""
        self._client.request(
            "DELETE",
            f"/storage/repos/{seg(name)}",
            params={"imsure": imsure, "imreallysure": imreallysure, "immediate": immediate},
        )

    def export_dataset(
        self,
        *,
        name: str,
        dataset: str | Any,
        object_name: str | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Start writing a dataset's rows (``dataset``: an id or a ``Dataset``) as JSONL to
        ``<repo prefix>/<object_name>.jsonl``; ``job.wait().result`` has its URI and counts."""
        response = self._client.request(
            "POST",
            f"/storage/repos/{seg(name)}/exports",
            json=body(
                RepoExportParams,
                dataset_id=dataset if isinstance(dataset, str) else dataset.id,
                object_name=object_name,
            ),
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return Job.bind(response.json(), self._client)

    def import_rows(
        self,
        *,
        name: str,
        dataset: str | Any,
        prefix: str | None = None,
        on_invalid: str | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Start importing the .csv / .jsonl objects under the repo's prefix (or ``prefix``
        below it) into a dataset: one ``data_rows_import`` job per object, named in this
        job's items (``import_job_id``)."""
        response = self._client.request(
            "POST",
            f"/storage/repos/{seg(name)}/imports",
            json=body(
                RepoImportParams,
                dataset_id=dataset if isinstance(dataset, str) else dataset.id,
                prefix=prefix,
                on_invalid=on_invalid,
            ),
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return Job.bind(response.json(), self._client)

    def restore(self, *, name: str) -> Repo:
        return self._send("POST", f"/storage/repos/{seg(name)}/restore", Repo)

    def objects(
        self, *, name: str, after: str | None = None, limit: int | None = None
    ) -> StoreObjectPage:
        """One page of the objects under the repo's prefix, in key order (keys relative to
        the prefix); pass ``next_after`` as ``after`` for the next page."""
        return self._get(
            f"/storage/repos/{seg(name)}/objects",
            StoreObjectPage,
            {"after": after, "limit": limit},
        )


class Storage:
    """``client.storage``."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    @cached_property
    def bucket_configs(self) -> BucketConfigs:
        return BucketConfigs(self._client)

    @cached_property
    def repos(self) -> Repos:
        return Repos(self._client)
