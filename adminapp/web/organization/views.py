"""The organization's page: what it is, who you are in it, and (owners) the export of
everything it holds."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from adminapp.client import Permission
from adminapp.web import render
from adminapp.web.client import can, me, sdk
from adminapp.web.flow import FORM_ERRORS, idempotency_key, in_words

ORGANIZATION = "web/organization/organization.html"


@render.dashboard_view
def organization(request: HttpRequest) -> HttpResponse:
    current = me(request)
    context = {
        "organization": sdk(request).organizations.get(current.organization.id),
        "can_export": can(request, Permission.ORG_EXPORT),
        "export_key": uuid.uuid4().hex,
        "can_require_two_factor": can(request, Permission.OWNER_MANAGE),
    }
    return render.page(request, ORGANIZATION, context)


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
