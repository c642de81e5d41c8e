"""Bucket configs and the repos that use them (SPEC §3).

Rules that must hold under concurrency are database constraints:

- a bucket config's nickname is unique per organization by its name key (NFKC + casefold),
  and so is its URI (canonical form, ``storage.uris``);
- an organization has at most one default bucket config (a unique index on the
  organization among rows with ``is_default``); the services keep exactly one while any
  config exists, changing it under a lock on the organization row;
- a repo's name is unique per organization by its name key, among live and soft-deleted
  repos alike (a deleted repo keeps its name until it is purged, so it can always be
  restored; ``immediate`` deletion frees it at once); two repos of one bucket config
  never share a prefix;
- a bucket config used by a repo (live or awaiting its purge) cannot be deleted
  (``PROTECT``).

Secrets are never stored in ``auth_config``: they are in ``secrets``, one Fernet token of
their JSON object (``core.crypto``, ADMINAPP_ENCRYPTION_KEYS), "" when there are none.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from adminapp.core.models import BaseModel, public_id
from adminapp.core.validation import NAME_KEY_MAX

NICKNAME_MAX = 64
URI_MAX = 400  # scheme + bucket (63) + prefix (256)
REPO_NAME_MAX = 128
REPO_PREFIX_MAX = 256
REPO_DESCRIPTION_MAX = 255
REPO_METADATA_MAX_BYTES = 4096  # enforced by catalog.services.rows.clean_metadata


class BucketConfig(BaseModel):
    id = public_id("bkt")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="bucket_configs"
    )
    nickname = models.CharField(max_length=NICKNAME_MAX)
    nickname_key = models.CharField(max_length=NAME_KEY_MAX)  # core.validation.name_key
    uri = models.CharField(max_length=URI_MAX)
    platform = models.CharField(max_length=16)  # client.types.storage.Platform
    bucket = models.CharField(max_length=63)
    prefix = models.CharField(max_length=256, blank=True, default="")
    extra_config = models.JSONField(default=dict, blank=True)
    auth_method = models.CharField(max_length=32)  # client.types.storage.AuthMethod
    auth_config = models.JSONField(default=dict, blank=True)  # without its secrets
    secrets = models.TextField(blank=True, default="")  # a Fernet token, or ""
    is_default = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "nickname_key"], name="bucket_config_nickname_unique"
            ),
            models.UniqueConstraint(
                fields=["organization", "uri"], name="bucket_config_uri_unique"
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(is_default=True),
                name="bucket_config_one_default",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "created_at", "id"], name="bucket_config_org_time")
        ]

    def __str__(self) -> str:
        return self.nickname


class Repo(BaseModel):
    id = public_id("repo")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="repos"
    )
    bucket_config = models.ForeignKey(
        BucketConfig, on_delete=models.PROTECT, related_name="repos", db_index=False
    )
    name = models.CharField(max_length=REPO_NAME_MAX)
    name_key = models.CharField(max_length=NAME_KEY_MAX)
    kind = models.CharField(max_length=16)  # client.types.storage.RepoKind
    prefix = models.CharField(max_length=REPO_PREFIX_MAX)
    description = models.CharField(max_length=REPO_DESCRIPTION_MAX, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name_key"], name="repo_name_unique"),
            models.UniqueConstraint(
                fields=["bucket_config", "prefix"], name="repo_bucket_prefix_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "created_at", "id"],
                condition=Q(deleted_at__isnull=True),
                name="repo_org_time",
            ),
            models.Index(
                fields=["organization", "created_at", "id"],
                condition=Q(deleted_at__isnull=False),
                name="repo_org_deleted_time",
            ),
            models.Index(fields=["bucket_config", "created_at", "id"], name="repo_bucket_time"),
            models.Index(  # the purge: repos deleted before a time, in every organization
                fields=["deleted_at"],
                condition=Q(deleted_at__isnull=False),
                name="repo_deleted_at",
            ),
        ]

    def __str__(self) -> str:
        return self.name
