"""Talking to a bucket: one S3 client built from a stored config (boto3), listing under a
prefix, and the store's refusals put in words.

Every call has a connect and a read timeout and at most one attempt (``retries``: no storm
of retries against a store that is down): the check job uses ``JOB_TIMEOUTS``, a request
thread (browsing) the shorter ``REQUEST_TIMEOUTS``. Only S3 and S3-compatible stores are
spoken to; a ``gs://`` or ``az://`` config, or a role-based method this installation has no
cloud identity to assume, is ``Unsupported`` — said so, never a made-up success.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from adminapp.client.types.storage import AuthMethod, Platform
from adminapp.storage import credentials
from adminapp.storage.models import BucketConfig


@dataclass(frozen=True)
class Timeouts:
    connect: float
    read: float


JOB_TIMEOUTS = Timeouts(connect=5, read=10)
REQUEST_TIMEOUTS = Timeouts(connect=2, read=5)
SPOKEN = {Platform.S3, Platform.S3_COMPATIBLE}
SIGNED = {AuthMethod.HMAC: ("access_key_id", "secret_access_key")}


class StoreFailure(Exception):  # noqa: N818 - what the store answered, in words
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class Unsupported(StoreFailure):
    pass


@dataclass(frozen=True)
class Listed:
    key: str  # the full key
    size: int
    last_modified: datetime


def require_spoken(config: BucketConfig) -> None:
    """``Unsupported`` unless this installation can talk to the config's store itself."""
    platform, method = Platform(config.platform), AuthMethod(config.auth_method)
    if platform not in SPOKEN:
        raise Unsupported(
            "not_supported",
            f"Checking, browsing, imports and exports are available for S3 and S3-compatible "
            f"stores; "
            f"{config.uri} is on {platform.value}.",
        )
    if method not in (AuthMethod.ANONYMOUS, AuthMethod.HMAC):
        raise Unsupported(
            "not_supported",
            f"This installation cannot use {method.value} credentials itself; it talks to "
            "stores with anonymous and hmac bucket configs.",
        )


def client_for(config: BucketConfig, timeouts: Timeouts) -> Any:
    require_spoken(config)
    method = AuthMethod(config.auth_method)
    extra = config.extra_config or {}
    options: dict[str, Any] = {
        "connect_timeout": timeouts.connect,
        "read_timeout": timeouts.read,
        "retries": {"total_max_attempts": 1, "mode": "standard"},
    }
    if extra.get("force_path_style"):
        options["s3"] = {"addressing_style": "path"}
    kwargs: dict[str, Any] = {
        "region_name": extra.get("region_name") or "us-east-1",
        "endpoint_url": extra.get("endpoint_url"),
        "use_ssl": extra.get("use_ssl", True),
    }
    if method == AuthMethod.ANONYMOUS:
        options["signature_version"] = UNSIGNED
    else:
        secrets = credentials.unseal(config.secrets)
        kwargs["aws_access_key_id"] = config.auth_config["access_key_id"]
        kwargs["aws_secret_access_key"] = secrets["secret_access_key"]
    return boto3.session.Session().client("s3", config=Config(**options), **kwargs)


def full_prefix(config: BucketConfig, sub: str = "") -> str:
    """The key prefix of ``sub`` (a repo's prefix) in the config's bucket, ending in ``/``."""
    parts = [p for p in (config.prefix, sub) if p]
    return "/".join(parts) + "/" if parts else ""


_WORDS = {
    "InvalidAccessKeyId": ("bad_credentials", "The store does not know this access key id."),
    "SignatureDoesNotMatch": (
        "bad_credentials",
        "The store refused the secret access key (the signature does not match).",
    ),
    "InvalidToken": ("bad_credentials", "The store refused the credentials."),
    "ExpiredToken": ("bad_credentials", "The credentials have expired."),
    "NoSuchBucket": ("no_such_bucket", "The bucket does not exist."),
    "AccessDenied": ("access_denied", "The credentials are not allowed to list this bucket."),
    "AllAccessDisabled": ("access_denied", "All access to this bucket has been disabled."),
}


def describe(exc: Exception, config: BucketConfig) -> StoreFailure:
    """A botocore error as what the store said, in words, with our code."""
    where = (config.extra_config or {}).get("endpoint_url") or "the store"
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return StoreFailure("timeout", f"{where} did not answer in time ({exc}).")
    if isinstance(exc, EndpointConnectionError):
        return StoreFailure("unreachable", f"Could not connect to {where}.")
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _WORDS:
            ours, words = _WORDS[code]
            return StoreFailure(ours, f"{words} ({code})")
        if status == 403:
            return StoreFailure("access_denied", f"The store refused access ({code or 403}).")
        if status == 404:
            return StoreFailure("no_such_bucket", f"The bucket was not found ({code or 404}).")
        return StoreFailure(
            "store_error", f"The store answered {status}: {code} {error.get('Message', '')}".strip()
        )
    return StoreFailure("store_error", f"The store could not be reached: {exc}")


def list_objects(
    config: BucketConfig,
    *,
    prefix: str,
    after: str | None = None,
    limit: int = 1,
    timeouts: Timeouts = JOB_TIMEOUTS,
) -> tuple[list[Listed], bool]:
    """At most ``limit`` objects under ``prefix`` (a full key prefix), in key order, starting
    after the key ``after``; and whether there are more."""
    client = client_for(config, timeouts)
    request: dict[str, Any] = {"Bucket": config.bucket, "Prefix": prefix, "MaxKeys": limit}
    if after:
        request["StartAfter"] = after
    try:
        answer = client.list_objects_v2(**request)
    except (BotoCoreError, ClientError) as exc:
        raise describe(exc, config) from None
    finally:
        client.close()
    listed = [
        Listed(key=o["Key"], size=int(o.get("Size", 0)), last_modified=o["LastModified"])
        for o in answer.get("Contents", [])
    ]
    return listed, bool(answer.get("IsTruncated"))
