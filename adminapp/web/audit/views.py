"""The audit log page (filters, load more) and starting its CSV export."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from adminapp.client import BadRequestError, ConflictError, UnprocessableEntityError
from adminapp.web import query, render
from adminapp.web.audit.forms import AuditFilterForm
from adminapp.web.client import sdk
from adminapp.web.flow import filtered_page, idempotency_key, in_words


@render.dashboard_view
def audit(request: HttpRequest) -> HttpResponse:
    return query.clean_filters(request, lambda: _audit(request))


def _audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    page, status = filtered_page(request, form, sdk(request).audit.list)
    context = {
        "form": form,
        "page": page,
        # The applied filters as typed, for the export form and the empty state.
        "filters": {k: form.data[k] for k in form.sdk_filters()} if page is not None else {},
        "export_key": uuid.uuid4().hex,
    }
    partials = {"audit-content": "audit-content", "audit-more": "audit-rows"}
    return render.page(request, "web/audit/audit.html", context, partials=partials, status=status)


@require_POST
@render.dashboard_view
def audit_export(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Fix the filters before exporting.")
        return render.redirect(request, reverse("web:audit"))
    try:
        job = sdk(request).audit.export(
            **form.sdk_filters(), idempotency_key=idempotency_key(request)
        )
    except (UnprocessableEntityError, BadRequestError, ConflictError) as exc:
        # Back to the log with the same filters, where the error shows next to them.
        messages.error(request, in_words(exc, form))
        query = urlencode({k: request.POST[k] for k in form.sdk_filters()})
        return render.redirect(request, reverse("web:audit") + (f"?{query}" if query else ""))
    messages.success(request, "Export started. The CSV will be ready to download here.")
    return render.redirect(request, reverse("web:job_detail", args=[job.id]))
