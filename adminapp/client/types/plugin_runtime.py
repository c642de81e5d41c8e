"""Wire types of the plugin runtime (issue 11): running a plugin's macro as a job, and the
result its job gives (``job.result``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from adminapp.client.types.common import ParamsModel, WireModel

__all__ = ["MacroRunParams", "MacroRunResult"]


class MacroRunParams(ParamsModel):
    """``POST /plugins/{plugin_id}/macros/{macro_id}/run``: the macro's parameters, checked
    against its manifest's ``params`` schema (a 422 naming each field as ``params.<name>``)."""

    params: dict[str, Any] = Field(default_factory=dict)


class MacroRunResult(WireModel):
    """A ``plugin_macro`` job's result."""

    plugin_id: str
    macro_id: str
    version: str = Field(description="The plugin version that ran.")
    result: dict[str, Any] = Field(default_factory=dict, description="What run(ctx) returned.")
    file: str | None = Field(
        None, description="The result file's name (GET /jobs/{id}/download), if any."
    )
    log: list[str] = Field(default_factory=list, description="Its last ctx.log() lines.")
    seconds: float = Field(description="How long its code ran.")
