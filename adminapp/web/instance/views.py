"""The instance-admin area: the Operations page (workers, queues, the reaper, the day's
failed jobs), refreshed by htmx every few seconds and by a link without JavaScript; every
organization (create one with its first owner) and every account (deactivate, reactivate).
Each page's SDK call is refused (403) for anyone but an instance admin."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from adminapp.web import render
from adminapp.web.client import me, sdk
from adminapp.web.flow import FORM_ERRORS, in_words, submit

OPERATIONS = "web/instance/operations.html"
REFRESH_SECONDS = 10


@render.dashboard_view
def operations(request: HttpRequest) -> HttpResponse:
    health = sdk(request).instance.health()  # 403 for anyone but an instance admin
    context = {
        "health": health,
        "refresh_seconds": REFRESH_SECONDS,
        "current_org_id": me(request).organization.id,
    }
    return render.page(request, OPERATIONS, context, partials={"ops-content": "ops-content"})


# --- organizations and users ------------------------------------------------------------------
ORGANIZATIONS = "web/instance/organizations.html"
USERS = "web/instance/users.html"
USER = "web/instance/user.html"


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(
        max_length=255, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    owner_email = forms.CharField(
        max_length=254,
        required=False,
        label="First owner's email",
        help_text="An existing account becomes the owner at once; anyone else is invited by "
        "email to become it.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def sdk_arguments(self) -> dict:
        return {
            "name": self.cleaned_data.get("name", ""),
            "owner_email": self.cleaned_data.get("owner_email", ""),
        }


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def organizations(request: HttpRequest) -> HttpResponse:
    client = sdk(request)
    form = OrganizationCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        created = submit(form, client.instance.organizations.create, created=True)
        status = created.status
        if created.ok:
            result = created.result
            if result.owner is not None:
                message = f"Created {result.organization.name}; {result.owner.email} owns it."
            else:
                message = (
                    f"Created {result.organization.name}; {result.invitation.email} is "
                    "invited to own it."
                )
            messages.success(request, message)
            return render.redirect(request, reverse("web:instance_organizations"))
    query = request.GET.get("q", "").strip()
    page = client.instance.organizations.list(
        search=query or None, cursor=request.GET.get("cursor") or None
    )
    context = {"form": form, "page": page, "q": query}
    partials = {"orgs-results": "orgs-results", "orgs-more": "org-rows"}
    return render.page(request, ORGANIZATIONS, context, partials=partials, status=status)


@render.dashboard_view
def users(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = sdk(request).instance.users.list(
        search=query or None, cursor=request.GET.get("cursor") or None
    )
    context = {"page": page, "q": query, "me_user_id": me(request).user.id}
    partials = {"users-results": "users-results", "users-more": "user-rows"}
    return render.page(request, USERS, context, partials=partials)


@render.dashboard_view
def user_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    user = sdk(request).instance.users.get(user_id)
    context = {"account": user, "own": user.id == me(request).user.id}
    return render.page(request, USER, context)


def _set_active(request: HttpRequest, user_id: str, *, active: bool) -> HttpResponse:
    back = reverse("web:instance_user", args=[user_id])
    users_api = sdk(request).instance.users
    if request.method == "POST":
        try:
            user = users_api.reactivate(user_id) if active else users_api.deactivate(user_id)
        except FORM_ERRORS as exc:
            messages.error(request, in_words(exc))
        else:
            done = "Reactivated" if active else "Deactivated"
            messages.success(request, f"{done} {user.email}.")
        return render.redirect(request, back)
    user = users_api.get(user_id)
    if active:
        title, text = f"Reactivate {user.email}?", "They can sign in again."
    else:
        title = f"Deactivate {user.email}?"
        text = (
            "They can no longer sign in, their open sessions end and their API keys stop "
            "working, in every organization. Everything they did stays."
        )
    return render.confirm(
        request,
        title=title,
        message=text,
        action=reverse(
            "web:instance_user_reactivate" if active else "web:instance_user_deactivate",
            args=[user_id],
        ),
        button="Reactivate" if active else "Deactivate",
        danger=not active,
        cancel=back,
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def user_deactivate(request: HttpRequest, user_id: str) -> HttpResponse:
    return _set_active(request, user_id, active=False)


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def user_reactivate(request: HttpRequest, user_id: str) -> HttpResponse:
    return _set_active(request, user_id, active=True)
