"""The storage domain's sections of the "all org data" export (``accounts.org_data``):
bucket configs (secrets masked, as the API shows them) and repos (soft-deleted ones too,
with their ``deleted_at``)."""

from __future__ import annotations

from adminapp.accounts.org_data import records, register_section
from adminapp.storage.models import BucketConfig, Repo
from adminapp.storage.schemas import bucket_config_out, repo_out


def _bucket_configs(org_id: str):
    return records(BucketConfig.objects.filter(organization_id=org_id), bucket_config_out)


def _repos(org_id: str):
    repos = Repo.objects.filter(organization_id=org_id).select_related("bucket_config")
    return records(repos, repo_out)


def register() -> None:
    register_section(
        "bucket_configs", _bucket_configs, description="Bucket configs (secrets masked)."
    )
    register_section("repos", _repos, description="Repos, soft-deleted ones included.")
