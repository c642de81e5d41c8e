"""Wire types of storage: bucket configs and the repos that use them (SPEC §3).

A bucket config's ``auth_config`` is a union discriminated by ``method``; which methods fit
which platform, and the URI rules, are the server's (``adminapp.storage.uris``). Secrets
(``secret_access_key``, ``api_token``) are sent, never returned: responses carry
``SECRET_MASK`` in their place, and an update that omits a secret keeps the stored one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from adminapp.client.types.common import Page, ParamsModel, WireModel

__all__ = [
    "SECRET_MASK",
    "AnonymousAuth",
    "AuthConfig",
    "AuthConfigIn",
    "AuthMethod",
    "AwsCustomerManagedRoleAuth",
    "AzureCredentialDelegationAuth",
    "BucketCheckResult",
    "BucketConfig",
    "BucketConfigCreateParams",
    "BucketConfigPage",
    "BucketConfigUpdateParams",
    "ExtraConfig",
    "GcpCustomerManagedRoleAuth",
    "HmacAuth",
    "Platform",
    "R2CustomerManagedRoleAuth",
    "Repo",
    "RepoCreateParams",
    "RepoExportParams",
    "RepoImportParams",
    "RepoKind",
    "RepoPage",
    "StoreObject",
    "StoreObjectPage",
]

SECRET_MASK = "********"  # noqa: S105 - what a response shows in place of a stored secret


class Platform(StrEnum):
    """Where a bucket lives: from the URI's scheme, and for ``s3://`` whether an
    ``endpoint_url`` points at an S3-compatible store instead of AWS."""

    S3 = "s3"
    S3_COMPATIBLE = "s3_compatible"
    GS = "gs"
    AZ = "az"


class AuthMethod(StrEnum):
    ANONYMOUS = "anonymous"
    HMAC = "hmac"
    AWS_CUSTOMER_MANAGED_ROLE = "aws_customer_managed_role"
    GCP_CUSTOMER_MANAGED_ROLE = "gcp_customer_managed_role"
    AZURE_CREDENTIAL_DELEGATION = "azure_credential_delegation"
    R2_CUSTOMER_MANAGED_ROLE = "r2_customer_managed_role"


class RepoKind(StrEnum):
    V1 = "v1"
    ICECHUNK = "icechunk"


class ExtraConfig(ParamsModel):
    endpoint_url: str | None = Field(
        None, max_length=2048, description="An S3-compatible store's URL (s3:// only)."
    )
    region_name: str | None = Field(
        None, max_length=64, description="Required for s3:// on AWS (no endpoint_url)."
    )
    use_ssl: bool | None = Field(None, description="s3:// only; default true.")
    force_path_style: bool | None = Field(
        None, description="s3:// only: bucket in the path, not the host name."
    )


class AnonymousAuth(ParamsModel):
    """No credentials: a public bucket. Every platform."""

    method: Literal["anonymous"] = "anonymous"


class HmacAuth(ParamsModel):
    """An access key pair: s3, s3_compatible and gs (HMAC interoperability keys)."""

    method: Literal["hmac"]
    access_key_id: str = Field(max_length=256)
    secret_access_key: str | None = Field(
        None, max_length=1024, description="Secret: required when set up, never returned."
    )


class AwsCustomerManagedRoleAuth(ParamsModel):
    """An IAM role in your AWS account that this installation assumes: s3 only."""

    method: Literal["aws_customer_managed_role"]
    role_arn: str = Field(max_length=2048, description="arn:aws:iam::<account>:role/<name>")
    external_id: str | None = Field(None, max_length=1224)


class GcpCustomerManagedRoleAuth(ParamsModel):
    """A service account this installation impersonates: gs only."""

    method: Literal["gcp_customer_managed_role"]
    service_account_email: str = Field(max_length=254)


class AzureCredentialDelegationAuth(ParamsModel):
    """A user delegation through your Azure AD tenant: az only."""

    method: Literal["azure_credential_delegation"]
    tenant_id: str = Field(max_length=64)
    storage_account: str = Field(max_length=24)


class R2CustomerManagedRoleAuth(ParamsModel):
    """A Cloudflare R2 API token: s3_compatible only (an R2 endpoint_url)."""

    method: Literal["r2_customer_managed_role"]
    account_id: str = Field(max_length=64)
    api_token: str | None = Field(
        None, max_length=1024, description="Secret: required when set up, never returned."
    )


AuthConfig = Annotated[
    AnonymousAuth
    | HmacAuth
    | AwsCustomerManagedRoleAuth
    | GcpCustomerManagedRoleAuth
    | AzureCredentialDelegationAuth
    | R2CustomerManagedRoleAuth,
    Field(discriminator="method"),
]


# How a request carries an auth config: an object with its ``method``, judged by the server
# (``adminapp.storage.credentials``, which parses it as ``AuthConfig``) so that every refusal
# names the field as it was sent (``auth_config.secret_access_key``, not the union member).
AuthConfigIn = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "description": "{method, ...its fields}: one of AnonymousAuth, HmacAuth, "
            "AwsCustomerManagedRoleAuth, GcpCustomerManagedRoleAuth, "
            "AzureCredentialDelegationAuth, R2CustomerManagedRoleAuth.",
            "properties": {"method": {"type": "string", "enum": [m.value for m in AuthMethod]}},
            "required": ["method"],
        }
    ),
]


class BucketConfig(WireModel):
    id: str
    nickname: str
    uri: str = Field(description="platform://bucket[/prefix]")
    platform: Platform
    bucket: str
    prefix: str = ""
    extra_config: dict[str, Any] = Field(default_factory=dict)
    auth_config: dict[str, Any] = Field(
        description=f"``method`` and its fields; secrets shown as {SECRET_MASK!r}."
    )
    is_default: bool
    created_at: datetime
    updated_at: datetime


class BucketConfigPage(Page[BucketConfig]):
    pass


class Repo(WireModel):
    id: str
    name: str
    kind: RepoKind
    bucket_config: str = Field(description="The bucket config's nickname.")
    prefix: str = Field(description="Under the bucket config's prefix.")
    description: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    deleted_at: datetime | None = None
    purge_after: datetime | None = Field(
        None, description="A deleted repo can be restored until then."
    )
    created_at: datetime
    updated_at: datetime


class RepoPage(Page[Repo]):
    pass


class StoreObject(WireModel):
    key: str = Field(description="The object's key, relative to the repo's prefix.")
    size: int
    last_modified: datetime


class StoreObjectPage(WireModel):
    items: list[StoreObject]
    has_more: bool
    next_after: str | None = Field(None, description="Pass as ``after`` for the next page.")


class BucketCheckResult(WireModel):
    """A finished ``bucket_config_check`` job's ``result``."""

    ok: bool
    code: str = Field(description="ok, bad_credentials, no_such_bucket, access_denied, ...")
    message: str
    nickname: str
    uri: str
    objects_seen: int = Field(0, description="0 or 1: the check lists at most one object.")


# --- request bodies -------------------------------------------------------------------------
class BucketConfigCreateParams(ParamsModel):
    nickname: str = Field(max_length=256)
    uri: str = Field(max_length=1024, description="platform://bucket[/prefix]")
    extra_config: ExtraConfig | None = None
    auth_config: AuthConfigIn | None = Field(None, description='Default {"method": "anonymous"}.')


class BucketConfigUpdateParams(ParamsModel):
    """Fields left out are kept. Once repos use the config only ``nickname`` may change."""

    nickname: str | None = Field(None, max_length=256)
    uri: str | None = Field(None, max_length=1024)
    extra_config: ExtraConfig | None = None
    auth_config: AuthConfigIn | None = Field(
        None, description="Same method without its secret: the stored secret is kept."
    )


class RepoExportParams(ParamsModel):
    dataset_id: str = Field(max_length=64)
    object_name: str | None = Field(
        None,
        max_length=256,
        description="The object is <repo prefix>/<object_name>.jsonl "
        "(default: the dataset's id); an object of that name is replaced.",
    )


class RepoImportParams(ParamsModel):
    dataset_id: str = Field(max_length=64)
    prefix: str | None = Field(
        None, max_length=1024, description="Below the repo's prefix (default: all of it)."
    )
    on_invalid: str = Field("reject", max_length=16, description="reject or sanitize.")


class RepoCreateParams(ParamsModel):
    name: str = Field(max_length=512)
    bucket_config_nickname: str | None = Field(
        None, max_length=256, description="Default: the organization's default bucket config."
    )
    kind: RepoKind | None = Field(None, description="Default: icechunk.")
    prefix: str | None = Field(None, max_length=1024, description="Default: the repo's id.")
    description: str | None = Field(None, max_length=1024)
    metadata: dict[str, Any] | None = Field(
        None, description="Scalars only (no objects or lists), at most 4,096 bytes as JSON."
    )
