"""The jobs list's filter form."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms

from adminapp.client import JobState
from adminapp.client.types import JobKindInfo

JOB_STATE_CHOICES = [("", "Any state"), *((s.value, s.value.capitalize()) for s in JobState)]


class JobFilterForm(forms.Form):
    state = forms.ChoiceField(required=False, choices=JOB_STATE_CHOICES)
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind")])
    mine = forms.BooleanField(required=False, label="Only mine")

    def __init__(self, *args, kinds: Iterable[JobKindInfo] = (), **kwargs):
        """``kinds``: the server's kinds of job (``client.jobs.kinds()``), the choices."""
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Any kind"), *((k.name, k.label) for k in kinds)]

    def sdk_filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        filters = {k: data[k] for k in ("state", "kind") if data.get(k)}
        if data.get("mine"):
            filters["mine"] = True
        return filters
