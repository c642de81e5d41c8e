"""Forms of the accounts pages (sign-in, API keys, members). They only coerce types: the
rules live behind the API (``adminapp.web.flow``)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django import forms

from adminapp.client import AccountRole

ROLE_CHOICES = [(role.value, role.value.capitalize()) for role in AccountRole]
SERVICE_ROLE_CHOICES = [("MEMBER", "Member"), ("ADMIN", "Admin")]


class LoginForm(forms.Form):
    email = forms.CharField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        max_length=1024, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def sdk_arguments(self) -> dict:
        return {"email": self.cleaned_data["email"], "password": self.cleaned_data["password"]}


class ApiKeyCreateForm(forms.Form):
    # The API's expiry is a moment (``expires_at``), the form's a day: its errors go here.
    api_fields = {"expires_at": "expires_on"}

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


class InvitationForm(forms.Form):
    email = forms.CharField(
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@example.com"}),
    )
    role = forms.ChoiceField(required=False, choices=ROLE_CHOICES, initial="MEMBER")

    def __init__(self, *args, allow_owner: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_owner:
            self.fields["role"].choices = [c for c in ROLE_CHOICES if c[0] != "OWNER"]

    def sdk_arguments(self) -> dict:
        data = self.cleaned_data
        return {"email": data.get("email", ""), "role": data.get("role") or "MEMBER"}


class InvitationAcceptForm(forms.Form):
    """Accepting an invitation: nothing to type when signed in as the invited email, the
    account's password when it exists, a name and a new password otherwise."""

    name = forms.CharField(
        required=False,
        max_length=150,
        label="Your name",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        required=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        required=False,
        max_length=1024,
        label="Password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, mode: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.mode = mode  # "join" (signed in), "existing" (password) or "new"
        if mode != "new":
            del self.fields["name"]
            del self.fields["password2"]
        if mode == "join":
            del self.fields["password"]
        if mode == "existing":
            self.fields["password"].widget.attrs["autocomplete"] = "current-password"
            self.fields["password"].label = "Your password"
        if mode == "new":
            self.fields["name"].required = True
            self.fields["password"].label = "Choose a password"

    def clean(self):
        data = super().clean()
        if self.mode == "new" and data.get("password") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data

    def sdk_arguments(self) -> dict:
        data = self.cleaned_data
        return {"name": data.get("name", ""), "password": data.get("password") or None}


class PasswordResetConfirmForm(forms.Form):
    """A new password, typed twice (the reset link's page; the change page adds the current
    one)."""

    new_password = forms.CharField(
        required=False,
        max_length=1024,
        label="New password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        required=False,
        max_length=1024,
        label="New password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", "The two passwords differ.")
        return data

    def sdk_arguments(self) -> dict:
        return {"new_password": self.cleaned_data.get("new_password", "")}


class PasswordChangeForm(PasswordResetConfirmForm):
    current_password = forms.CharField(
        required=False,
        max_length=1024,
        label="Current password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current_password", "new_password", "new_password2"]

    def sdk_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "current_password": data.get("current_password", ""),
            "new_password": data.get("new_password", ""),
        }


class PasswordResetForm(forms.Form):
    email = forms.CharField(
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def sdk_arguments(self) -> dict:
        return {"email": self.cleaned_data.get("email", "")}
