"""The Macros page of org OWNERs and ADMINs (``plugin.macro.run``): the enabled plugins'
macros, each with a form generated from its parameter schema (``forms.MacroForm``). Run
starts the macro as a job in the organization and goes to the job's page: its progress, its
outcome and, for a macro that writes one, its result file to download.

A refused run (a parameter the API refuses: too long, out of bounds, not one of its
choices) is said next to that parameter's field (the API's ``params.<name>`` errors)."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods

from adminapp.client import NotFoundError, Permission, PermissionDeniedError
from adminapp.client.types.plugins import PluginComponentRef
from adminapp.web import render
from adminapp.web.client import can, sdk
from adminapp.web.flow import idempotency_key, submit
from adminapp.web.plugins.forms import MacroForm

MACROS = "web/plugins/macros.html"


def _require_runner(request: HttpRequest) -> None:
    """The page is for those who may run macros; the API refuses the others anyway."""
    if not can(request, Permission.PLUGIN_MACRO_RUN):
        raise PermissionDeniedError(
            "Only organization owners and admins can run macros.",
            status_code=403,
            code="permission_denied",
        )


def _macros(request: HttpRequest) -> list[PluginComponentRef]:
    return sdk(request).plugins.components(type="macro")


def _context(
    request: HttpRequest, macros: list[PluginComponentRef], bound: MacroForm | None = None
) -> dict[str, Any]:
    forms = [
        bound if bound is not None and bound.macro == macro else MacroForm(macro=macro)
        for macro in macros
    ]
    return {"macro_forms": forms, "job_key": uuid.uuid4().hex}


@require_GET
@render.dashboard_view
def macros(request: HttpRequest) -> HttpResponse:
    _require_runner(request)
    return render.page(request, MACROS, _context(request, _macros(request)))


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def macro_run(request: HttpRequest, plugin_id: str, macro_id: str) -> HttpResponse:
    """Run one macro with the parameters given: the job's page follows it. htmx: a refusal
    swaps the macro's card with its errors; without JavaScript the whole page."""
    _require_runner(request)
    if request.method == "GET":
        return render.redirect(request, reverse("web:macros") + f"#macro-{plugin_id}-{macro_id}")
    found = _macros(request)
    macro = next((m for m in found if (m.plugin_id, m.id) == (plugin_id, macro_id)), None)
    if macro is None:
        raise NotFoundError(
            f"No enabled macro “{macro_id}” of the plugin “{plugin_id}”: it was disabled or "
            "removed.",
            status_code=404,
            code="plugin_component_not_found",
        )
    form = MacroForm(request.POST, macro=macro)
    client = sdk(request)
    key = idempotency_key(request)
    submission = submit(form, partial(client.plugins.run_macro, idempotency_key=key))
    if submission.ok:
        job = submission.result
        url = reverse("web:job_detail", args=[job.id])
        messages.success(
            request,
            format_html('{} started: <a href="{}">job {}</a>.', macro.label, url, job.id),
        )
        return render.redirect(request, url)
    context = _context(request, found, form)
    context["mf"] = form  # the card htmx swaps
    return render.page(
        request, MACROS, context, partials={"macro-*": "macro-card"}, status=submission.status
    )
