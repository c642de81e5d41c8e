"""The runtime side of ``/plugins`` (mounted beside ``adminapp.plugins.api``):
``POST /plugins/{plugin_id}/macros/{macro_id}/run`` starts a macro as a job."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from adminapp.client import types as wire
from adminapp.client.types.plugin_runtime import MacroRunParams
from adminapp.jobs.schemas import job_out
from adminapp.plugins.runtime import services

router = Router(tags=["plugins"])


@router.post(
    "/{plugin_id}/macros/{macro_id}/run",
    response={202: wire.Job},
    summary="Run a plugin's macro (a job)",
)
def run_macro(request: HttpRequest, plugin_id: str, macro_id: str, payload: MacroRunParams):
    job = services.macro_run_start(
        actor=request.auth,
        plugin_id=plugin_id,
        macro_id=macro_id,
        params=payload.params,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return Status(202, job_out(job, include_result=False))
