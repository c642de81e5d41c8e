"""Writes for storage (SPEC §3): ``bucket_configs``, ``repos`` and ``transfers`` (the jobs
moving data rows between datasets and repos), one module per aggregate.

Every function takes the acting ``Principal``, checks ``storage.manage`` through
``adminapp.authz``, writes in one transaction and records one audit event in it, never with
a secret in its details.
"""

from adminapp.storage.services.bucket_configs import (
    bucket_config_check,
    bucket_config_create,
    bucket_config_delete,
    bucket_config_set_default,
    bucket_config_update,
)
from adminapp.storage.services.repos import (
    repo_create,
    repo_delete,
    repo_get_or_create,
    repo_restore,
    repos_purge_start,
)
from adminapp.storage.services.transfers import repo_export_dataset, repo_import_rows

__all__ = [
    "bucket_config_check",
    "bucket_config_create",
    "bucket_config_delete",
    "bucket_config_set_default",
    "bucket_config_update",
    "repo_create",
    "repo_delete",
    "repo_export_dataset",
    "repo_get_or_create",
    "repo_import_rows",
    "repo_restore",
    "repos_purge_start",
]
