"""Dashboard pages for spaces, their members and tokens, and the organization's custom space
roles. Same rules as ``views.py``: parse the form, call the embedded SDK client, render the
models it returns — the whole page, or for htmx only the partial it swaps; API errors come
back as SDK exceptions and are shown next to the fields they concern.

Which controls a page offers follows the caller's permissions: ``Space.permissions`` inside a
space, ``Me.permissions`` for the organization. Hiding is a courtesy — the API refuses
anyway — so a READ_ONLY member simply sees the same pages without the buttons that would fail.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from adminapp.client import (
    AdminClient,
    BadRequestError,
    ConflictError,
    CursorPage,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableEntityError,
)
from adminapp.client.types import Space, SpaceMembership, SpaceToken
from adminapp.web.forms_spaces import (
    TOKEN_DELETE_CHOICES,
    RoleForm,
    SpaceForm,
    SpaceMemberForm,
    SpaceTokenForm,
    role_argument,
    role_choices,
)
from adminapp.web.sdk import (
    apply_api_errors,
    can,
    confirm_page,
    dashboard_view,
    is_partial,
    me,
    redirect,
    render_page,
    render_removed,
    sdk,
)
from adminapp.web.templatetags.web_spaces import role_text

# Organization-level permissions (Me.permissions).
SPACE_CREATE = "space.create"
SPACE_ADMIN = "space.admin"
ROLE_MANAGE = "role.manage"
ORG_MEMBER_READ = "member.read"
# Space-level permissions (Space.permissions: the caller's, in that space).
SPACE_UPDATE = "space.update"
SPACE_DELETE = "space.delete"
MEMBER_READ = "member.read"
MEMBER_MANAGE = "member.manage"
TOKEN_MANAGE = "token.manage"  # noqa: S105 - a permission name

SPACES = "web/spaces.html"
SPACE = "web/space_detail.html"
SPACE_DELETE_PAGE = "web/space_delete.html"
ROLES = "web/roles.html"

PICKER_LIMIT = 100  # org members offered in the add-member picker (the API's page maximum)
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
_TOKEN_DELETE_SCOPE = {"all": None, "permanent": True, "temporary": False}

FORM_ERRORS = (UnprocessableEntityError, BadRequestError, ConflictError, PermissionDeniedError)
ROLE_ESCALATION = "role_escalation"  # the API's code for "a role above your own"


def _cursor(request: HttpRequest, name: str = "cursor") -> str | None:
    return request.GET.get(name) or None


def _came_from_list(request: HttpRequest) -> bool:
    """Inline edit and delete exist in two places: a row of the spaces list, and the space's
    own page. The form says which one it is, so the answer swaps the right piece."""
    return (request.POST.get("from") or request.GET.get("from")) == "list"


def _refusal_is_a_page(exc: Exception) -> None:
    """Re-raise a 403 unless it is about the input. A role above the caller's own is refused
    next to the role they picked; any other refusal (someone whose page offers no such form,
    posting anyway) is the "your role cannot do this" page or toast of ``dashboard_view``."""
    if isinstance(exc, PermissionDeniedError) and exc.code != ROLE_ESCALATION:
        raise exc


def _no_store(response: HttpResponse) -> HttpResponse:
    """For the one answer that carries a secret: never cached, never stored anywhere."""
    add_never_cache_headers(response)
    response["Cache-Control"] += ", no-store"
    return response


# --- spaces list ----------------------------------------------------------------------------
def _list_context(request: HttpRequest) -> dict[str, Any]:
    return {"admin": can(request, SPACE_ADMIN), "allow_create": can(request, SPACE_CREATE)}


@require_http_methods(["GET", "POST"])
@dashboard_view
def spaces(request: HttpRequest) -> HttpResponse:
    client = sdk(request)
    context = _list_context(request)
    form = SpaceForm(request.POST or None, prefix="create")
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = client.spaces.create(**form.sdk_arguments())
            except FORM_ERRORS as exc:
                _refusal_is_a_page(exc)
                apply_api_errors(form, exc)
                status = exc.status_code
            else:
                messages.success(request, f"Created the space “{created.name}”.")
                if not is_partial(request):
                    return redirect(request, reverse("web:space_detail", args=[created.id]))
                form = SpaceForm(prefix="create")
                status = 201
        else:
            status = 422
    # After a create the list starts over (newest first: the new space on top).
    query = request.GET.get("q", "").strip()[:255] if request.method == "GET" else ""
    page = client.spaces.list(name=query or None, cursor=_cursor(request))
    context.update(
        {"form": form, "page": page, "q": query, "created_id": created.id if created else None}
    )
    if request.method == "GET" and _cursor(request):
        partial = "space-rows"
    elif request.method == "GET" and request.htmx and request.htmx.target == "space-results":
        partial = "space-results"
    else:
        partial = "spaces-content"
    return render_page(request, SPACES, context, partial=partial, status=status)


@require_GET
@dashboard_view
def space_row(request: HttpRequest, space_id: str) -> HttpResponse:
    """One row of the list as it is now (what "Cancel" on an inline edit swaps back in)."""
    if not is_partial(request):
        return redirect(request, reverse("web:spaces"))
    space = sdk(request).spaces.get(space_id)
    return render_page(
        request, SPACES, {**_list_context(request), "space": space}, partial="space-row"
    )


# --- one space --------------------------------------------------------------------------------
def _people(request: HttpRequest, exclude: set[str]) -> tuple[list[tuple[str, str]], bool]:
    """The add-member picker: organization members not yet in the space (first page)."""
    if not can(request, ORG_MEMBER_READ):
        return [], False
    org_id = me(request).organization.id
    page = sdk(request).organizations.list_members(org_id, limit=PICKER_LIMIT)
    people = []
    for member in page.items:
        if member.user.id in exclude:
            continue
        who = member.user.email
        if member.user.name:
            who = f"{member.user.name} — {who}"
        if member.role == "ANNOTATOR":
            who += " (annotator)"
        people.append((member.user.id, who))
    return people, page.pagination.has_more


def _role_choices(request: HttpRequest) -> list:
    cached = getattr(request, "_web_space_roles", None)
    if cached is None:
        cached = role_choices(sdk(request).roles.list(limit=100).items)
        request._web_space_roles = cached
    return cached


def _member_form(
    request: HttpRequest, members: CursorPage[SpaceMembership] | None, data=None
) -> SpaceMemberForm:
    exclude = {m.user_id for m in members.items} if members is not None else set()
    people, truncated = _people(request, exclude)
    form = SpaceMemberForm(data, people=people, roles=_role_choices(request))
    if truncated:
        form.fields[
            "user_id"
        ].help_text = (
            f"The first {PICKER_LIMIT} organization members. Ask an admin if someone is missing."
        )
    return form


def _edit_form(space: Space, data=None) -> SpaceForm:
    return SpaceForm(
        data,
        initial={"name": space.name, "description": space.description},
        auto_id=f"id_{space.id}_%s",
    )


def _space_context(
    request: HttpRequest,
    space: Space,
    *,
    sections: tuple[str, ...] = ("members", "tokens", "settings"),
    members: CursorPage[SpaceMembership] | None = None,
    member_form: SpaceMemberForm | None = None,
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
        "read_members": MEMBER_READ in allowed,
        "manage_members": MEMBER_MANAGE in allowed,
        "manage_tokens": TOKEN_MANAGE in allowed,
        "can_update": SPACE_UPDATE in allowed,
        "can_delete": SPACE_DELETE in allowed,
        "me_user_id": me(request).user.id if me(request).user else None,
    }
    if "members" in sections and context["read_members"]:
        if members is None:
            members = client.spaces.list_users(space.id, cursor=_cursor(request, "members_cursor"))
        context["members"] = members
        if context["manage_members"]:
            context["role_choices"] = _role_choices(request)
            context["member_form"] = member_form or _member_form(request, members)
    if "tokens" in sections and context["manage_tokens"]:
        context["tokens"] = client.spaces.tokens.list(
            space.id, cursor=_cursor(request, "tokens_cursor")
        )
        context["token_form"] = token_form or SpaceTokenForm()
        context["created_token"] = created_token
        context["token_delete_choices"] = TOKEN_DELETE_CHOICES
    if "settings" in sections:
        if context["can_update"]:
            context["edit_form"] = edit_form or _edit_form(space)
        if context["can_delete"]:
            context["delete_error"] = delete_error
            context["delete_key"] = uuid.uuid4().hex
    return context


@require_GET
@dashboard_view
def space_detail(request: HttpRequest, space_id: str) -> HttpResponse:
    space = sdk(request).spaces.get(space_id)
    if is_partial(request) and _cursor(request, "members_cursor"):
        context = _space_context(request, space, sections=("members",))
        return render_page(request, SPACE, context, partial="member-rows")
    if is_partial(request) and _cursor(request, "tokens_cursor"):
        context = _space_context(request, space, sections=("tokens",))
        return render_page(request, SPACE, context, partial="token-rows")
    return render_page(request, SPACE, _space_context(request, space))


@require_http_methods(["GET", "POST"])
@dashboard_view
def space_edit(request: HttpRequest, space_id: str) -> HttpResponse:
    """Rename a space or change its description: inline in a list row, or on its page."""
    client = sdk(request)
    from_list = _came_from_list(request)
    space = client.spaces.get(space_id)
    if request.method == "GET":
        if not (is_partial(request) and from_list):
            return redirect(request, reverse("web:space_detail", args=[space.id]) + "#settings")
        context = {**_list_context(request), "space": space, "edit_form": _edit_form(space)}
        return render_page(request, SPACES, context, partial="space-edit-row")

    form = _edit_form(space, request.POST)
    status = 422
    if form.is_valid():
        try:
            updated = client.spaces.update(space.id, **form.sdk_arguments())
        except FORM_ERRORS as exc:
            _refusal_is_a_page(exc)
            apply_api_errors(form, exc)
            status = exc.status_code
        else:
            messages.success(request, f"Saved the space “{updated.name}”.")
            if from_list and is_partial(request):
                context = {**_list_context(request), "space": updated}
                return render_page(request, SPACES, context, partial="space-row")
            # On its own page the name shows in several places: load the page again.
            return redirect(request, reverse("web:space_detail", args=[updated.id]))
    if from_list and is_partial(request):
        context = {**_list_context(request), "space": space, "edit_form": form}
        return render_page(request, SPACES, context, partial="space-edit-row", status=status)
    if is_partial(request):
        context = _space_context(request, space, sections=("settings",), edit_form=form)
        return render_page(request, SPACE, context, partial="space-settings", status=status)
    return render_page(
        request, SPACE, _space_context(request, space, edit_form=form), status=status
    )


@require_http_methods(["GET", "POST"])
@dashboard_view
def space_delete(request: HttpRequest, space_id: str) -> HttpResponse:
    """Delete a space after its name is typed: the button is enabled only once it matches
    (app.js), and this view checks the typed name again before asking the API."""
    client = sdk(request)
    from_list = _came_from_list(request)
    space = client.spaces.get(space_id)
    error = None
    status = 200
    if request.method == "POST":
        typed = request.POST.get("confirm_name", "").strip()
        if typed != space.name:
            error = "Type the space’s name exactly as shown to confirm."
            status = 422
        else:
            key = request.POST.get("idempotency_key", "")
            job = client.spaces.delete(
                space.id, idempotency_key=key if _IDEMPOTENCY_KEY.match(key) else None
            )
            messages.success(
                request,
                format_html(
                    'Deleted “{}”. Its contents are being removed: <a href="{}">follow the '
                    "job</a>.",
                    space.name,
                    reverse("web:job_detail", args=[job.id]),
                ),
            )
            if from_list and is_partial(request):
                return render_removed(request)
            return redirect(request, reverse("web:spaces"))
    if from_list and is_partial(request):
        context = {
            **_list_context(request),
            "space": space,
            "delete_error": error,
            "delete_key": uuid.uuid4().hex,
        }
        return render_page(request, SPACES, context, partial="space-delete-row", status=status)
    if is_partial(request):
        context = _space_context(request, space, sections=("settings",), delete_error=error)
        return render_page(request, SPACE, context, partial="space-danger", status=status)
    context = {"space": space, "delete_error": error, "delete_key": uuid.uuid4().hex}
    return render_page(request, SPACE_DELETE_PAGE, context, status=status)


# --- members of a space -----------------------------------------------------------------------
def _find_member(client: AdminClient, space_id: str, user_id: str) -> SpaceMembership | None:
    """One member as they are now, or None once they are not a member."""
    try:
        return client.spaces.get_user(space_id, user_id=user_id)
    except NotFoundError:
        return None


@require_POST
@dashboard_view
def space_member_add(request: HttpRequest, space_id: str) -> HttpResponse:
    client = sdk(request)
    space = client.spaces.get(space_id)
    members = client.spaces.list_users(space.id)
    form = _member_form(request, members, request.POST)
    status = 422
    if form.is_valid():
        try:
            membership = client.spaces.add_user(space.id, **form.sdk_arguments())
        except FORM_ERRORS as exc:
            _refusal_is_a_page(exc)
            apply_api_errors(form, exc)
            status = exc.status_code
        else:
            messages.success(
                request,
                f"{membership.user.email} is {role_text(membership.role)} in {space.name}.",
            )
            if not is_partial(request):
                return redirect(request, reverse("web:space_detail", args=[space.id]))
            members, form, status = None, None, 200  # a fresh table and an empty form
    if is_partial(request):
        context = _space_context(
            request, space, sections=("members",), members=members, member_form=form
        )
        return render_page(request, SPACE, context, partial="members-panel", status=status)
    context = _space_context(request, space, members=members, member_form=form)
    return render_page(request, SPACE, context, status=status)


@require_POST
@dashboard_view
def space_member_role(request: HttpRequest, space_id: str, user_id: str) -> HttpResponse:
    """The role select of a member's row: saves at once on change (htmx) or with its
    button (no JavaScript). A refused change (the annotator rule, a role above your own)
    shows inline in the row, which keeps the role the member still has."""
    client = sdk(request)
    space = client.spaces.get(space_id)
    error = None
    status = 200
    try:
        member = client.spaces.add_user(
            space.id, user_id=user_id, role=role_argument(request.POST.get("role", ""))
        )
    except FORM_ERRORS as exc:
        _refusal_is_a_page(exc)
        error, status = exc.message, exc.status_code
        member = _find_member(client, space.id, user_id)
        if not is_partial(request) or member is None:
            messages.error(request, error)
            return redirect(request, reverse("web:space_detail", args=[space.id]))
    else:
        messages.success(request, f"{member.user.email} is now {role_text(member.role)} here.")
        if not is_partial(request):
            return redirect(request, reverse("web:space_detail", args=[space.id]))
    context = {
        "space": space,
        "member": member,
        "member_error": error,
        "manage_members": True,
        "role_choices": _role_choices(request),
        "me_user_id": me(request).user.id if me(request).user else None,
    }
    return render_page(request, SPACE, context, partial="member-row", status=status)


@require_http_methods(["GET", "POST"])
@dashboard_view
def space_member_remove(request: HttpRequest, space_id: str, user_id: str) -> HttpResponse:
    client = sdk(request)
    space = client.spaces.get(space_id)
    back = reverse("web:space_detail", args=[space.id])
    if request.method == "POST":
        client.spaces.remove_user(space.id, user_id=user_id)
        who = request.POST.get("email") or user_id
        messages.success(request, f"Removed {who} from {space.name}.")
        if is_partial(request):
            return render_removed(request)
        return redirect(request, back)
    member = _find_member(client, space.id, user_id)
    who = member.user.email if member else user_id
    return confirm_page(
        request,
        title=f"Remove {who} from {space.name}?",
        message="They lose access to this space. They stay in the organization.",
        action=reverse("web:space_member_remove", args=[space.id, user_id]),
        hidden={"email": who},
        button="Remove member",
        danger=True,
        cancel=back,
    )


# --- tokens of a space ------------------------------------------------------------------------
def _find_token(client: AdminClient, space_id: str, token_id: str) -> SpaceToken | None:
    try:
        return client.spaces.tokens.get(space_id, token_id)
    except NotFoundError:
        return None


def _token_name(client: AdminClient, space_id: str, token_id: str) -> str:
    """How a confirm page names a token: its label and prefix, or "this token"."""
    token = _find_token(client, space_id, token_id)
    return f"“{token.label}” ({token.prefix}…)" if token and token.label else "this token"


@require_POST
@dashboard_view
def space_token_create(request: HttpRequest, space_id: str) -> HttpResponse:
    client = sdk(request)
    space = client.spaces.get(space_id)
    form = SpaceTokenForm(request.POST)
    created = None
    status = 422
    if form.is_valid():
        try:
            created = client.spaces.tokens.create(space.id, **form.sdk_arguments())
        except FORM_ERRORS as exc:
            _refusal_is_a_page(exc)
            apply_api_errors(form, exc)
            status = exc.status_code
        else:
            form, status = SpaceTokenForm(), 201
    # Not a redirect after success: this answer is the only one that shows the secret.
    if is_partial(request):
        context = _space_context(
            request, space, sections=("tokens",), token_form=form, created_token=created
        )
        response = render_page(request, SPACE, context, partial="tokens-panel", status=status)
    else:
        context = _space_context(request, space, token_form=form, created_token=created)
        response = render_page(request, SPACE, context, status=status)
    return _no_store(response) if created is not None else response


@require_http_methods(["GET", "POST"])
@dashboard_view
def space_token_deactivate(request: HttpRequest, space_id: str, token_id: str) -> HttpResponse:
    client = sdk(request)
    space = client.spaces.get(space_id)
    back = reverse("web:space_detail", args=[space.id])
    if request.method == "POST":
        token = client.spaces.tokens.deactivate(space.id, token_id)
        messages.success(request, f"Deactivated the token {token.prefix}…. It stops working now.")
        if is_partial(request):
            context = {"space": space, "token": token, "manage_tokens": True}
            return render_page(request, SPACE, context, partial="token-row")
        return redirect(request, back)
    name = _token_name(client, space.id, token_id)
    return confirm_page(
        request,
        title=f"Deactivate {name}?",
        message="Anything using it stops working at once. It stays listed as deactivated.",
        action=reverse("web:space_token_deactivate", args=[space.id, token_id]),
        button="Deactivate token",
        danger=True,
        cancel=back,
    )


@require_http_methods(["GET", "POST"])
@dashboard_view
def space_token_delete(request: HttpRequest, space_id: str, token_id: str) -> HttpResponse:
    client = sdk(request)
    space = client.spaces.get(space_id)
    back = reverse("web:space_detail", args=[space.id])
    if request.method == "POST":
        client.spaces.tokens.delete(space.id, token_id)
        messages.success(request, "Deleted the token.")
        if is_partial(request):
            return render_removed(request)
        return redirect(request, back)
    name = _token_name(client, space.id, token_id)
    return confirm_page(
        request,
        title=f"Delete {name}?",
        message="Anything using it stops working at once. This cannot be undone.",
        action=reverse("web:space_token_delete", args=[space.id, token_id]),
        button="Delete token",
        danger=True,
        cancel=back,
    )


@require_http_methods(["GET", "POST"])
@dashboard_view
def space_tokens_delete(request: HttpRequest, space_id: str) -> HttpResponse:
    """Delete all of a space's tokens, or only the permanent or only the temporary ones."""
    client = sdk(request)
    space = client.spaces.get(space_id)
    back = reverse("web:space_detail", args=[space.id])
    which = request.POST.get("which") or request.GET.get("which") or "all"
    if which not in _TOKEN_DELETE_SCOPE:
        which = "all"
    words = {
        "all": "all tokens",
        "permanent": "the permanent tokens",
        "temporary": "the temporary tokens",
    }[which]
    if request.method == "POST":
        deleted = client.spaces.tokens.delete_all(space.id, permanent=_TOKEN_DELETE_SCOPE[which])
        messages.success(request, f"Deleted {deleted} token{'' if deleted == 1 else 's'}.")
        if is_partial(request):
            context = _space_context(request, space, sections=("tokens",))
            return render_page(request, SPACE, context, partial="tokens-panel")
        return redirect(request, back)
    return confirm_page(
        request,
        title=f"Delete {words} of {space.name}?",
        message="Anything using them stops working at once. This cannot be undone.",
        action=reverse("web:space_tokens_delete", args=[space.id]),
        hidden={"which": which},
        button="Delete tokens",
        danger=True,
        cancel=back,
    )


# --- custom space roles -----------------------------------------------------------------------
def _roles_context(request: HttpRequest, *, form: RoleForm | None = None, editing=None) -> dict:
    manage = can(request, ROLE_MANAGE)
    context: dict[str, Any] = {
        "manage": manage,
        "page": sdk(request).roles.list(cursor=_cursor(request)),
        "editing": editing,
    }
    if manage:
        vocabulary = _vocabulary(request)
        context["vocabulary"] = vocabulary
        if form is None:
            initial = (
                {
                    "name": editing.name,
                    "description": editing.description,
                    "permissions": editing.permissions,
                }
                if editing is not None
                else None
            )
            form = RoleForm(initial=initial, vocabulary=vocabulary)
        context["form"] = form
    return context


def _vocabulary(request: HttpRequest):
    return sdk(request).roles.permissions()


@require_http_methods(["GET", "POST"])
@dashboard_view
def roles(request: HttpRequest) -> HttpResponse:
    client = sdk(request)
    form = None
    status = 200
    if request.method == "POST":
        form = RoleForm(request.POST, vocabulary=_vocabulary(request))
        status = 422
        if form.is_valid():
            try:
                role = client.roles.create(**form.sdk_arguments())
            except FORM_ERRORS as exc:
                _refusal_is_a_page(exc)
                apply_api_errors(form, exc)
                status = exc.status_code
            else:
                messages.success(request, f"Created the role “{role.name}”.")
                if not is_partial(request):
                    return redirect(request, reverse("web:roles"))
                form, status = None, 201
    context = _roles_context(request, form=form)
    partial = "role-rows" if request.method == "GET" and _cursor(request) else "roles-content"
    return render_page(request, ROLES, context, partial=partial, status=status)


@require_http_methods(["GET", "POST"])
@dashboard_view
def role_edit(request: HttpRequest, role_id: str) -> HttpResponse:
    client = sdk(request)
    role = client.roles.get(role_id)
    if request.method == "GET":
        context = _roles_context(request, editing=role)
        return render_page(request, ROLES, context, partial="role-form")
    form = RoleForm(request.POST, vocabulary=_vocabulary(request))
    status = 422
    if form.is_valid():
        try:
            role = client.roles.update(role.id, **form.sdk_arguments())
        except FORM_ERRORS as exc:
            _refusal_is_a_page(exc)
            apply_api_errors(form, exc)
            status = exc.status_code
        else:
            messages.success(request, f"Saved the role “{role.name}”.")
            if not is_partial(request):
                return redirect(request, reverse("web:roles"))
            return render_page(request, ROLES, _roles_context(request), partial="roles-content")
    context = _roles_context(request, form=form, editing=role)
    return render_page(request, ROLES, context, partial="roles-content", status=status)


@require_http_methods(["GET", "POST"])
@dashboard_view
def role_delete(request: HttpRequest, role_id: str) -> HttpResponse:
    """Delete a custom role. One still assigned is refused (409 "used by N memberships"),
    and that message shows in the role's row."""
    client = sdk(request)
    role = client.roles.get(role_id)
    if request.method == "POST":
        try:
            client.roles.delete(role.id)
        except ConflictError as exc:
            context = {
                "manage": True,
                "role": role,
                "role_error": exc.message,
                "error_role_id": role.id,
            }
            if is_partial(request):
                return render_page(request, ROLES, context, partial="role-row", status=409)
            full = _roles_context(request)
            full.update({"error_role_id": role.id, "role_error": exc.message})
            return render_page(request, ROLES, full, status=409)
        messages.success(request, f"Deleted the role “{role.name}”.")
        if is_partial(request):
            return render_removed(request)
        return redirect(request, reverse("web:roles"))
    return confirm_page(
        request,
        title=f"Delete the role “{role.name}”?",
        message="A role still held by members cannot be deleted: give them another role first.",
        action=reverse("web:role_delete", args=[role.id]),
        button="Delete role",
        danger=True,
        cancel=reverse("web:roles"),
    )
