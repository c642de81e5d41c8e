"""Dashboard pages for spaces: the list (live search, load more, inline create, edit and
delete) and a space's own page, whose members and tokens panels live in ``members.py`` and
``tokens.py``; the organization's custom roles are in ``roles.py``.

Which controls a page offers follows the caller's permissions: ``Space.permissions`` inside a
space (templates ask ``space|can:"…"``), ``Me.permissions`` for the organization. Hiding is a
courtesy — the API refuses anyway — so a READ_ONLY member simply sees the same pages without
the buttons that would fail. Inline edit and delete exist in a row of the list and on the
space's page; which one answers is told by the element htmx swaps (the row is
``space-<id>``).
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods

from adminapp.client import CursorPage, NotFoundError, Permission
from adminapp.client.types import Space, SpaceMembership
from adminapp.web import render
from adminapp.web.catalog.views import datasets_context
from adminapp.web.client import can, me, sdk
from adminapp.web.flow import after_success, idempotency_key, submit
from adminapp.web.spaces.forms import (
    TOKEN_DELETE_CHOICES,
    SpaceForm,
    SpaceMemberForm,
    SpaceTokenForm,
    role_choices,
)

SPACES = "web/spaces/spaces.html"
SPACE = "web/spaces/space_detail.html"
SPACE_DELETE_PAGE = "web/spaces/space_delete.html"
LIST_ROW = "space-spc_*"  # the id of a space's row in the list
PICKER_LIMIT = 10  # people the add-member typeahead offers at a time
# What a space's page has panels for; someone with none of these gets "What you can do here".
MANAGED_ON_THE_PAGE = {
    Permission.MEMBER_READ,
    Permission.TOKEN_MANAGE,
    Permission.SPACE_UPDATE,
    Permission.SPACE_DELETE,
}


def cursor(request: HttpRequest, name: str = "cursor") -> str | None:
    return request.GET.get(name) or None


def in_list_row(request: HttpRequest) -> bool:
    return render.partial_for(request, {LIST_ROW: "row"}) is not None


# --- spaces list ----------------------------------------------------------------------------
def _list_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "admin": can(request, Permission.SPACE_ADMIN),
        "allow_create": can(request, Permission.SPACE_CREATE),
    }


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def spaces(request: HttpRequest) -> HttpResponse:
    client = sdk(request)
    context = _list_context(request)
    form = SpaceForm(request.POST or None, prefix="create")
    created, status = None, 200
    if request.method == "POST":
        submission = submit(form, client.spaces.create, created=True)
        created, status = submission.result, submission.status
        if submission.ok:
            url = reverse("web:space_detail", args=[created.id])
            if response := after_success(request, f"Created the space “{created.name}”.", url):
                return response
            form = SpaceForm(prefix="create")
    # After a create the list starts over (newest first: the new space on top).
    query = request.GET.get("q", "").strip()[:255] if request.method == "GET" else ""
    page = client.spaces.list(name=query or None, cursor=cursor(request))
    context.update(
        {"form": form, "page": page, "q": query, "created_id": created.id if created else None}
    )
    partials = {
        "spaces-content": "spaces-content",
        "space-results": "space-results",
        "spaces-more": "space-rows",
    }
    return render.page(request, SPACES, context, partials=partials, status=status)


@require_GET
@render.dashboard_view
def space_row(request: HttpRequest, space_id: str) -> HttpResponse:
    """One row of the list as it is now (what "Cancel" on an inline edit swaps back in)."""
    if not render.is_partial(request):
        return render.redirect(request, reverse("web:spaces"))
    space = sdk(request).spaces.get(space_id)
    context = {**_list_context(request), "space": space}
    return render.page(request, SPACES, context, partials={LIST_ROW: "space-row"})


# --- one space ------------------------------------------------------------------------------
def people(
    request: HttpRequest, exclude: set[str], query: str = ""
) -> tuple[list[tuple[str, str]], bool]:
    """The add-member typeahead: organization members whose name or email contains
    ``query`` (the first ones when it is empty), minus ``exclude``; and whether more match
    than are shown."""
    if not can(request, Permission.MEMBER_READ):
        return [], False
    org_id = me(request).organization.id
    # Enough rows that PICKER_LIMIT remain once the space's members are left out.
    limit = min(100, PICKER_LIMIT + len(exclude))
    page = sdk(request).organizations.list_members(
        org_id, search=query.strip() or None, limit=limit
    )
    choices = []
    for member in page.items:
        if member.user.id in exclude:
            continue
        who = member.user.email
        if member.user.name:
            who = f"{member.user.name} — {who}"
        if member.role == "ANNOTATOR":
            who += " (annotator)"
        choices.append((member.user.id, who))
    return choices[:PICKER_LIMIT], page.has_more or len(choices) > PICKER_LIMIT


def space_role_choices(request: HttpRequest) -> list:
    """The role select: predefined roles, then the organization's custom ones (once per
    request)."""
    cached = getattr(request, "_web_space_roles", None)
    if cached is None:
        cached = role_choices(sdk(request).roles.list(limit=100).items)
        request._web_space_roles = cached
    return cached


def member_form(
    request: HttpRequest, members: CursorPage[SpaceMembership] | None, data=None
) -> SpaceMemberForm:
    """The add-member form; its person is picked among the matches of the typeahead's
    ``person`` query (from the query string: the search is a GET of the space's page)."""
    exclude = {m.user_id for m in members.items} if members is not None else set()
    query = (request.GET.get("person") or "").strip()[:255]
    choices, more = people(request, exclude, query)
    form = SpaceMemberForm(data, people=choices, roles=space_role_choices(request))
    form.person_query = query
    form.more_people = more
    return form


def _edit_form(space: Space, data=None) -> SpaceForm:
    return SpaceForm(
        data,
        initial={"name": space.name, "description": space.description},
        auto_id=f"id_{space.id}_%s",
    )


def space_context(
    request: HttpRequest,
    space: Space,
    *,
    sections: tuple[str, ...] = ("datasets", "members", "tokens", "settings"),
    members: CursorPage[SpaceMembership] | None = None,
    new_member_form: SpaceMemberForm | None = None,
    token_form: SpaceTokenForm | None = None,
    created_token=None,
    edit_form: SpaceForm | None = None,
    delete_error: str | None = None,
) -> dict[str, Any]:
    """What the space page (or one of its panels) shows, fetched only for the panels asked
    for and only as far as the caller may see them."""
    client = sdk(request)
    allowed = frozenset(space.permissions or ())
    context: dict[str, Any] = {
        "space": space,
        "me_user_id": me(request).user.id if me(request).user else None,
    }
    if "datasets" in sections and Permission.DATASET_READ in allowed:
        context.update(datasets_context(request, space))
    if "members" in sections and Permission.MEMBER_READ in allowed:
        if members is None:
            members = client.spaces.list_users(space.id, cursor=cursor(request, "members_cursor"))
        context["members"] = members
        if Permission.MEMBER_MANAGE in allowed:
            context["role_choices"] = space_role_choices(request)
            context["member_form"] = new_member_form or member_form(request, members)
    if "tokens" in sections and Permission.TOKEN_MANAGE in allowed:
        context["tokens"] = client.spaces.tokens.list(
            space.id, cursor=cursor(request, "tokens_cursor")
        )
        context["token_form"] = token_form or SpaceTokenForm()
        context["created_token"] = created_token
        context["token_delete_choices"] = TOKEN_DELETE_CHOICES
    if "settings" in sections:
        if Permission.SPACE_UPDATE in allowed:
            context["edit_form"] = edit_form or _edit_form(space)
        if Permission.SPACE_DELETE in allowed:
            context["delete_error"] = delete_error
            context["delete_key"] = uuid.uuid4().hex
    return context


@require_GET
@render.dashboard_view
def space_detail(request: HttpRequest, space_id: str) -> HttpResponse:
    space = sdk(request).spaces.get(space_id)
    partials = {
        "members-more": "member-rows",
        "tokens-more": "token-rows",
        "person-options": "person-options",  # the add-member typeahead
    }
    sections = {
        "member-rows": ("members",),
        "token-rows": ("tokens",),
        "person-options": ("members",),
    }
    chosen = render.partial_for(request, partials)
    context = space_context(request, space, **({"sections": sections[chosen]} if chosen else {}))
    if not chosen and not set(space.permissions or ()) & MANAGED_ON_THE_PAGE:
        # Nothing on this page is theirs to manage: say what their role lets them do.
        held = set(space.permissions or ())
        context["you_can"] = [  # in the vocabulary's order
            p.description for p in sdk(request).roles.permissions() if p.name in held
        ]
    return render.page(request, SPACE, context, partials=partials)


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def space_edit(request: HttpRequest, space_id: str) -> HttpResponse:
    """Rename a space or change its description: inline in a list row, or on its page."""
    client = sdk(request)
    space = client.spaces.get(space_id)
    row = in_list_row(request)
    if request.method == "GET":
        if not row:
            return render.redirect(
                request, reverse("web:space_detail", args=[space.id]) + "#settings"
            )
        context = {**_list_context(request), "space": space, "edit_form": _edit_form(space)}
        return render.page(request, SPACES, context, partials={LIST_ROW: "space-edit-row"})

    form = _edit_form(space, request.POST)
    saved = submit(form, partial(client.spaces.update, space.id))
    if saved.ok:
        messages.success(request, f"Saved the space “{saved.result.name}”.")
        if row:
            context = {**_list_context(request), "space": saved.result}
            return render.page(request, SPACES, context, partials={LIST_ROW: "space-row"})
        # On its own page the name shows in several places: load the page again.
        return render.redirect(request, reverse("web:space_detail", args=[saved.result.id]))
    if row:
        context = {**_list_context(request), "space": space, "edit_form": form}
        return render.page(
            request, SPACES, context, partials={LIST_ROW: "space-edit-row"}, status=saved.status
        )
    context = space_context(request, space, edit_form=form)
    return render.page(
        request, SPACE, context, partials={"settings": "space-settings"}, status=saved.status
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def space_delete(request: HttpRequest, space_id: str) -> HttpResponse:
    """Delete a space after its name is typed: the button is enabled only once it matches
    (app.js), and this view checks the typed name again before asking the API."""
    client = sdk(request)
    space = client.spaces.get(space_id)
    row = in_list_row(request)
    error, status = None, 200
    if request.method == "POST":
        if request.POST.get("confirm_name", "").strip() != space.name:
            error, status = "Type the space’s name exactly as shown to confirm.", 422
        else:
            job = client.spaces.delete(space.id, idempotency_key=idempotency_key(request))
            message = format_html(
                'Deleted “{}”. Its contents are being removed: <a href="{}">follow the job</a>.',
                space.name,
                reverse("web:job_detail", args=[job.id]),
            )
            messages.success(request, message)
            if row:
                return render.removed(request)
            return render.redirect(request, reverse("web:spaces"))
    if row:
        context = {
            **_list_context(request),
            "space": space,
            "delete_error": error,
            "delete_key": uuid.uuid4().hex,
        }
        return render.page(
            request, SPACES, context, partials={LIST_ROW: "space-delete-row"}, status=status
        )
    if render.is_partial(request):
        context = space_context(request, space, sections=("settings",), delete_error=error)
        return render.page(
            request, SPACE, context, partials={"space-danger": "space-danger"}, status=status
        )
    context = {"space": space, "delete_error": error, "delete_key": uuid.uuid4().hex}
    return render.page(request, SPACE_DELETE_PAGE, context, status=status)


def find(get, *args, **kwargs):
    """``get(*args, **kwargs)``, or None when it is not found (a row someone else removed)."""
    try:
        return get(*args, **kwargs)
    except NotFoundError:
        return None
