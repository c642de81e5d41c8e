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
