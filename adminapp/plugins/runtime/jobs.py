"""The ``plugin_macro`` job: one run of a plugin's macro in the sandbox.

- The component is looked up when the job runs (the plugin's current version; a plugin
  disabled or deleted meanwhile fails the job saying so) and the parameters are checked
  again against that version's schema.
- The job's credential (``credential.py``) is minted for the owner just before the child
  starts and revoked when it exits — and again by ``cleanup`` whatever ends the job.
- The macro's ``ctx.progress(done, total)`` becomes the job's progress in percent: each
  step is a chunk of no items (at most one every ``PROGRESS_EVERY`` seconds), so the engine
  saves progress, checks for an abort and re-checks the owner between them; an abort or a
  lost permission kills the child.
- A macro is not resumable: a re-delivery after a lost worker (a checkpoint exists) fails the
  job rather than run the macro twice (``plugin_interrupted``).
- A macro declaring ``"result": "csv"`` writes ``ctx.result_file()``; the file goes into the
  storage as the job's download (``GET /jobs/{id}/download``).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import Q
from pydantic import BaseModel, Field

from adminapp.authz import Permission
from adminapp.catalog.imports import DataRowsImport
from adminapp.client.types.plugin_runtime import MacroRunResult
from adminapp.core.errors import ApplicationError, NotFound, ValidationFailed
from adminapp.core.files import storage_is_local
from adminapp.jobs.kinds import Chunk, JobContext, JobKind, Queue, register
from adminapp.jobs.models import Job, JobState
from adminapp.plugins.runtime import credential
from adminapp.plugins.runtime.params import params_validate
from adminapp.plugins.runtime.sandbox import Limits, PluginFailed, PluginProcess, RunSpec
from adminapp.plugins.selectors import component_get

PROGRESS_EVERY = 0.5  # seconds between two saved progress steps
# At least this often a step is saved while the macro runs, moved or not: the engine
# heartbeats the job and checks for an abort or a lost permission between steps.
CHECK_EVERY = 2.0
LOG_LINES = 20  # the macro's last ctx.log() lines kept in the result


class MacroJobParams(BaseModel):
    plugin_id: str
    macro_id: str
    params: dict[str, Any] = Field(default_factory=dict)


def result_name(job_id: str) -> str:
    return f"plugins/results/macro-{job_id}.csv"


def store_result(path: Path, name: str) -> str:
    """Move the child's result file into the storage as ``name``."""
    if storage_is_local():
        target = Path(settings.MEDIA_ROOT) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
        return name
    with open(path, "rb") as fh:
        return default_storage.save(name, File(fh, name=Path(name).name))


@register
class MacroRun(JobKind[MacroJobParams, MacroRunResult]):
    name = "plugin_macro"
    label = "Plugin macro"
    queue = Queue.IO
    unit = "%"
    permission = Permission.PLUGIN_MACRO_RUN  # an owner demoted meanwhile stops it
    makes_file = True

    def plan(self, ctx: JobContext[MacroJobParams]) -> int:
        return 100

    def chunks(self, ctx: JobContext[MacroJobParams], after: Any) -> Iterator[Chunk]:
        p = ctx.params
        if after is not None:
            raise ApplicationError(
                f"The worker running macro {p.plugin_id}/{p.macro_id} stopped midway; what "
                "it did before may be partial. Run the macro again.",
                code="plugin_interrupted",
            )
        try:
            resolved = component_get(plugin_id=p.plugin_id, component_id=p.macro_id, type="macro")
        except NotFound as exc:
            raise NotFound(f"{exc.message} It cannot run.", code=exc.code) from None
        component = resolved.component
        try:
            values = params_validate(component.get("params"), p.params)
        except ValidationFailed as exc:  # the plugin changed since the run was asked for
            problems = "; ".join(f"{name}: {m[0]}" for name, m in exc.fields.items())
            raise ValidationFailed(
                f"The parameters do not fit version {resolved.version.version} of "
                f"{resolved.plugin.plugin_id}/{p.macro_id}: {problems}.",
                code="plugin_params_invalid",
            ) from None
        limits = Limits.from_settings()
        started = time.monotonic()
        _key_id, secret = credential.credential_issue(
            principal=ctx.principal, job_id=ctx.job_id, lifetime_s=limits.timeout
        )
        spec = RunSpec(
            kind="macro",
            plugin_dir=resolved.path(),
            entry=component["entry"],
            label=f"{resolved.plugin.plugin_id}/{component['id']}",
            params=values,
            wants_result=component.get("result") == "csv",
            api_key=secret,
            base_url=settings.PLUGINS_API_BASE_URL,
            job_id=ctx.job_id,
            limits=limits,
        )
        logs: list[str] = []
        percent, saved_at = 0, 0.0
        try:
            with PluginProcess(spec) as proc:
                stage = ""
                for message in proc.messages(idle_every=CHECK_EVERY):
                    kind = message.get("type")
                    if kind == "log":
                        logs = [*logs[-(LOG_LINES - 1) :], str(message.get("message", ""))]
                    now_percent = percent
                    if kind == "progress":
                        now_percent = _percent(message, percent)
                        stage = str(message.get("message") or "")[:64] or stage
                    since = time.monotonic() - saved_at
                    moved = now_percent > percent and since >= PROGRESS_EVERY
                    if not moved and since < CHECK_EVERY:
                        continue
                    yield Chunk(
                        payload=None,
                        after={"percent": now_percent},
                        size=now_percent - percent,
                        stage=stage,
                    )
                    percent, saved_at = now_percent, time.monotonic()
                file_name = None
                if proc.result_file is not None:
                    file_name = store_result(proc.result_file, result_name(ctx.job_id))
                elif spec.wants_result:
                    raise PluginFailed(
                        f"{spec.label}: finished without writing its result file "
                        "(ctx.result_file()).",
                        code="plugin_no_result_file",
                    )
                result = proc.result
        finally:
            credential.credential_revoke(job_id=ctx.job_id)
        ctx.state.update(
            version=resolved.version.version,
            result=result,
            file=file_name,
            log=logs,
            seconds=round(time.monotonic() - started, 3),
        )
        yield Chunk(payload=None, after={"percent": 100, "done": True}, size=100 - percent)

    def apply(self, ctx: JobContext[MacroJobParams], chunk: Chunk) -> list:
        return []  # the macro did its work through the API; a chunk only saves progress

    def cleanup(self, job_id: str) -> None:
        credential.credential_revoke(job_id=job_id)

    def result(self, ctx: JobContext[MacroJobParams]) -> MacroRunResult:
        state = ctx.state
        if state.get("file"):
            ctx.set_result_file(state["file"])
        return MacroRunResult(
            plugin_id=ctx.params.plugin_id,
            macro_id=ctx.params.macro_id,
            version=state.get("version", ""),
            result=state.get("result") or {},
            file=Path(state["file"]).name if state.get("file") else None,
            log=state.get("log") or [],
            seconds=state.get("seconds", 0.0),
        )


def _percent(message: dict[str, Any], current: int) -> int:
    try:
        done, total = float(message.get("done") or 0), message.get("total")
        if not total:
            return current
        return max(current, min(99, int(100 * done / float(total))))
    except (TypeError, ValueError):
        return current


def running_jobs_of(plugin_id: str):
    """A plugin's unfinished jobs (usages): its macro runs, and imports through its
    importers (``data_rows_import`` with ``importer`` = ``<plugin id>/...``)."""
    unfinished = Job.objects.filter(state__in=[JobState.QUEUED, JobState.RUNNING])
    return unfinished.filter(
        Q(kind=MacroRun.name, params__plugin_id=plugin_id)
        | Q(kind=DataRowsImport.name, params__importer__startswith=f"{plugin_id}/")
    ).order_by("created_at", "id")
