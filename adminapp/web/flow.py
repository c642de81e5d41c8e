"""The one form-post flow of the dashboard: validate the form → make the SDK call → on an API
error, its messages next to the fields → on success, a toast and (without htmx) a redirect,
or (with htmx) the partial the view renders next.

    submission = submit(form, sdk(request).spaces.create)
    if submission.ok:
        if response := after_success(request, f"Created {submission.result.name}.", url):
            return response
        form = SpaceForm()  # htmx: the view answers with the fresh partial
    return render.page(request, TEMPLATE, context, status=submission.status)

Forms only coerce types; every rule lives behind the API, whose 422 field errors come back
here, so the dashboard, the API and the SDK enforce exactly the same validation. What the
user reads is in words: an API field's error goes next to the form field of that name (or the
one the form's ``api_fields`` maps it to, e.g. ``{"expires_at": "expires_on"}``); one with no
such field goes on top, named by its label, never by the API's name for it; and a field left
empty that the API refuses is "This field is required.", whatever the API's reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django import forms
from django.contrib import messages
from django.forms.utils import pretty_name
from django.http import HttpRequest, HttpResponse

from adminapp.client import (
    APIStatusError,
    BadRequestError,
    ConflictError,
    CursorPage,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from adminapp.web import render

T = TypeVar("T")

# The API's answers that are about the input (shown next to the fields), not the page.
FORM_ERRORS = (UnprocessableEntityError, BadRequestError, ConflictError, PermissionDeniedError)
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
# 403s about the input, and the field they are shown next to: a role above the caller's own
# is refused next to the role picked.
INPUT_REFUSALS = {"role_escalation": "role", "owner_invite_forbidden": "role"}

REQUIRED = "This field is required."  # Django's own words for an empty required field
# Friendlier words for the API's stock messages, keyed by their start.
_MESSAGE_REWRITES = {
    "String should have at least 1 character": REQUIRED,
    "Field required": REQUIRED,
    "Required.": REQUIRED,
    "Input should be a valid datetime": "Enter a valid date and time.",
}


def friendly(message: str, *, left_empty: bool = False) -> str:
    """An API field message in the dashboard's words. A field the user ``left_empty`` is
    required, whatever the API's reason ("Invalid email.", "Not a member of the
    organization."), unless the API says more about it ("Required for a new account.")."""
    if left_empty and not message.startswith("Required "):
        return REQUIRED
    for prefix, replacement in _MESSAGE_REWRITES.items():
        if message.startswith(prefix):
            return replacement
    return message


def _own_path(form: forms.Form | None, api_name: str) -> str:
    """An API field path as the form sees it: a form that sends its fields as one item of
    a list (``api_prefix = "rows.0."``: one data row) drops that prefix."""
    prefix = getattr(form, "api_prefix", "")
    return api_name.removeprefix(prefix) if prefix else api_name


def form_field(form: forms.Form, api_name: str) -> str | None:
    """The form field an API field path's errors belong to ("role.id" → "role"; the form's
    ``api_fields`` maps API names that differ from its own, the longest mapped start of the
    path first: ``auth_config.secret_access_key`` before ``auth_config``), or None when it
    has none."""
    parts = _own_path(form, api_name).split(".")
    mapped = getattr(form, "api_fields", {})
    for end in range(len(parts), 0, -1):
        path = ".".join(parts[:end])
        if path in mapped:
            name = mapped[path]
            break
    else:
        name = parts[0]
    return name if name in form.fields else None


def field_label(form: forms.Form | None, api_name: str) -> str:
    """How the dashboard names an API field: the form field's label, else the API name in
    words ("organization_id" → "Organization id")."""
    field = form_field(form, api_name) if form is not None else None
    if field is not None:
        return str(form.fields[field].label or pretty_name(field))
    return pretty_name(_own_path(form, api_name).split(".")[0])


def _left_empty(form: forms.Form, field: str) -> bool:
    return getattr(form, "cleaned_data", {}).get(field) in (None, "", [], ())


def apply_api_errors(form: forms.Form, exc: APIStatusError) -> None:
    """Put an API error's per-field messages next to the form's fields; the rest on top,
    named by their labels."""
    placed = False
    for name, msgs in (exc.fields or {}).items():
        target = form_field(form, name)
        empty = target is not None and _left_empty(form, target)
        for msg in msgs:
            text = friendly(msg, left_empty=empty)
            form.add_error(target, text if target else f"{field_label(form, name)}: {text}")
            placed = True
    if not placed:
        field = INPUT_REFUSALS.get(exc.code or "")
        form.add_error(field if field in form.fields else None, exc.message)


def in_words(exc: APIStatusError, form: forms.Form | None = None) -> str:
    """An API refusal as one message for a toast or a table row: for a 422 (values refused
    field by field, whose summary can name raw field paths: "role.PREDEFINED.name: Input
    should be ...", "expires_at must be in the future.") its field messages, each named by
    its label; for any other refusal the API's own sentence."""
    if exc.code != "validation_error" or not exc.fields:
        return exc.message
    return " ".join(
        f"{field_label(form, name)}: {friendly(msg)}"
        for name, msgs in exc.fields.items()
        for msg in msgs
    )


def is_input_error(exc: APIStatusError) -> bool:
    """Whether an API refusal is about what was typed (inline) rather than about the page:
    any other 403 (someone whose page offers no such form, posting anyway) is the "your
    role cannot do this" page or toast of ``dashboard_view``."""
    if isinstance(exc, PermissionDeniedError):
        return exc.code in INPUT_REFUSALS
    return isinstance(exc, FORM_ERRORS)


@dataclass
class Submission(Generic[T]):
    result: T | None
    status: int  # to answer with: 200/201 on success, the API's status on an error

    @property
    def ok(self) -> bool:
        return self.result is not None


def submit(form: forms.Form, call: Callable[..., T], *, created: bool = False) -> Submission[T]:
    """Validate ``form`` and make ``call(**form.sdk_arguments())``; API errors about the
    input go next to its fields (422 when the form itself does not parse)."""
    if not form.is_valid():
        return Submission(None, 422)
    try:
        result = call(**form.sdk_arguments())
    except RateLimitError as exc:
        form.add_error(None, exc.message)
        return Submission(None, 429)
    except APIStatusError as exc:
        if not is_input_error(exc):
            raise
        apply_api_errors(form, exc)
        return Submission(None, exc.status_code)
    return Submission(result, 201 if created else 200)


def filtered_page(
    request: HttpRequest, form: forms.Form, list_page: Callable[..., CursorPage[T]]
) -> tuple[CursorPage[T] | None, int]:
    """One page of a filtered list (a GET form) and the status to answer with:
    ``list_page`` called with the form's filters and the request's cursor, or no page and
    422 when the filters do not parse or the API refuses them (its field errors go next to
    the filters)."""
    if not form.is_valid():
        return None, 422
    try:
        return list_page(**form.sdk_filters(), cursor=request.GET.get("cursor") or None), 200
    except UnprocessableEntityError as exc:
        apply_api_errors(form, exc)
        return None, 422


def idempotency_key(request: HttpRequest) -> str | None:
    """The one-time key rendered into a job-starting form, so that the same form sent twice
    (a double click, a reload) starts one job."""
    key = request.POST.get("idempotency_key", "")
    return key if IDEMPOTENCY_KEY.match(key) else None


def after_success(request: HttpRequest, message: str, url: str) -> HttpResponse | None:
    """A success toast, then (without htmx) the redirect to ``url``; None for htmx, whose
    answer is the partial the view renders next."""
    messages.success(request, message)
    if render.is_partial(request):
        return None
    return render.redirect(request, url)


def after_removal(request: HttpRequest, message: str, url: str) -> HttpResponse:
    """A success toast, then (with htmx) the removed row swapped for nothing, or (without)
    the redirect to ``url``."""
    return after_success(request, message, url) or render.removed(request)
