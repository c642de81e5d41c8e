"""Starting plugin work: a macro run (an org OWNER or ADMIN, ``plugin.macro.run``). The
macro and its parameters are checked up front — an unknown or disabled plugin is a 404, a
bad parameter a 422 naming it — and only then is the job created."""

from __future__ import annotations

from typing import Any

from adminapp import authz
from adminapp.authz import Permission
from adminapp.core.principal import Principal
from adminapp.jobs.models import Job
from adminapp.jobs.services import job_create
from adminapp.plugins.runtime.jobs import MacroJobParams, MacroRun
from adminapp.plugins.runtime.params import params_validate
from adminapp.plugins.selectors import component_get


def macro_run_start(
    *,
    actor: Principal,
    plugin_id: str,
    macro_id: str,
    params: dict[str, Any],
    idempotency_key: str | None = None,
) -> Job:
    authz.require(actor, Permission.PLUGIN_MACRO_RUN, "Only org owners and admins can run macros.")
    resolved = component_get(plugin_id=plugin_id, component_id=macro_id, type="macro")
    values = params_validate(resolved.component.get("params"), params)
    job, _ = job_create(
        actor=actor,
        kind=MacroRun,
        params=MacroJobParams(
            plugin_id=resolved.plugin.plugin_id, macro_id=macro_id, params=values
        ),
        idempotency_key=idempotency_key,
    )
    return job
