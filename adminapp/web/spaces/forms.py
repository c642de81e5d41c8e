"""Forms for the spaces pages. As in ``forms.py`` they only parse and re-render input: names,
lengths, the annotator rule, the token limit and every other rule live behind the API, whose
field errors ``apply_api_errors`` puts back next to these fields."""

from __future__ import annotations

from typing import Any

from django import forms

from adminapp.client.types import SpacePermission, SpaceRole

PREDEFINED_SPACE_ROLES = [
    ("ADMIN", "Admin"),
    ("MEMBER", "Member"),
    ("READ_ONLY", "Read only"),
    ("ANNOTATOR", "Annotator"),
]
TOKEN_ROLE_CHOICES = [("MEMBER", "Member"), ("READ_ONLY", "Read only")]
TOKEN_LIFETIME_CHOICES = [
    ("false", "Temporary — expires in 24 hours"),
    ("true", "Permanent — never expires"),
]
TOKEN_DELETE_CHOICES = [
    ("all", "All tokens"),
    ("permanent", "Only permanent"),
    ("temporary", "Only temporary"),
]
CUSTOM_PREFIX = "custom:"


def role_choices(custom_roles: list[SpaceRole]) -> list:
    """The space-role select: predefined roles, then the organization's custom roles."""
    choices: list = [("Predefined roles", PREDEFINED_SPACE_ROLES)]
    if custom_roles:
        choices.append(("Custom roles", [(f"{CUSTOM_PREFIX}{r.id}", r.name) for r in custom_roles]))
    return choices


def role_argument(value: str) -> str | dict[str, str]:
    """A role select's value as the SDK's ``role`` argument ("ADMIN" or a custom role ref)."""
    value = (value or "").strip()
    if value.startswith(CUSTOM_PREFIX):
        return {"type": "CUSTOM", "id": value.removeprefix(CUSTOM_PREFIX)}
    return value


class SpaceForm(forms.Form):
    """Create a space, or rename one and change its description."""

    name = forms.CharField(
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Robot Arms"}),
    )
    description = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What is this space for?"}),
    )

    def sdk_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"name": data.get("name", ""), "description": data.get("description", "")}


class SpaceMemberForm(forms.Form):
    """Add an organization member to a space. ``user_id`` is a plain value picked among the
    typeahead's matches (``people``, radio buttons in the template; not a ChoiceField):
    whether the user may join is the API's answer (400 inline)."""

    user_id = forms.CharField(required=False, max_length=40, label="Person")
    role = forms.CharField(required=False, max_length=60, label="Space role")

    def __init__(self, *args, people: list[tuple[str, str]], roles: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = people
        self.person_query = ""
        self.more_people = False
        self.fields["role"].widget = forms.Select(choices=roles)
        self.fields["role"].initial = "MEMBER"

    def sdk_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"user_id": data.get("user_id", ""), "role": role_argument(data.get("role", ""))}


class SpaceTokenForm(forms.Form):
    label = forms.CharField(
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Uploader"}),
    )
    permanent = forms.ChoiceField(
        required=False,
        choices=TOKEN_LIFETIME_CHOICES,
        initial="false",
        label="Lifetime",
        widget=forms.RadioSelect,
        help_text="At most 5 active permanent tokens per space.",
    )
    role = forms.ChoiceField(
        required=False,
        choices=TOKEN_ROLE_CHOICES,
        initial="MEMBER",
        label="Token role",
        help_text="Member tokens read and write data; read-only tokens only read.",
    )

    def sdk_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "label": data.get("label", ""),
            "permanent": data.get("permanent") == "true",
            "role": data.get("role") or "MEMBER",
        }


class RoleForm(forms.Form):
    """Create or change a custom space role; the permissions come from the API's vocabulary."""

    name = forms.CharField(
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Data Curator"}),
    )
    description = forms.CharField(
        required=False, max_length=500, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    permissions = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, choices=[]
    )

    def __init__(self, *args, vocabulary: list[SpacePermission], **kwargs):
        super().__init__(*args, **kwargs)
        self.vocabulary = vocabulary
        self.fields["permissions"].choices = [(p.name, p.name) for p in vocabulary]

    def selected(self) -> list[str]:
        value = self["permissions"].value()
        return list(value or [])

    def sdk_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data.get("name", ""),
            "description": data.get("description", ""),
            "permissions": list(data.get("permissions") or []),
        }
