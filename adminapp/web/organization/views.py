"""The organization's page: what it is, who you are in it, and (owners) its name and the
export of everything it holds."""

from __future__ import annotations

import uuid
from functools import partial

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from adminapp.client import Permission
from adminapp.web import render
from adminapp.web.client import can, me, sdk
from adminapp.web.flow import FORM_ERRORS, idempotency_key, in_words, submit

ORGANIZATION = "web/organization/organization.html"


class RenameForm(forms.Form):
    name = forms.CharField(
        max_length=255, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

    def sdk_arguments(self) -> dict:
        return {"name": self.cleaned_data.get("name", "")}


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def organization(request: HttpRequest) -> HttpResponse:
    current = me(request)
    client = sdk(request)
    can_rename = can(request, Permission.OWNER_MANAGE)
    form = RenameForm(request.POST or None, initial={"name": current.organization.name})
    status = 200
    if request.method == "POST":
        renamed = submit(form, partial(client.organizations.update, current.organization.id))
        status = renamed.status
        if renamed.ok:
            messages.success(request, f"The organization is now called {renamed.result.name}.")
            return render.redirect(request, reverse("web:organization"))
    context = {
        "organization": client.organizations.get(current.organization.id),
        "can_export": can(request, Permission.ORG_EXPORT),
        "can_rename": can_rename,
        "rename_form": form,
        "form": form,
        "export_key": uuid.uuid4().hex,
        "can_require_two_factor": can(request, Permission.OWNER_MANAGE),
    }
    return render.page(request, ORGANIZATION, context, status=status)


@require_POST
@render.dashboard_view
def organization_export(request: HttpRequest) -> HttpResponse:
    job = sdk(request).organizations.export_data(
        me(request).organization.id, idempotency_key=idempotency_key(request)
    )
    messages.success(request, "Export started. The archive will be ready to download here.")
    return render.redirect(request, reverse("web:job_detail", args=[job.id]))


@require_POST
@render.dashboard_view
def organization_two_factor(request: HttpRequest) -> HttpResponse:
    """Owners turn "every member must use two-factor sign-in" on or off."""
    required = request.POST.get("required") == "1"
    try:
        org = sdk(request).organizations.set_two_factor_required(
            me(request).organization.id, required
        )
    except FORM_ERRORS as exc:
        messages.error(request, in_words(exc))
    else:
        if org.require_two_factor:
            messages.success(request, "Members must now use two-factor sign-in.")
        else:
            messages.success(request, "Two-factor sign-in is no longer required.")
    return render.redirect(request, reverse("web:organization"))
