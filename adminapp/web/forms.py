"""Forms for parsing and re-rendering input. They only coerce types (a date, a choice): the
rules live behind the API, whose 422 field errors ``apply_api_errors`` puts back next to the
fields, so the dashboard, the API and the SDK enforce exactly the same validation."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django import forms

ROLE_CHOICES = [
    ("OWNER", "Owner"),
    ("ADMIN", "Admin"),
    ("MEMBER", "Member"),
    ("ANNOTATOR", "Annotator"),
]
SERVICE_ROLE_CHOICES = [("MEMBER", "Member"), ("ADMIN", "Admin")]
JOB_STATE_CHOICES = [
    ("", "Any state"),
    ("QUEUED", "Queued"),
    ("RUNNING", "Running"),
    ("SUCCEEDED", "Succeeded"),
    ("FAILED", "Failed"),
    ("ABORTED", "Aborted"),
]


class LoginForm(forms.Form):
    email = forms.CharField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        max_length=1024, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class ApiKeyCreateForm(forms.Form):
    label = forms.CharField(
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Nightly sync", "autocomplete": "off"}),
    )
    description = forms.CharField(
        required=False, max_length=500, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    kind = forms.ChoiceField(
        required=False,
        choices=[("PERSONAL", "Personal — acts as you"), ("SERVICE", "Service — acts with a role")],
        initial="PERSONAL",
    )
    role = forms.ChoiceField(
        required=False,
        choices=SERVICE_ROLE_CHOICES,
        initial="MEMBER",
        label="Service role",
        help_text="Service keys only: what the key may do in this organization.",
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on",
        help_text="Optional. The key stops working at the end of this day (UTC).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, allow_service: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.allow_service = allow_service
        if not allow_service:
            del self.fields["kind"]
            del self.fields["role"]

    def sdk_arguments(self) -> dict:
        data = self.cleaned_data
        kind = (data.get("kind") or "PERSONAL") if self.allow_service else "PERSONAL"
        expires_on = data.get("expires_on")
        return {
            "label": data.get("label", ""),
            "description": data.get("description", ""),
            "kind": kind,
            "role": (data.get("role") or None) if kind == "SERVICE" else None,
            "expires_at": datetime.combine(expires_on, time.max, tzinfo=UTC)
            if expires_on
            else None,
        }


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


class MemberAddForm(forms.Form):
    email = forms.CharField(
        required=False, max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    name = forms.CharField(required=False, max_length=150)
    role = forms.ChoiceField(required=False, choices=ROLE_CHOICES, initial="MEMBER")
    password = forms.CharField(
        required=False,
        max_length=1024,
        label="Initial password",
        help_text="Only for a new account; an existing user keeps their password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, allow_owner: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_owner:
            self.fields["role"].choices = [c for c in ROLE_CHOICES if c[0] != "OWNER"]

    def sdk_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "email": data.get("email", ""),
            "role": data.get("role") or "MEMBER",
            "name": data.get("name", ""),
            "password": data.get("password") or None,
        }
