"""A space's members panel: add an organization member, change a member's role (the select
saves on change), remove one."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from adminapp.client import APIStatusError
from adminapp.web import render
from adminapp.web.client import me, sdk
from adminapp.web.flow import after_removal, after_success, in_words, is_input_error, submit
from adminapp.web.spaces.forms import role_argument
from adminapp.web.spaces.views import SPACE, find, member_form, space_context, space_role_choices
from adminapp.web.templatetags.web_spaces import role_text


@require_POST
@render.dashboard_view
def space_member_add(request: HttpRequest, space_id: str) -> HttpResponse:
    client = sdk(request)
    space = client.spaces.get(space_id)
    members = client.spaces.list_users(space.id)
    form = member_form(request, members, request.POST)
    added = submit(form, partial(client.spaces.add_user, space.id))
    if added.ok:
        membership = added.result
        message = f"{membership.user.email} is {role_text(membership.role)} in {space.name}."
        url = reverse("web:space_detail", args=[space.id])
        if response := after_success(request, message, url):
            return response
        members, form = None, None  # a fresh table and an empty form
    sections = ("members",) if render.is_partial(request) else ("members", "tokens", "settings")
    context = space_context(
        request, space, sections=sections, members=members, new_member_form=form
    )
    return render.page(
        request, SPACE, context, partials={"members-panel": "members-panel"}, status=added.status
    )


@require_POST
@render.dashboard_view
def space_member_role(request: HttpRequest, space_id: str, user_id: str) -> HttpResponse:
    """The role select of a member's row: saves at once on change (htmx) or with its
    button (no JavaScript). A refused change (the annotator rule, a role above your own)
    shows inline in the row, which keeps the role the member still has."""
    client = sdk(request)
    space = client.spaces.get(space_id)
    error, status = None, 200
    try:
        member = client.spaces.add_user(
            space.id, user_id=user_id, role=role_argument(request.POST.get("role", ""))
        )
    except APIStatusError as exc:
        if not is_input_error(exc):
            raise
        error, status = in_words(exc), exc.status_code
        member = find(client.spaces.get_user, space.id, user_id=user_id)
        if not render.is_partial(request) or member is None:
            messages.error(request, error)
            return render.redirect(request, reverse("web:space_detail", args=[space.id]))
    else:
        messages.success(request, f"{member.user.email} is now {role_text(member.role)} here.")
        if not render.is_partial(request):
            return render.redirect(request, reverse("web:space_detail", args=[space.id]))
    context = {
        "space": space,
        "member": member,
        "member_error": error,
        "role_choices": space_role_choices(request),
        "me_user_id": me(request).user.id if me(request).user else None,
    }
    return render.page(request, SPACE, context, partials={"member-*": "member-row"}, status=status)


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def space_member_remove(request: HttpRequest, space_id: str, user_id: str) -> HttpResponse:
    client = sdk(request)
    space = client.spaces.get(space_id)
    back = reverse("web:space_detail", args=[space.id])
    if request.method == "POST":
        client.spaces.remove_user(space.id, user_id=user_id)
        who = request.POST.get("email") or user_id
        return after_removal(request, f"Removed {who} from {space.name}.", back)
    member = find(client.spaces.get_user, space.id, user_id=user_id)
    who = member.user.email if member else user_id
    return render.confirm(
        request,
        title=f"Remove {who} from {space.name}?",
        message="They lose access to this space. They stay in the organization.",
        action=reverse("web:space_member_remove", args=[space.id, user_id]),
        hidden={"email": who},
        button="Remove member",
        danger=True,
        cancel=back,
    )
