"""Bucket configs and repos built through the real services."""

from __future__ import annotations

from typing import Any

from adminapp.storage import services
from adminapp.storage.models import BucketConfig, Repo
from tests.factories import Tenant

HMAC = {"method": "hmac", "access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3cr3t-Value/xyz"}


def make_bucket_config(
    tenant: Tenant,
    nickname: str = "primary",
    uri: str = "s3://acme-data/team",
    *,
    extra_config: dict[str, Any] | None = None,
    auth_config: dict[str, Any] | None = None,
) -> BucketConfig:
    return services.bucket_config_create(
        actor=tenant.principal("OWNER"),
        nickname=nickname,
        uri=uri,
        extra_config={"region_name": "us-east-1"} if extra_config is None else extra_config,
        auth_config=auth_config,
    )


def make_repo(tenant: Tenant, name: str = "climate", **kwargs: Any) -> Repo:
    return services.repo_create(actor=tenant.principal("OWNER"), name=name, **kwargs)
