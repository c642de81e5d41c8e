"""The organization's custom space roles: list, create, edit, and delete one nobody holds."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from adminapp.client import ConflictError, Permission
from adminapp.web import render
from adminapp.web.client import can, sdk
from adminapp.web.flow import after_removal, after_success, submit
from adminapp.web.spaces.forms import RoleForm
from adminapp.web.spaces.views import cursor

ROLES = "web/spaces/roles.html"


def _roles_context(request: HttpRequest, *, form: RoleForm | None = None, editing=None) -> dict:
    manage = can(request, Permission.ROLE_MANAGE)
    context: dict[str, Any] = {
        "manage": manage,
        "page": sdk(request).roles.list(cursor=cursor(request)),
        "editing": editing,
    }
    if manage:
        vocabulary = sdk(request).roles.permissions()
        context["vocabulary"] = vocabulary
        if form is None:
            initial = None
            if editing is not None:
                initial = {
                    "name": editing.name,
                    "description": editing.description,
                    "permissions": editing.permissions,
                }
            form = RoleForm(initial=initial, vocabulary=vocabulary)
        context["form"] = form
    return context


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def roles(request: HttpRequest) -> HttpResponse:
    form, status = None, 200
    if request.method == "POST":
        form = RoleForm(request.POST, vocabulary=sdk(request).roles.permissions())
        created = submit(form, sdk(request).roles.create, created=True)
        status = created.status
        if created.ok:
            message = f"Created the role “{created.result.name}”."
            if response := after_success(request, message, reverse("web:roles")):
                return response
            form = None
    context = _roles_context(request, form=form)
    partials = {"roles-content": "roles-content", "roles-more": "role-rows"}
    return render.page(request, ROLES, context, partials=partials, status=status)


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def role_edit(request: HttpRequest, role_id: str) -> HttpResponse:
    client = sdk(request)
    role = client.roles.get(role_id)
    if request.method == "GET":
        context = _roles_context(request, editing=role)
        return render.page(request, ROLES, context, partials={"role-form": "role-form"})
    form = RoleForm(request.POST, vocabulary=client.roles.permissions())
    saved = submit(form, partial(client.roles.update, role.id))
    if saved.ok:
        message = f"Saved the role “{saved.result.name}”."
        if response := after_success(request, message, reverse("web:roles")):
            return response
        context = _roles_context(request)
    else:
        context = _roles_context(request, form=form, editing=role)
    return render.page(
        request, ROLES, context, partials={"roles-content": "roles-content"}, status=saved.status
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def role_delete(request: HttpRequest, role_id: str) -> HttpResponse:
    """Delete a custom role. One still assigned is refused (409 "used by N memberships"),
    and that message shows in the role's row."""
    client = sdk(request)
    role = client.roles.get(role_id)
    if request.method == "POST":
        try:
            client.roles.delete(role.id)
        except ConflictError as exc:
            refused = {"role": role, "role_error": exc.message, "error_role_id": role.id}
            if render.is_partial(request):  # the row alone, saying why
                context = {"manage": True, **refused}
            else:
                context = {**_roles_context(request), **refused}
            return render.page(request, ROLES, context, partials={"role-*": "role-row"}, status=409)
        return after_removal(request, f"Deleted the role “{role.name}”.", reverse("web:roles"))
    return render.confirm(
        request,
        title=f"Delete the role “{role.name}”?",
        message="A role still held by members cannot be deleted: give them another role first.",
        action=reverse("web:role_delete", args=[role.id]),
        button="Delete role",
        danger=True,
        cancel=reverse("web:roles"),
    )
