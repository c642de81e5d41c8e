"""A bucket config's ``auth_config``: which methods fit which platform, the rules of each
method's fields, and its secrets — split off, encrypted at rest (``core.crypto``), masked in
every answer and kept when an update leaves them out.

A refusal is a 422 naming the field (``auth_config.method``,
``auth_config.secret_access_key``, ...).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from adminapp.client.types.storage import SECRET_MASK, AuthConfig, AuthMethod, Platform
from adminapp.core import crypto
from adminapp.core.errors import ValidationFailed

M = AuthMethod
P = Platform
PLATFORMS: dict[AuthMethod, frozenset[Platform]] = {
    M.ANONYMOUS: frozenset(P),
    M.HMAC: frozenset({P.S3, P.S3_COMPATIBLE, P.GS}),
    M.AWS_CUSTOMER_MANAGED_ROLE: frozenset({P.S3}),
    M.GCP_CUSTOMER_MANAGED_ROLE: frozenset({P.GS}),
    M.AZURE_CREDENTIAL_DELEGATION: frozenset({P.AZ}),
    M.R2_CUSTOMER_MANAGED_ROLE: frozenset({P.S3_COMPATIBLE}),
}
SECRET_FIELDS: dict[AuthMethod, tuple[str, ...]] = {
    M.HMAC: ("secret_access_key",),
    M.R2_CUSTOMER_MANAGED_ROLE: ("api_token",),
}
# The non-secret fields' rules: (pattern, what it must be).
_RULES: dict[str, tuple[re.Pattern, str]] = {
    "access_key_id": (re.compile(r"^[\x21-\x7e]{1,256}$"), "1–256 printable characters."),
    "role_arn": (
        re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$", re.ASCII),
        "An IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>.",
    ),
    "external_id": (
        re.compile(r"^[\w+=,.@:/-]{2,1224}$", re.ASCII),
        "2–1224 of A-Z a-z 0-9 +=,.@:/-_",
    ),
    "service_account_email": (
        re.compile(r"^[a-z0-9-]{1,64}@[a-z0-9.-]{1,180}\.[a-z]{2,}$"),
        "A service account's e-mail address.",
    ),
    "tenant_id": (
        re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"),
        "A directory (tenant) id: a UUID.",
    ),
    "storage_account": (re.compile(r"^[a-z0-9]{3,24}$"), "3–24 lowercase letters and digits."),
    "account_id": (re.compile(r"^[0-9a-f]{32}$"), "A Cloudflare account id: 32 hex digits."),
    "secret_access_key": (re.compile(r"^[\x21-\x7e]{1,1024}$"), "1–1024 printable characters."),
    "api_token": (re.compile(r"^[\x21-\x7e]{1,1024}$"), "1–1024 printable characters."),
}
_ADAPTER: TypeAdapter = TypeAdapter(AuthConfig)


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"auth_config.{field}: {message}", fields={f"auth_config.{field}": [message]}
    )


def parse(value: Any) -> BaseModel:
    """``value`` (a dict, an auth model, or None for anonymous) as its method's model."""
    if value is None:
        value = {"method": M.ANONYMOUS.value}
    if isinstance(value, BaseModel):
        return value
    try:
        return _ADAPTER.validate_python(value)
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            path = ".".join(["auth_config", *(loc[1:] if len(loc) > 1 else loc)])
            if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
                path = "auth_config.method"
            message = "Unknown field." if err["type"] == "extra_forbidden" else err["msg"]
            fields.setdefault(path, []).append(message)
        raise ValidationFailed("auth_config is not valid.", fields=fields) from None


def clean(
    value: Any,
    platform: Platform,
    *,
    stored_method: str = "",
    stored_secrets: dict[str, str] | None = None,
) -> tuple[AuthMethod, dict[str, Any], dict[str, str]]:
    """``(method, public fields, secrets)`` of an auth config for ``platform``. A secret left
    out is the stored one when the method is unchanged (an update), required otherwise."""
    model = parse(value)
    method = AuthMethod(model.method)
    if platform not in PLATFORMS[method]:
        fits = sorted(m.value for m, platforms in PLATFORMS.items() if platform in platforms)
        raise _refuse(
            "method",
            f"{method.value} is not available for {platform.value} buckets; use one of: "
            f"{', '.join(fits)}.",
        )
    fields = model.model_dump(exclude_none=True, exclude={"method"})
    secrets = {name: fields.pop(name) for name in SECRET_FIELDS.get(method, ()) if name in fields}
    for name, text in {**fields, **secrets}.items():
        pattern, rule = _RULES[name]
        if text == SECRET_MASK:
            raise _refuse(name, "Send the secret itself, or leave it out to keep the stored one.")
        if not pattern.match(text):
            raise _refuse(name, rule)
    kept = (stored_secrets or {}) if stored_method == method.value else {}
    for name in SECRET_FIELDS.get(method, ()):
        if name not in secrets:
            if name not in kept:
                raise _refuse(name, "Required.")
            secrets[name] = kept[name]
    return method, fields, secrets


def seal(secrets: dict[str, str]) -> str:
    """What the ``secrets`` column holds: one Fernet token of the JSON object, or ""."""
    return crypto.encrypt(json.dumps(secrets, sort_keys=True)) if secrets else ""


def unseal(token: str) -> dict[str, str]:
    return json.loads(crypto.decrypt(token)) if token else {}


def masked(method: str, public: dict[str, Any]) -> dict[str, Any]:
    """The auth config as answers show it: its secrets as ``SECRET_MASK``."""
    shown: dict[str, Any] = {"method": method, **public}
    for name in SECRET_FIELDS.get(AuthMethod(method), ()):
        shown[name] = SECRET_MASK
    return shown
