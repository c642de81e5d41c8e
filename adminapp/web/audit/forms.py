"""The audit log's filter form (also the export's)."""

from __future__ import annotations

from django import forms


class AuditFilterForm(forms.Form):
    actor = forms.CharField(
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": "email or usr_… / key_…"}),
    )
    action = forms.CharField(
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "api_key.create or api_key."}),
    )
    target = forms.CharField(
        required=False, max_length=64, widget=forms.TextInput(attrs={"placeholder": "id"})
    )
    since = forms.DateTimeField(
        required=False,
        help_text="UTC",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    until = forms.DateTimeField(
        required=False,
        help_text="UTC",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def sdk_filters(self) -> dict:
        """The valid filters as SDK keyword arguments (empty ones left out)."""
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
