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
from adminapp.web.flow import idempotency_key

ORGANIZATION = "web/organization/organization.html"


@render.dashboard_view
def organization(request: HttpRequest) -> HttpResponse:
    current = me(request)
    context = {
        "organization": sdk(request).organizations.get(current.organization.id),
        "can_export": can(request, Permission.ORG_EXPORT),
        "export_key": uuid.uuid4().hex,
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
