"""Forms of the plugins pages. Like every dashboard form they only parse and re-render input:
the URL and checkout rules of git installs, what an archive may hold, and a macro's
parameter rules (lengths, bounds, choices) live behind the API, whose field errors
``flow.apply_api_errors`` puts back next to these fields.

A macro's form is generated from its ``params`` JSON schema (``MacroForm``): each property
becomes a field of its type — string → text, integer → whole number, number → number,
boolean → checkbox, a property with ``enum`` → a select of those values — labelled by its
``title``, explained by its ``description``, filled with its ``default`` and required when
the schema says so. The API's errors about ``params.<name>`` come back next to that field.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.forms.utils import pretty_name

from adminapp.client.types.plugins import PluginComponentRef

_USERINFO = re.compile(r"^(\s*[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")


def _text(max_length: int, **attrs: str) -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=max_length,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", **attrs}),
    )


class StoreSearchForm(forms.Form):
    """The store's catalogue narrowed by words (in the id, label, description or author)
    and by a tag; the store is small, so the view filters what the API lists."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.SearchInput(attrs={"autocomplete": "off"}),
    )
    tag = forms.ChoiceField(required=False, label="Tag")

    def __init__(self, *args: Any, tags: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", "Any tag"), *((t, t) for t in tags)]


class ArchiveForm(forms.Form):
    """Install a plugin from an uploaded zip (a newer version of an installed plugin
    updates it). The file is streamed on to the API, never read here."""

    file = forms.FileField(
        required=False,
        label="Plugin zip file",
        help_text="A zip with plugin.json at its root (or in its only folder).",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    allow_downgrade = forms.BooleanField(
        required=False,
        label="Allow a downgrade",
        help_text="Install even when this version is older than the one installed.",
    )

    def sdk_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "file": data["file"],
            "filename": data["file"].name,
            "allow_downgrade": bool(data.get("allow_downgrade")),
        }


class GitForm(forms.Form):
    """Install a plugin from a git repository: its URL, a branch, tag or sha, and the folder
    holding plugin.json."""

    url = forms.CharField(
        required=False,
        max_length=2048,
        label="Repository URL",
        help_text="https://… (credentials in the URL are refused).",
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    checkout = _text(255)
    checkout.label = "Checkout"
    checkout.help_text = "A branch, tag or commit sha; empty: the repository's default branch."
    subpath = _text(1024)
    subpath.label = "Subpath"
    subpath.help_text = "The folder holding plugin.json; empty: the repository's root."
    allow_downgrade = forms.BooleanField(
        required=False,
        label="Allow a downgrade",
        help_text="Install even when this version is older than the one installed.",
    )

    def forget_credentials(self) -> None:
        """Re-rendered after a refusal, the URL shows no user or password typed in it."""
        url = self.data.get("url", "")
        redacted = _USERINFO.sub(r"\1", url)
        if redacted != url:
            self.data = self.data.copy()
            self.data["url"] = redacted

    def sdk_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "url": data.get("url", "").strip(),
            "checkout": data.get("checkout", "").strip() or None,
            "subpath": data.get("subpath", "").strip() or None,
            "allow_downgrade": bool(data.get("allow_downgrade")),
        }


class UpdateForm(forms.Form):
    """Update an installed plugin from its own source: the store's newest version, its git
    repository (the same checkout, or another one), or — installed from an upload — a zip
    of the newer version."""

    checkout = _text(255)
    checkout.label = "Checkout"
    checkout.help_text = "Empty: the checkout it was installed from."
    file = forms.FileField(
        required=False,
        label="Newer zip file",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    allow_downgrade = forms.BooleanField(
        required=False,
        label="Allow a downgrade",
        help_text="Install even when that version is not newer than the one installed.",
    )

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source = source
        if source != "git":
            del self.fields["checkout"]
        if source != "archive":
            del self.fields["file"]

    def sdk_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        arguments: dict[str, Any] = {"allow_downgrade": bool(data.get("allow_downgrade"))}
        if self.source == "git":
            arguments["checkout"] = data.get("checkout", "").strip() or None
        if self.source == "archive":
            arguments["archive"] = data["file"]
        return arguments


# --- a macro's parameters ---------------------------------------------------------------------
def _label(name: str, prop: dict[str, Any]) -> str:
    return str(prop.get("title") or pretty_name(name))


def _is_true(value: str) -> bool:
    return value == "true"


def _choice(value: Any) -> tuple[str, str]:
    return (str(value).lower() if isinstance(value, bool) else str(value), str(value))


def param_field(name: str, prop: dict[str, Any], *, required: bool) -> forms.Field:
    """The form field of one parameter of a macro's ``params`` schema."""
    kind = prop.get("type", "string")
    common: dict[str, Any] = {
        "label": _label(name, prop),
        "help_text": prop.get("description") or "",
        "initial": prop.get("default"),
    }
    # A property with a default is never missing: the API fills it in.
    required = required and prop.get("default") is None
    if prop.get("enum") is not None:
        choices = [_choice(v) for v in prop["enum"]]
        coerce = {"integer": int, "number": float, "boolean": _is_true}.get(kind, str)
        if not required and prop.get("default") is None:
            choices = [("", "—"), *choices]
        if prop.get("default") is not None:
            common["initial"] = _choice(prop["default"])[0]
        return forms.TypedChoiceField(
            choices=choices, coerce=coerce, required=required, empty_value=None, **common
        )
    if kind == "boolean":
        return forms.BooleanField(required=False, **common)
    # Bounds and lengths are hints for the browser; the API checks them (and says so).
    attrs: dict[str, Any] = {}
    if prop.get("minimum") is not None:
        attrs["min"] = f"{prop['minimum']:g}"
    if prop.get("maximum") is not None:
        attrs["max"] = f"{prop['maximum']:g}"
    if kind == "integer":
        return forms.IntegerField(
            required=required, widget=forms.NumberInput(attrs={**attrs, "step": "1"}), **common
        )
    if kind == "number":
        return forms.FloatField(
            required=required, widget=forms.NumberInput(attrs={**attrs, "step": "any"}), **common
        )
    if prop.get("maxLength") is not None:
        attrs["maxlength"] = str(prop["maxLength"])
    return forms.CharField(
        required=required,
        strip=False,
        widget=forms.TextInput(attrs={**attrs, "autocomplete": "off"}),
        **common,
    )


class MacroForm(forms.Form):
    """A macro's parameters, one field per property of its ``params`` schema (in its
    order). The inputs are named ``params-<name>``; the API's ``params.<name>`` errors go
    next to the field of that name (``api_prefix``: the API's names drop their
    ``params.``), and one about a parameter the form does not have ("This macro has no such
    parameter.") goes on top, named by that parameter."""

    api_prefix = "params."

    def __init__(self, *args: Any, macro: PluginComponentRef, **kwargs: Any) -> None:
        self.macro = macro
        dom = f"{macro.plugin_id}-{macro.id}"
        kwargs.setdefault("prefix", "params")
        kwargs.setdefault("auto_id", f"id_{dom}_%s")
        super().__init__(*args, **kwargs)
        schema = macro.params or {}
        required = set(schema.get("required") or [])
        self.schema_properties: dict[str, dict[str, Any]] = dict(schema.get("properties") or {})
        for name, prop in self.schema_properties.items():
            self.fields[name] = param_field(name, prop, required=name in required)

    @property
    def dom_id(self) -> str:
        return f"macro-{self.macro.plugin_id}-{self.macro.id}"

    def sdk_arguments(self) -> dict[str, Any]:
        """``params``: what was given; a field left empty is not sent (its default, if
        any, is the API's to fill in)."""
        params: dict[str, Any] = {}
        for name, prop in self.schema_properties.items():
            value = self.cleaned_data.get(name)
            if prop.get("type") == "boolean" and prop.get("enum") is None:
                params[name] = bool(value)
            elif value not in (None, ""):
                params[name] = value
        return {
            "plugin_id": self.macro.plugin_id,
            "macro_id": self.macro.id,
            "params": params,
        }
