"""The worker side of the plugin sandbox: start a plugin's entry file in a child process,
stream its JSON-lines messages, stop it when its time is up, and turn every way it can fail
into one clear ``PluginFailed``.

The child (``runner.py``, no Django) is forked by the worker's zygote, or exec'd as
``python -I -B runner.py`` without one (``spawn.py``); either way it gets:

- ``python -I -B``: no ``PYTHON*`` variables, no user site, no script directory on the path,
  no bytecode written;
- a scrubbed environment: ``PATH``, a temporary ``HOME``, ``TMPDIR``, ``LANG`` and the SDK's
  ``ADMINAPP_BASE_URL`` / ``ADMINAPP_API_KEY`` (the job's credential, sent with the spec over
  a pipe) — nothing of the worker's own (no ``SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL``,
  encryption keys, ``DJANGO_SETTINGS_MODULE``);
- a fresh temporary directory as its working directory (removed afterwards);
- its own session and process group, killed whole when the wall-clock limit passes or the
  job ends;
- ``resource`` limits and Landlock (set by the runner on itself, see ``runner.py``).

    with PluginProcess(spec) as proc:
        for message in proc.messages():   # raises PluginFailed when the plugin fails
            ...
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from adminapp.core.errors import ApplicationError
from adminapp.plugins.runtime import spawn

logger = logging.getLogger(__name__)

MAX_LINE = 4 * 1024 * 1024  # one protocol message (a row) at most
READ_SIZE = 1 << 18  # an importer's rows come ~200 kB to a line (``runner.Protocol``)
STDERR_TAIL = 16 * 1024
MESSAGE_TAIL_LINES = 12


class PluginFailed(ApplicationError):
    """The plugin's code failed; ``code`` says how (timeout, memory, cpu, error, ...)."""

    code = "plugin_failed"


@dataclass(frozen=True)
class Limits:
    timeout: float = 600.0  # wall-clock seconds
    memory_mb: int = 1024  # address space
    cpu_seconds: int = 300
    file_size_mb: int = 1024  # the largest file the plugin may write
    open_files: int = 64

    @classmethod
    def from_settings(cls, **overrides: Any) -> Limits:
        values = {
            "timeout": settings.PLUGINS_TIMEOUT,
            "memory_mb": settings.PLUGINS_MEMORY_MB,
            "cpu_seconds": settings.PLUGINS_CPU_SECONDS,
            "file_size_mb": settings.PLUGINS_FILE_SIZE_MB,
            "open_files": settings.PLUGINS_OPEN_FILES,
        }
        values.update(overrides)
        return cls(**values)


@dataclass
class RunSpec:
    kind: str  # "macro" or "importer"
    plugin_dir: Path
    entry: str  # relative to plugin_dir (validated by the manifest: inside it, a .py file)
    label: str  # the plugin and component, for messages: "coco-importer/coco"
    params: dict[str, Any] = field(default_factory=dict)
    input_path: Path | None = None  # an importer's file (copied into the workdir)
    wants_result: bool = False  # a macro that writes a result file
    api_key: str = ""
    base_url: str = ""
    job_id: str = ""
    limits: Limits = field(default_factory=Limits.from_settings)


def plugin_env(*, home: Path, workdir: Path, base_url: str, api_key: str) -> dict[str, str]:
    """Everything the child's environment holds: built from nothing, never from os.environ."""
    return {
        **spawn.base_env(),
        "HOME": str(home),
        "TMPDIR": str(workdir),
        "ADMINAPP_BASE_URL": base_url,
        "ADMINAPP_API_KEY": api_key,
    }


def _port(base_url: str) -> int:
    parts = urlsplit(base_url)
    return parts.port or (443 if parts.scheme == "https" else 80)


class PluginProcess:
    """One run of one plugin component. A context manager: leaving it kills whatever of the
    process group is left and removes the working directory."""

    def __init__(self, spec: RunSpec):
        self.spec = spec
        self.workdir = Path(tempfile.mkdtemp(prefix="adminapp-plugin-", dir=settings.PLUGINS_TMP))
        self.result_path = self.workdir / "result.out" if spec.wants_result else None
        self.proc: spawn.Child | None = None
        self.started_by = ""  # "zygote" (forked by the worker's zygote) or "exec"
        self.stderr_tail: deque[bytes] = deque()
        self._stderr_size = 0
        self.confinement: dict[str, Any] = {}
        self.result: dict[str, Any] = {}
        self.started = self.deadline = 0.0
        self._killed_for_time = False

    # --- lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> PluginProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        spec, workdir = self.spec, self.workdir
        home = workdir / "home"
        home.mkdir()
        entry = (spec.plugin_dir / spec.entry).resolve()
        plugin_dir = spec.plugin_dir.resolve()
        if not entry.is_relative_to(plugin_dir) or not entry.is_file():
            raise PluginFailed(
                f"{spec.label}: the entry file {spec.entry!r} is not a file of the plugin.",
                code="plugin_entry_missing",
            )
        result_file = self.result_path
        run = {
            "kind": spec.kind,
            "entry": str(entry),
            "plugin_dir": str(plugin_dir),
            "workdir": str(workdir),
            "params": spec.params,
            "input_path": str(spec.input_path) if spec.input_path else None,
            "result_path": str(result_file) if result_file else None,
            "job_id": spec.job_id,
            "env": plugin_env(
                home=home, workdir=workdir, base_url=spec.base_url, api_key=spec.api_key
            ),
            "sdk_root": str(spawn.SDK_ROOT),
            "ports": [_port(spec.base_url)] if spec.base_url else [],
            "limits": {k: v for k, v in asdict(spec.limits).items() if k != "timeout"},
            "require_confinement": settings.PLUGINS_REQUIRE_CONFINEMENT,
            "http_timeout": min(30.0, spec.limits.timeout),
        }
        self.started = time.monotonic()
        self.deadline = self.started + spec.limits.timeout
        self.proc, self.started_by = spawn.start(
            json.dumps(run).encode(), cwd=workdir, zygote=settings.PLUGINS_ZYGOTE
        )

    @property
    def result_file(self) -> Path | None:
        path = self.result_path
        return path if path is not None and path.exists() else None

    def kill(self) -> None:
        proc = self.proc
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the group: whatever the plugin started too
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGKILL)  # and the child, were it not its group's leader yet
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not refused
            logger.error("Plugin process %s did not die", proc.pid)

    def close(self) -> None:
        self.kill()
        if self.proc is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()
            if isinstance(self.proc, spawn.ForkedChild):
                self.proc.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- reading ------------------------------------------------------------------------------
    def _keep_stderr(self, data: bytes) -> None:
        self.stderr_tail.append(data)
        self._stderr_size += len(data)
        while self._stderr_size > STDERR_TAIL and len(self.stderr_tail) > 1:
            self._stderr_size -= len(self.stderr_tail.popleft())

    def stderr_text(self) -> str:
        text = b"".join(self.stderr_tail).decode("utf-8", "replace")
        return "\n".join(text.strip().splitlines()[-MESSAGE_TAIL_LINES:])

    def messages(self, *, idle_every: float | None = None) -> Iterator[dict[str, Any]]:
        """The plugin's messages (``row``, ``progress``, ``log``) as they come; returns when
        it finished successfully (``self.result`` holds its ``done`` result), raises
        ``PluginFailed`` otherwise. The caller may stop early: ``close()`` kills the rest.
        With ``idle_every``, an ``{"type": "idle"}`` comes after that many seconds without a
        message, so the caller gets control back (to heartbeat, check for an abort)."""
        if self.proc is None:
            self.start()
        proc = self.proc
        assert proc is not None and proc.stdout is not None and proc.stderr is not None
        selector = selectors.DefaultSelector()
        out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
        os.set_blocking(out_fd, False)
        os.set_blocking(err_fd, False)
        selector.register(out_fd, selectors.EVENT_READ)
        selector.register(err_fd, selectors.EVENT_READ)
        pending = b""
        final: dict[str, Any] | None = None
        open_fds = 2
        last_message = time.monotonic()
        try:
            while open_fds:
                now = time.monotonic()
                remaining = self.deadline - now
                if remaining <= 0:
                    self._killed_for_time = True
                    self.kill()
                    break
                if idle_every is not None and now - last_message >= idle_every:
                    last_message = now
                    yield {"type": "idle"}
                for key, _ in selector.select(timeout=min(remaining, 1.0)):
                    try:
                        data = os.read(key.fd, READ_SIZE)
                    except BlockingIOError:
                        continue
                    if not data:
                        selector.unregister(key.fd)
                        open_fds -= 1
                        continue
                    if key.fd == err_fd:
                        self._keep_stderr(data)
                        continue
                    pending += data
                    if len(pending) > MAX_LINE and b"\n" not in pending:
                        self.kill()
                        raise PluginFailed(
                            f"{self.spec.label}: sent a message longer than "
                            f"{MAX_LINE // (1024 * 1024)} MB; stopped.",
                            code="plugin_protocol_error",
                        )
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        if not line.strip():
                            continue
                        message = self._parse(line)
                        kind = message.get("type")
                        if kind == "hello":
                            self.confinement = message.get("confinement") or {}
                        elif kind in ("done", "error"):
                            final = message
                        else:
                            last_message = time.monotonic()
                            yield message
        finally:
            selector.close()
        if self._killed_for_time:
            raise PluginFailed(
                f"{self.spec.label}: did not finish within {self.spec.limits.timeout:g} s "
                "and was stopped.",
                code="plugin_timeout",
            )
        try:
            returncode = proc.wait(timeout=max(1.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
            raise PluginFailed(
                f"{self.spec.label}: did not exit within {self.spec.limits.timeout:g} s "
                "and was stopped.",
                code="plugin_timeout",
            ) from None
        self.kill()  # whatever it left running in its group
        # None: its status was lost with the zygote that started it (it died meanwhile); the
        # plugin's own last word decides then.
        if returncode in (0, None) and final is not None and final.get("type") == "done":
            result = final.get("result")
            self.result = result if isinstance(result, dict) else {}
            return
        raise self._failure(returncode, final)

    def _parse(self, line: bytes) -> dict[str, Any]:
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            self.kill()
            raise PluginFailed(
                f"{self.spec.label}: wrote something that is not a protocol message to the "
                f"worker: {line[:200].decode('utf-8', 'replace')!r}.",
                code="plugin_protocol_error",
            )
        return message

    def _failure(self, returncode: int | None, final: dict[str, Any] | None) -> PluginFailed:
        label, limits = self.spec.label, self.spec.limits
        error = (final or {}).get("error", "")
        text = (final or {}).get("message", "")
        tail = self.stderr_text()
        if error == "MemoryError" or "MemoryError" in tail:
            return PluginFailed(
                f"{label}: ran out of memory (the limit is {limits.memory_mb} MB) and was stopped.",
                code="plugin_memory_limit",
            )
        if returncode in (-signal.SIGXCPU, -signal.SIGKILL) and final is None:
            if returncode == -signal.SIGXCPU:
                return PluginFailed(
                    f"{label}: used more than {limits.cpu_seconds} s of CPU and was stopped.",
                    code="plugin_cpu_limit",
                )
            return PluginFailed(
                f"{label}: was killed (signal {-returncode}), likely for using too much memory "
                f"or CPU (limits: {limits.memory_mb} MB, {limits.cpu_seconds} s).",
                code="plugin_killed",
            )
        if error == "ConfinementUnavailable":
            return PluginFailed(
                f"{label}: cannot run confined: {text} Plugins need Landlock (Linux ≥ 5.13); "
                "set PLUGINS_REQUIRE_CONFINEMENT=false to run them without it.",
                code="plugin_confinement_unavailable",
            )
        if error:
            detail = f"{error}: {text}" if text else error
            return PluginFailed(
                f"{label}: failed with {detail}"[:1500]
                + (f"\n--- the plugin's last output ---\n{tail}" if tail else ""),
                code="plugin_error",
            )
        if returncode is None:
            reason = "exited before finishing"
        elif returncode < 0:
            reason = f"was killed by signal {signal.Signals(-returncode).name}"
        else:
            reason = f"exited with status {returncode} before finishing"
        return PluginFailed(
            f"{label}: {reason}." + (f"\n--- the plugin's last output ---\n{tail}" if tail else ""),
            code="plugin_error",
        )
