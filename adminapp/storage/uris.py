"""Where a bucket is: the URI rules of SPEC §3 and the ``extra_config`` that goes with them.

``platform://bucket[/prefix]`` with ``s3``, ``gs`` or ``az``; the bucket 3–63 characters of
``A-Z a-z 0-9 . _ -`` (no spaces), starting and ending with a letter or digit; the prefix at
most 256 characters, no leading, trailing or doubled ``/``. ``s3://`` with an
``endpoint_url`` is an S3-compatible store; without one it is AWS and needs
``region_name``. ``endpoint_url``, ``use_ssl`` and ``force_path_style`` are for ``s3://``
only. Every refusal is a 422 naming the field (``uri``, ``extra_config.<name>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from adminapp.client.types.storage import ExtraConfig, Platform
from adminapp.core.errors import ValidationFailed
from adminapp.core.validation import clean_text

SCHEMES = ("s3", "gs", "az")
BUCKET_MIN, BUCKET_MAX = 3, 63
PREFIX_MAX = 256
_URI_RE = re.compile(r"^([A-Za-z0-9]+)://(.*)$", re.DOTALL)
_BUCKET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$")
_REGION_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", fields={field: [message]})


@dataclass(frozen=True)
class Location:
    scheme: str
    bucket: str
    prefix: str

    @property
    def uri(self) -> str:
        """The canonical form, what uniqueness is decided on."""
        return f"{self.scheme}://{self.bucket}" + (f"/{self.prefix}" if self.prefix else "")


def clean_prefix(value: str, *, field: str, max_length: int = PREFIX_MAX) -> str:
    """A key prefix: at most ``max_length`` characters, no control or invisible characters,
    no leading, trailing or doubled ``/``, no ``.`` or ``..`` segment."""
    prefix = clean_text(value, field=field, max_length=max_length, required=False)
    if prefix != value.strip() or prefix != value:
        raise _refuse(field, "No leading or trailing spaces.")
    if prefix.startswith("/") or prefix.endswith("/"):
        raise _refuse(field, "The prefix must not start or end with '/'.")
    if "//" in prefix:
        raise _refuse(field, "The prefix must not contain '//'.")
    if any(part in (".", "..") for part in prefix.split("/")):
        raise _refuse(field, "The prefix must not contain '.' or '..' segments.")
    return prefix


def parse_uri(value: str) -> Location:
    value = (value or "").strip()
    found = _URI_RE.match(value)
    if not found:
        raise _refuse("uri", "Must be platform://bucket[/prefix], e.g. s3://my-bucket/data.")
    scheme, rest = found.group(1).lower(), found.group(2)
    if scheme not in SCHEMES:
        raise _refuse("uri", f"Unknown platform {scheme!r}: use s3://, gs:// or az://.")
    bucket, _, prefix = rest.partition("/")
    if rest.endswith("/"):
        raise _refuse("uri", "The URI must not end with '/'.")
    if any(ch.isspace() for ch in bucket):
        raise _refuse("uri", "The bucket name must not contain spaces.")
    if not BUCKET_MIN <= len(bucket) <= BUCKET_MAX:
        raise _refuse(
            "uri",
            f"The bucket name must be {BUCKET_MIN}–{BUCKET_MAX} characters (got {len(bucket)}).",
        )
    if not _BUCKET_RE.match(bucket):
        raise _refuse(
            "uri",
            "The bucket name may hold A-Z, a-z, 0-9, '.', '_' and '-', and must start and end "
            "with a letter or digit.",
        )
    return Location(scheme, bucket, clean_prefix(prefix, field="uri") if prefix else "")


def _model(value: Any, model: type[BaseModel], field: str) -> BaseModel | None:
    """``value`` (a dict, the model itself, or None) as ``model``; a 422 naming the field."""
    if value is None or isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for err in exc.errors():
            path = ".".join([field, *(str(p) for p in err["loc"])])
            message = "Unknown field." if err["type"] == "extra_forbidden" else err["msg"]
            fields.setdefault(path, []).append(message)
        raise ValidationFailed(f"{field} is not valid.", fields=fields) from None


def clean_extra_config(value: Any, location: Location) -> tuple[Platform, dict[str, Any]]:
    """The platform ``location`` is on and the ``extra_config`` to store (None left out)."""
    extra = _model(value, ExtraConfig, "extra_config") or ExtraConfig()
    stored = extra.model_dump(exclude_none=True)
    if location.scheme != "s3":
        for name in ("endpoint_url", "use_ssl", "force_path_style"):
            if name in stored:
                raise _refuse(f"extra_config.{name}", "Only for s3:// buckets.")
    if "endpoint_url" in stored:
        stored["endpoint_url"] = _clean_endpoint(stored["endpoint_url"])
    if "region_name" in stored and not _REGION_RE.match(stored["region_name"]):
        raise _refuse("extra_config.region_name", "1–64 characters of A-Z a-z 0-9 _ -.")
    if location.scheme == "gs":
        return Platform.GS, stored
    if location.scheme == "az":
        return Platform.AZ, stored
    if "endpoint_url" in stored:
        return Platform.S3_COMPATIBLE, stored
    if "region_name" not in stored:
        raise _refuse(
            "extra_config.region_name",
            "Required for s3:// buckets on AWS (or give endpoint_url for an S3-compatible store).",
        )
    return Platform.S3, stored


def _clean_endpoint(value: str) -> str:
    field = "extra_config.endpoint_url"
    value = value.strip()
    try:
        parts = urlsplit(value)
        port = parts.port  # a port out of range raises
    except ValueError:
        raise _refuse(field, "Not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refuse(field, "An http:// or https:// URL with a host name.")
    if parts.username or parts.password:
        raise _refuse(field, "No credentials in the URL: give them in auth_config.")
    if parts.query or parts.fragment or any(ch.isspace() for ch in value):
        raise _refuse(field, "No query, fragment or spaces.")
    del port
    return value.rstrip("/")
