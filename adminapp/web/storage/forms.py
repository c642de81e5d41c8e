"""Forms for the storage pages. Like every dashboard form they only parse and re-render input:
the URI rules, which auth method fits which platform, the metadata limits and every other
rule live behind the API, whose field errors ``flow.apply_api_errors`` puts back next to
these fields (``auth_config.secret_access_key`` → the secret's field, via ``api_fields``).

Secrets are typed, never shown: their inputs are password fields that render no value, so
a form re-rendered after an error asks for the secret again instead of echoing it."""

from __future__ import annotations

import re
from typing import Any, get_args

from django import forms

from adminapp.client.types.storage import AuthConfig, AuthMethod, BucketConfig, RepoKind

# Each method's fields, from the SDK's own auth models (method → field names, in order).
_AUTH_MODELS = get_args(get_args(AuthConfig)[0])
AUTH_FIELDS: dict[str, tuple[str, ...]] = {
    get_args(model.model_fields["method"].annotation)[0]: tuple(
        name for name in model.model_fields if name != "method"
    )
    for model in _AUTH_MODELS
}
SECRET_FIELDS = ("secret_access_key", "api_token")
METHOD_LABELS = {
    AuthMethod.ANONYMOUS: "Anonymous (a public bucket)",
    AuthMethod.HMAC: "Access key and secret (HMAC)",
    AuthMethod.AWS_CUSTOMER_MANAGED_ROLE: "AWS IAM role you manage",
    AuthMethod.GCP_CUSTOMER_MANAGED_ROLE: "Google Cloud service account you manage",
    AuthMethod.AZURE_CREDENTIAL_DELEGATION: "Azure credential delegation",
    AuthMethod.R2_CUSTOMER_MANAGED_ROLE: "Cloudflare R2 API token",
}
METHOD_CHOICES = [(m.value, METHOD_LABELS[m]) for m in AuthMethod]
AUTH_LABELS = {
    "access_key_id": "Access key id",
    "secret_access_key": "Secret access key",
    "role_arn": "Role ARN",
    "external_id": "External id",
    "service_account_email": "Service account email",
    "tenant_id": "Tenant id",
    "storage_account": "Storage account",
    "account_id": "Account id",
    "api_token": "API token",
}
TRISTATE = [("", "Default"), ("true", "Yes"), ("false", "No")]
EXTRA_FIELDS = ("endpoint_url", "region_name", "use_ssl", "force_path_style")
KIND_CHOICES = [(RepoKind.ICECHUNK.value, "Icechunk"), (RepoKind.V1.value, "V1")]
ON_INVALID_CHOICES = [
    ("reject", "Reject the row (INVALID_KEY)"),
    ("sanitize", "Sanitize it (characters not allowed become _)"),
]


def _text(max_length: int, **attrs: str) -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=max_length,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", **attrs}),
    )


def _secret() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )


def _flag(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


class BucketConfigForm(forms.Form):
    """Add a bucket config, or change one (``nickname_only``: once repos use it). The auth
    fields of every method are fields of the form; only the chosen method's are sent."""

    api_fields = {
        "auth_config": "auth_method",
        "auth_config.method": "auth_method",
        **{f"auth_config.{name}": name for name in AUTH_LABELS},
        **{f"extra_config.{name}": name for name in EXTRA_FIELDS},
    }

    nickname = _text(64, placeholder="e.g. lake")
    uri = _text(1024, placeholder="s3://my-bucket/data")
    endpoint_url = _text(2048, placeholder="https://… (S3-compatible stores only)")
    region_name = _text(64, placeholder="e.g. us-east-1")
    use_ssl = forms.ChoiceField(required=False, choices=TRISTATE, label="Use SSL")
    force_path_style = forms.ChoiceField(required=False, choices=TRISTATE)
    auth_method = forms.ChoiceField(
        required=False, choices=METHOD_CHOICES, label="Authentication method"
    )
    access_key_id = _text(256)
    secret_access_key = _secret()
    role_arn = _text(2048, placeholder="arn:aws:iam::123456789012:role/name")
    external_id = _text(1224)
    service_account_email = _text(254)
    tenant_id = _text(64)
    storage_account = _text(24)
    account_id = _text(64)
    api_token = _secret()

    def __init__(
        self,
        *args: Any,
        config: BucketConfig | None = None,
        nickname_only: bool = False,
        **kwargs: Any,
    ) -> None:
        if config is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(config)
        super().__init__(*args, **kwargs)
        self.config = config  # the config being changed (None: a new one)
        self.nickname_only = nickname_only
        self.fields["uri"].label = "URI"
        self.fields["uri"].help_text = (
            "platform://bucket[/prefix]: s3://, gs:// or az://. Creating a config creates no "
            "bucket."
        )
        self.fields["endpoint_url"].label = "Endpoint URL"
        self.fields["region_name"].label = "Region"
        self.fields["region_name"].help_text = "Required for s3:// on AWS (no endpoint URL)."
        for name, label in AUTH_LABELS.items():
            self.fields[name].label = label
        for name in SECRET_FIELDS:
            self.fields[name].help_text = (
                "Never shown again. Leave it empty to keep the stored one."
                if config is not None
                else "Never shown again once saved."
            )
        if nickname_only:
            for name in list(self.fields):
                if name != "nickname":
                    del self.fields[name]

    def method(self) -> str:
        """The chosen method (as typed when bound, else the initial one)."""
        value = self["auth_method"].value() if "auth_method" in self.fields else None
        return value if value in AUTH_FIELDS else AuthMethod.ANONYMOUS.value

    def auth_fields(self, method: str | None = None) -> list[forms.BoundField]:
        """The auth fields to show: ``method``'s only, or every method's (``None``)."""
        names = AUTH_FIELDS.get(method, ()) if method else tuple(AUTH_LABELS)
        return [self[name] for name in names if name in self.fields]

    @property
    def chosen_auth_fields(self) -> list[forms.BoundField]:
        return self.auth_fields(self.method())

    def auth_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Every method with fields, and its fields (the page without JavaScript)."""
        return [
            (METHOD_LABELS[AuthMethod(m)], [self[n] for n in names])
            for m, names in AUTH_FIELDS.items()
            if names
        ]

    def secrets_typed(self) -> bool:
        """Whether a secret was typed into this (bound) form: after an error it is asked for
        again, not shown."""
        return self.is_bound and any(self.data.get(self.add_prefix(n)) for n in SECRET_FIELDS)

    def _extra(self) -> dict[str, Any]:
        data = self.cleaned_data
        extra: dict[str, Any] = {
            "endpoint_url": data.get("endpoint_url") or None,
            "region_name": data.get("region_name") or None,
            "use_ssl": _flag(data.get("use_ssl", "")),
            "force_path_style": _flag(data.get("force_path_style", "")),
        }
        return {k: v for k, v in extra.items() if v is not None}

    def _auth(self) -> dict[str, Any]:
        method = self.cleaned_data.get("auth_method") or AuthMethod.ANONYMOUS.value
        auth: dict[str, Any] = {"method": method}
        for name in AUTH_FIELDS.get(method, ()):
            if self.cleaned_data.get(name):
                auth[name] = self.cleaned_data[name]
        return auth

    def sdk_arguments(self) -> dict[str, Any]:
        """``create``'s arguments, or ``update``'s (what changed) for a config being changed."""
        if self.config is not None:
            return self.changes(self.config)
        data = self.cleaned_data
        return {
            "nickname": data.get("nickname", ""),
            "uri": data.get("uri", ""),
            "extra_config": self._extra() or None,
            "auth_config": self._auth(),
        }

    def changes(self, config: BucketConfig) -> dict[str, Any]:
        """``client.storage.bucket_configs.update``'s arguments for what differs from
        ``config``: a secret left empty keeps the stored one (it is not sent)."""
        data = self.cleaned_data
        changes: dict[str, Any] = {}
        if data.get("nickname", "") != config.nickname:
            changes["new_nickname"] = data.get("nickname", "")
        if "uri" not in self.fields:
            return changes
        if data.get("uri", "") != config.uri:
            changes["uri"] = data.get("uri", "")
        if self._extra() != dict(config.extra_config or {}):
            changes["extra_config"] = self._extra()
        auth = self._auth()
        stored = {k: v for k, v in config.auth_config.items() if k not in SECRET_FIELDS}
        public = {k: v for k, v in auth.items() if k not in SECRET_FIELDS}
        if public != stored or len(auth) > len(public):
            changes["auth_config"] = auth
        return changes

    @classmethod
    def initial_for(cls, config: BucketConfig) -> dict[str, Any]:
        extra = config.extra_config or {}
        flags = {True: "true", False: "false"}
        return {
            "nickname": config.nickname,
            "uri": config.uri,
            "endpoint_url": extra.get("endpoint_url", ""),
            "region_name": extra.get("region_name", ""),
            "use_ssl": flags.get(extra.get("use_ssl"), ""),
            "force_path_style": flags.get(extra.get("force_path_style"), ""),
            "auth_method": config.auth_config.get("method", AuthMethod.ANONYMOUS.value),
            **{
                k: v
                for k, v in config.auth_config.items()
                if k in AUTH_LABELS and k not in SECRET_FIELDS
            },
        }


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _scalar(text: str) -> Any:
    """A metadata value: true/false and numbers as such, anything else as text."""
    if text in ("true", "false"):
        return text == "true"
    if _NUMBER.match(text):
        return float(text) if "." in text else int(text)
    return text


class KeyValueLinesField(forms.CharField):
    """``key=value`` lines as a dict of scalars (the API judges the keys, values and size)."""

    example = "team=climate"  # a value it parses (tests/web/test_forms_messages.py)

    def __init__(self, **kwargs: Any) -> None:
        attrs = {"rows": 3, "spellcheck": "false", "placeholder": "team=climate\nyear=2024"}
        kwargs.setdefault("widget", forms.Textarea(attrs=attrs))
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> dict[str, Any]:
        parsed: dict[str, Any] = {}
        for number, line in enumerate(str(value or "").splitlines(), 1):
            if not line.strip():
                continue
            key, sep, text = line.partition("=")
            key = key.strip()
            if not sep or not key:
                raise forms.ValidationError(f"Line {number}: write it as key=value.")
            if key in parsed:
                raise forms.ValidationError(f"Line {number}: “{key}” is given twice.")
            parsed[key] = _scalar(text.strip())
        return parsed

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return "\n".join(f"{k}={v}" for k, v in value.items())
        return value


class RepoForm(forms.Form):
    """Create a repo in a bucket config (the default one is picked at first). ``configs``:
    the ones the form offers; ``more``: the organization has others, so the config is
    typed (any nickname, the API checks it) with the offered ones suggested
    (``suggestions``, a ``<datalist>``) instead of picked from a select."""

    name = _text(128, placeholder="e.g. climate")
    kind = forms.ChoiceField(required=False, choices=KIND_CHOICES)
    bucket_config_nickname = forms.ChoiceField(required=False, label="Bucket config")
    prefix = _text(1024, placeholder="Default: the repo's id")
    description = forms.CharField(
        required=False, max_length=255, widget=forms.Textarea(attrs={"rows": 2})
    )
    metadata = KeyValueLinesField(
        help_text="One key=value a line. Numbers and true/false are kept as such, anything "
        "else is text.",
    )

    SUGGESTIONS_ID = "bucket-config-suggestions"

    def __init__(
        self, *args: Any, configs: list[BucketConfig] = (), more: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.has_configs = bool(configs)
        self.suggestions: list[tuple[str, str]] = []
        if more:
            self.fields["bucket_config_nickname"] = forms.CharField(
                required=False,
                max_length=255,
                label="Bucket config",
                help_text=f"Its nickname ({len(configs)} suggested as you type). Empty: the "
                "organization's default bucket config.",
                widget=forms.TextInput(
                    attrs={
                        "list": self.SUGGESTIONS_ID,
                        "autocomplete": "off",
                        "spellcheck": "false",
                    }
                ),
            )
            self.suggestions = [(c.nickname, c.uri) for c in configs]
            return
        field = self.fields["bucket_config_nickname"]
        field.choices = [
            (c.nickname, f"{c.nickname} ({c.uri}){' — default' if c.is_default else ''}")
            for c in configs
        ]
        default = next((c.nickname for c in configs if c.is_default), None)
        if default:
            self.initial.setdefault("bucket_config_nickname", default)
        elif configs:  # none is the default (it was deleted): a select would pick the first
            # one unasked; "" leaves the choice to the API, which says what is missing
            field.choices = [("", "The organization's default bucket config"), *field.choices]
            self.initial.setdefault("bucket_config_nickname", "")

    def sdk_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data.get("name", ""),
            "kind": data.get("kind") or None,
            "bucket_config_nickname": data.get("bucket_config_nickname") or None,
            "prefix": data.get("prefix") or None,
            "description": data.get("description") or None,
            "metadata": data.get("metadata") or None,
        }


class _PicksADataset:
    """A job between a repo and a dataset: the dataset is picked from a select (grouped by
    space) given as ``datasets``."""

    api_fields = {"dataset_id": "dataset"}

    def _offer(self, datasets: list) -> None:
        self.fields["dataset"].choices = [("", "Pick a dataset"), *datasets]


class RepoExportForm(_PicksADataset, forms.Form):
    """Export a dataset's rows as JSON Lines to an object under the repo's prefix."""

    dataset = forms.ChoiceField(required=False)
    object_name = _text(256, placeholder="Default: the dataset's id")

    def __init__(self, *args: Any, datasets: list = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._offer(datasets)
        self.fields["object_name"].label = "Object name"
        self.fields[
            "object_name"
        ].help_text = (
            "Written as <repo prefix>/<object name>.jsonl; an object of that name is replaced."
        )

    def sdk_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"dataset": data.get("dataset", ""), "object_name": data.get("object_name") or None}


class RepoImportForm(_PicksADataset, forms.Form):
    """Import the .csv / .jsonl objects under the repo's prefix (or a prefix below it) into
    a dataset."""

    dataset = forms.ChoiceField(required=False)
    prefix = _text(1024, placeholder="Default: all of the repo")
    on_invalid = forms.ChoiceField(
        required=False, choices=ON_INVALID_CHOICES, label="A global key that breaks the rules"
    )

    def __init__(self, *args: Any, datasets: list = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._offer(datasets)
        self.fields["prefix"].label = "Below the prefix"

    def sdk_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "dataset": data.get("dataset", ""),
            "prefix": data.get("prefix") or None,
            "on_invalid": data.get("on_invalid") or "reject",
        }
