"""The runtime side of ``client.plugins`` (issue 11): running macros. The ``Plugins``
resource (``resources/plugins.py``) exposes these methods; they live here so the two halves
of the domain are written apart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adminapp.client.resources._base import Resource, seg
from adminapp.client.resources.jobs import Job
from adminapp.client.types.plugin_runtime import MacroRunParams


class PluginRuntime(Resource):
    def run_macro(
        self,
        plugin_id: str,
        macro_id: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Job:
        """Start a plugin's macro (an org OWNER or ADMIN) with ``params`` as its manifest
        declares them; returns its ``plugin_macro`` job. ``job.wait().result`` is a
        ``MacroRunResult``-shaped dict; a macro that writes a file has it at
        ``client.jobs.download(job.id)``."""
        response = self._client.request(
            "POST",
            f"/plugins/{seg(plugin_id)}/macros/{seg(macro_id)}/run",
            json=MacroRunParams(params=dict(params or {})).model_dump(mode="json"),
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return Job.bind(response.json(), self._client)
