"""The jobs list's filter form."""

from __future__ import annotations

from django import forms

from adminapp.client import JobState

JOB_STATE_CHOICES = [("", "Any state"), *((s.value, s.value.capitalize()) for s in JobState)]


class JobFilterForm(forms.Form):
    state = forms.ChoiceField(required=False, choices=JOB_STATE_CHOICES)
    kind = forms.CharField(
        required=False, max_length=100, widget=forms.TextInput(attrs={"placeholder": "any kind"})
    )
    mine = forms.BooleanField(required=False, label="Only mine")

    def sdk_filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        filters = {k: data[k] for k in ("state", "kind") if data.get(k)}
        if data.get("mine"):
            filters["mine"] = True
        return filters
