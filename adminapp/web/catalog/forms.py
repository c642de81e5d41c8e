"""Forms for the catalog pages. Like every dashboard form they only parse and re-render
input: names, lengths, the global key rules and every other rule live behind the API, whose
field errors ``flow.apply_api_errors`` puts back next to these fields."""

from __future__ import annotations

from typing import Any

from django import forms

ROW_MATCHES = [
    ("external_id", "External id is"),
    ("global_key", "Global key is"),
    ("global_key_prefix", "Global key starts with"),
]
KEYED_CHOICES = [("", "All rows"), ("yes", "With a global key"), ("no", "Without a global key")]


class DatasetForm(forms.Form):
    """Create a dataset, or rename one and change its description."""

    name = forms.CharField(
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Camera frames"}),
    )
    description = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What rows does it hold?"}),
    )

    def sdk_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"name": data.get("name", ""), "description": data.get("description", "")}


class RowFilterForm(forms.Form):
    """The rows table's search: one value matched as an external id, a global key or a key
    prefix, and whether rows have a key."""

    # The API's filters all come from these three fields.
    api_fields = {
        "external_id": "q",
        "global_key": "q",
        "global_key_prefix": "q",
        "has_global_key": "keyed",
    }

    q = forms.CharField(required=False, max_length=255, label="Search rows")
    match = forms.ChoiceField(required=False, choices=ROW_MATCHES, label="Match")
    keyed = forms.ChoiceField(required=False, choices=KEYED_CHOICES, label="Show")

    def sdk_filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        filters: dict[str, Any] = {}
        query = (data.get("q") or "").strip()
        if query:
            filters[data.get("match") or "external_id"] = query
        if data.get("keyed"):
            filters["has_global_key"] = data["keyed"] == "yes"
        return filters


class RowForm(forms.Form):
    """Add one data row (bigger batches are the API's, and file imports). It is sent as
    the one row of a batch, so the API names its fields ``rows.0.<field>``."""

    api_prefix = "rows.0."

    row_data = forms.CharField(
        required=False,
        label="Row data",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://… or text"}),
    )
    external_id = forms.CharField(required=False, max_length=255, label="External id")
    global_key = forms.CharField(
        required=False,
        strip=False,  # whitespace at the ends breaks the key rules: the API says so
        max_length=255,
        label="Global key",
        help_text="Unique in the organization, in any case. Letters, digits, single spaces "
        "and ! _ . * ' ( ) & $ @ = ; / : + , ? -",
    )

    def sdk_arguments(self) -> dict[str, Any]:
        return {"rows": [self.row()]}

    def row(self) -> dict[str, Any]:
        data = self.cleaned_data
        row: dict[str, Any] = {"row_data": data.get("row_data", "")}
        if data.get("external_id"):
            row["external_id"] = data["external_id"]
        if data.get("global_key"):
            row["global_key"] = data["global_key"]
        return row


ON_INVALID_CHOICES = [
    ("reject", "Reject the item (INVALID_KEY)"),
    ("sanitize", "Sanitize it (characters not allowed become _)"),
]
FORMAT_CHOICES = [("", "From the file name"), ("csv", "CSV"), ("jsonl", "JSON Lines")]


class ImportForm(forms.Form):
    """Import data rows from a CSV or JSON Lines file, as a job. The file is streamed to
    the API (``client.data_rows.import_file``), never read here."""

    file = forms.FileField(
        required=False,
        label="File",
        help_text="CSV with a header row (row_data, external_id, global_key, metadata) or "
        "JSON Lines, one row object a line.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.jsonl,.ndjson"}),
    )
    format = forms.ChoiceField(required=False, choices=FORMAT_CHOICES, label="Format")
    on_invalid = forms.ChoiceField(
        required=False, choices=ON_INVALID_CHOICES, label="A global key that breaks the rules"
    )

    def sdk_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        upload = data["file"]
        return {
            "file": upload,
            "filename": upload.name,
            "format": data.get("format") or None,
            "on_invalid": data.get("on_invalid") or "reject",
        }


class GlobalKeyClearForm(forms.Form):
    """Input of a global keys job: pasted lines or an uploaded file. The view parses the
    pasted lines (a malformed one is an error naming it) and sends them as JSON, or streams
    the file to the API's file variant. This one: keys to clear, one a line, or a file of
    them (a ``global_key`` CSV or JSON Lines); the others add to it."""

    # The JSON variants name the pasted items ``items`` / ``global_keys``; the file variant
    # names the file ``file``.
    api_fields = {"items": "text", "global_keys": "text"}

    text = forms.CharField(
        required=False,
        strip=False,  # whitespace at a key's ends breaks the key rules: the API says so
        label="Global keys (one a line)",
        help_text="Up to 100,000 lines; upload a file for more.",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
    )
    file = forms.FileField(
        required=False,
        label="Or upload a file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.jsonl,.ndjson"}),
    )

    def has_input(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return bool(data.get("file")) or bool((data.get("text") or "").strip())


class GlobalKeyLookupForm(GlobalKeyClearForm):
    """Look up: keys, one a line, or a file of them; the answer is in input order."""


class GlobalKeyAssignForm(GlobalKeyClearForm):
    """Assign: ``data_row_id,global_key`` pairs, one a line (CSV: a key with a comma in
    double quotes), or a file of them (CSV with that header, or JSON Lines)."""

    on_invalid = forms.ChoiceField(
        required=False, choices=ON_INVALID_CHOICES, label="A global key that breaks the rules"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = "Pairs (one a line)"
        self.fields["text"].help_text = (
            "A data row id, a comma, the global key: CSV, so a key holding a comma goes in "
            "double quotes. Up to 100,000 lines; upload a file for more."
        )
        self.fields["text"].widget.attrs["placeholder"] = "dr_…,camera-0001\ndr_…,camera-0002"
