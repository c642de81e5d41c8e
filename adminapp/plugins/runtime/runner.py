"""The child side of the plugin sandbox: the one program a plugin's code runs in.

Each run is a process of its own, started in one of two ways (``spawn.py``), the same program
either way:

- **forked by the worker's zygote** (``zygote.py``): a clean process started like the
  exec'd child below, which has imported this module and the SDK once and forks one child per
  run; the child makes itself a new session, reads its spec and calls ``child`` — before any
  of the plugin's code is loaded;
- **exec'd** as ``python -I -B runner.py`` (``main``) when no zygote can be had.

Either way the process starts with an environment built from nothing (``PATH``, ``LANG``),
gets its **spec** — the job's parameters, credential, paths and limits — as JSON on standard
input (a pipe from the worker, never the environment or a file), then sets its working
directory and its environment from it. It imports **no Django** and nothing of the portal but
the SDK (``adminapp.client``, which imports no Django either), so a plugin reaches the portal
only over HTTP with the job's own short-lived credential.

Before the plugin's code is loaded, this program confines itself (limits a child cannot
raise again once lowered):

- ``resource`` limits: address space, CPU seconds, size of a file written, open files, no
  core dumps;
- Landlock (Linux ≥ 5.13; ``landlock`` below): the filesystem shrinks to the Python
  installation, the system's libraries and TLS certificates, the plugin's own directory
  (read-only) and the job's temporary directory (read-write); TCP connections only to the
  portal's API port and no listening sockets (Landlock ABI ≥ 4); no signals to processes
  outside the sandbox and no abstract unix sockets (ABI ≥ 6). The portal's database file,
  media, secrets files and ``/proc/<worker>/environ`` are out of reach.

The protocol: standard output carries JSON lines to the worker, one object each:

    {"type": "hello", "confinement": {...}}                 first, once confined
    {"type": "rows", "rows": [{...}, ...]}                  an importer's data rows, in order
    {"type": "row", "row": {...}}                           one data row (see ``Protocol``)
    {"type": "progress", "done": 3, "total": 10, "message": "..."}
    {"type": "log", "message": "..."}
    {"type": "done", "result": {...}}                       last, on success
    {"type": "error", "error": "ValueError", "message": "..."}  last, on failure (exit 1)

The plugin's own ``print`` goes to standard error (file descriptor 1 is moved), which the
worker keeps the tail of for the error message. See ``docs/plugins-runtime.md``.

The entry module (the manifest component's ``entry``) defines:

- a **macro**: ``run(ctx)`` — may return a JSON object, the job's result summary;
- an **importer**: ``parse(ctx, path)`` — yields row dicts (``row_data`` required;
  ``external_id``, ``global_key``, ``metadata`` optional) read from the file at ``path``.

``ctx`` (``Context`` below) has ``params``, ``client`` (macros: an ``AdminClient`` logged in with
the job's credential), ``progress(done, total=None, message="")``, ``log(message)``,
``result_file(name="result.csv")`` (open for writing; the job's downloadable file) and
``workdir`` (a writable temporary directory).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import functools
import importlib.util
import json
import os
import resource
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

PROTOCOL_VERSION = 1


# --- limits ---------------------------------------------------------------------------------
def set_limits(limits: dict[str, int]) -> None:
    """Lower soft and hard limits together: the plugin cannot raise them again."""
    mb = 1024 * 1024

    def lower(which: int, value: int) -> None:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    lower(resource.RLIMIT_AS, limits["memory_mb"] * mb)
    # SIGXCPU at the soft limit; the hard one (a second later) is SIGKILL.
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    cpu = limits["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    lower(resource.RLIMIT_FSIZE, limits["file_size_mb"] * mb)
    lower(resource.RLIMIT_NOFILE, limits["open_files"])
    lower(resource.RLIMIT_CORE, 0)


# --- Landlock ---------------------------------------------------------------------------------
# The kernel's ABI (include/uapi/linux/landlock.h), through ctypes: the syscalls are the
# same numbers on every architecture (the generic syscall table).
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
PR_SET_NO_NEW_PRIVS = 38
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH, RULE_NET_PORT = 1, 2
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_TRUNCATE, FS_IOCTL_DEV = 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
FILE_ONLY = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPort(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class ConfinementUnavailable(Exception):
    pass


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: EXECUTE … MAKE_SYM
    if abi >= 2:
        rights |= 1 << 13  # REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library (found once: ``find_library`` runs ``ldconfig``; a zygote's children
    inherit the handle)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def landlock(*, read: Iterable[str], write: Iterable[str], ports: Iterable[int]) -> dict:
    """Confine this process (and whatever it starts) to reading ``read``, reading and writing
    ``write`` and connecting to TCP ``ports``. Returns what was enforced."""
    libc = _libc()
    abi = libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), CREATE_RULESET_VERSION)
    if abi < 1:
        raise ConfinementUnavailable(
            f"Landlock is not available on this kernel ({os.strerror(ctypes.get_errno())})."
        )
    handled = _fs_rights(abi)
    attr = _RulesetAttr(handled_access_fs=handled)
    size = 8
    if abi >= 4:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
        size = 24
    ruleset = libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        raise ConfinementUnavailable(
            f"Landlock refused the ruleset ({os.strerror(ctypes.get_errno())})."
        )
    read_rights = handled & (FS_EXECUTE | FS_READ_FILE | FS_READ_DIR)
    try:
        for paths, rights in ((read, read_rights), (write, handled)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue  # absent here: nothing to allow
                try:
                    allowed = rights if os.path.isdir(path) else rights & FILE_ONLY & handled
                    rule = _PathBeneath(allowed_access=allowed, parent_fd=fd)
                    if libc.syscall(
                        SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), 0
                    ):
                        raise ConfinementUnavailable(
                            f"Landlock refused a rule for {path} "
                            f"({os.strerror(ctypes.get_errno())})."
                        )
                finally:
                    os.close(fd)
        if abi >= 4:
            for port in ports:
                rule = _NetPort(allowed_access=NET_CONNECT_TCP, port=port)
                if libc.syscall(SYS_ADD_RULE, ruleset, RULE_NET_PORT, ctypes.byref(rule), 0):
                    raise ConfinementUnavailable(
                        f"Landlock refused the port rule ({os.strerror(ctypes.get_errno())})."
                    )
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0):
            raise ConfinementUnavailable("prctl(PR_SET_NO_NEW_PRIVS) failed.")
        if libc.syscall(SYS_RESTRICT_SELF, ruleset, 0):
            raise ConfinementUnavailable(
                f"landlock_restrict_self failed ({os.strerror(ctypes.get_errno())})."
            )
    finally:
        os.close(ruleset)
    return {"landlock_abi": abi, "network": abi >= 4, "signals": abi >= 6}


SYSTEM_READ = (
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/bin",
    "/etc/ssl",
    "/etc/pki",
    "/etc/ca-certificates",
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/gai.conf",
    "/etc/localtime",
    "/etc/mime.types",
    "/dev/urandom",
    "/dev/random",
)


def python_paths() -> list[str]:
    """The interpreter's own files: the standard library and the environment's packages."""
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    found.update(p for p in sys.path if p and os.path.isdir(p) and "site-packages" in p)
    return sorted(os.path.realpath(p) for p in found)


# --- the context handed to plugin code ---------------------------------------------------------
# ``json.dumps(message, separators=(",", ":"), default=str)``, its encoder made once.
_encode = json.JSONEncoder(separators=(",", ":"), default=str).encode
ROWS_PER_MESSAGE = 1000
ROWS_MESSAGE_MAX = 1024 * 1024  # characters; past it, the rows go one message each


class Protocol:
    """The JSON lines to the worker. An importer's rows are sent ``ROWS_PER_MESSAGE`` to a
    message (one JSON text to encode, one line for the worker to read); any other message
    sends the rows before it first, so the worker reads everything in the order it was
    made. Rows that cannot go in one message go one each, as ``row`` messages: the one that
    cannot be encoded (not JSON) fails the run after the rows before it were sent, and only
    a row over the worker's line limit (4 MB) makes a line that long."""

    def __init__(self, stream):
        self._stream = stream
        self._rows: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        self.send_rows()
        self._stream.write(_encode(message) + "\n")

    def row(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= ROWS_PER_MESSAGE:
            self.send_rows()

    def send_rows(self) -> None:
        """The rows not sent yet; raises as encoding the first one that is not JSON does."""
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        try:
            text = _encode({"type": "rows", "rows": rows})
        except Exception:  # noqa: BLE001 - one of them is not JSON: found one by one below
            text = None
        if text is None or (len(text) > ROWS_MESSAGE_MAX and len(rows) > 1):
            for row in rows:
                self._stream.write(_encode({"type": "row", "row": row}) + "\n")
            return
        self._stream.write(text + "\n")

    def flush(self) -> None:
        self.send_rows()
        self._stream.flush()


class Context:
    """What a plugin's ``run(ctx)`` / ``parse(ctx, path)`` gets."""

    def __init__(self, *, spec: dict[str, Any], protocol: Protocol, client: Any):
        self.params: dict[str, Any] = spec.get("params") or {}
        self.client = client
        self.workdir = Path(spec["workdir"])
        self.job_id: str = spec.get("job_id", "")
        self._protocol = protocol
        self._result = spec.get("result_path") or ""
        self._opened: list[Any] = []

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        self._protocol.send(
            {"type": "progress", "done": int(done), "total": total, "message": str(message)}
        )
        self._protocol.flush()

    def log(self, message: str) -> None:
        self._protocol.send({"type": "log", "message": str(message)[:2000]})

    def result_file(self, mode: str = "w"):
        """The job's result file, open for writing (text, UTF-8, ``newline=""`` for csv)."""
        if not self._result:
            raise RuntimeError("This component declares no result file in its manifest.")
        if mode not in ("w", "wb"):
            raise ValueError("result_file opens for writing only: mode 'w' or 'wb'.")
        if mode == "wb":
            fh = open(self._result, "wb")  # noqa: SIM115 - the plugin closes it
        else:
            fh = open(self._result, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._opened.append(fh)
        return fh

    def close_files(self) -> None:
        """Close what ``result_file`` opened (the process exits without tearing objects down:
        a file the plugin left open is flushed here, a write error fails the run)."""
        for fh in self._opened:
            fh.close()


def _load(entry: str, plugin_dir: str):
    sys.path.insert(0, plugin_dir)  # the plugin may import its own modules
    spec = importlib.util.spec_from_file_location("plugin_entry", entry)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {entry}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["plugin_entry"] = module
    spec.loader.exec_module(module)
    return module


def _run(spec: dict[str, Any], protocol: Protocol, client: Any) -> Any:
    module = _load(spec["entry"], spec["plugin_dir"])
    ctx = Context(spec=spec, protocol=protocol, client=client)
    if spec["kind"] == "macro":
        run = getattr(module, "run", None)
        if not callable(run):
            raise TypeError("A macro's entry module must define run(ctx).")
        result = run(ctx)
        ctx.close_files()
        return result if isinstance(result, dict) else {}
    parse = getattr(module, "parse", None)
    if not callable(parse):
        raise TypeError("An importer's entry module must define parse(ctx, path).")
    rows = 0
    try:
        for row in parse(ctx, spec["input_path"]):
            if not isinstance(row, dict):
                raise TypeError(
                    f"parse() yielded a {type(row).__name__}, not a dict (row {rows + 1})."
                )
            protocol.row(row)
            rows += 1
    finally:
        # The rows read before a failure are sent before it is; a row among them that is
        # not JSON is the failure then (it came first).
        protocol.send_rows()
    ctx.close_files()
    return {"rows": rows}


def preload_sdk(sdk_root: str) -> Any:
    """Import the SDK (``adminapp.client`` from ``sdk_root``, then off the path again) and what
    it loads on its first request; returns ``AdminClient``. Done before the filesystem closes
    — by a macro's child, or once by the zygote for all its children."""
    sys.path.insert(0, sdk_root)
    try:
        import encodings.idna  # noqa: F401
        import http.client  # noqa: F401

        from adminapp.client import AdminClient
    finally:
        sys.path.remove(sdk_root)
    return AdminClient


def read_spec(fd: int = 0) -> dict[str, Any]:
    """The run's spec: JSON the worker writes on ``fd`` (standard input, a pipe) and closes.
    ``fd`` is ``/dev/null`` afterwards."""
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, fd)
    os.close(null)
    spec = json.loads(b"".join(chunks))
    if not isinstance(spec, dict):
        raise ValueError("the spec is not a JSON object")
    return spec


def child(spec: dict[str, Any]) -> int:
    """One run, in the process of its own it was started in (exec'd or forked by the
    zygote): its working directory and its environment — built from nothing, the
    credential's variables included — from the spec, then ``run``."""
    os.chdir(spec["workdir"])
    os.environ.clear()
    os.environ.update(spec["env"])
    if "tempfile" in sys.modules:  # a cached temporary directory would be the zygote's
        sys.modules["tempfile"].tempdir = None
    return run(spec)


def main(argv: list[str]) -> int:
    """``python -I -B runner.py``: the spec on standard input."""
    return child(read_spec(0))


def exit_now(code: int) -> NoReturn:
    """Leave as the interpreter would — the plugin's threads joined (and thread pools shut
    down), its ``atexit`` functions run, the output flushed — but without tearing down every
    module object by object, which costs 0.1-0.4 s with the SDK loaded (and, in a zygote's
    child, writes to every page shared with the zygote)."""
    try:
        threading = sys.modules.get("threading")
        if threading is not None:
            threading._shutdown()  # what interpreter shutdown calls first
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except BaseException:  # noqa: BLE001 - leaving anyway; say why it was not clean
        with contextlib.suppress(BaseException):
            traceback.print_exc()
            sys.stderr.flush()
        code = code or 1
    os._exit(code)


def run(spec: dict[str, Any]) -> int:
    """Limits, the SDK's client (macros), Landlock, ``hello``, then the plugin's code; the
    exit status."""
    set_limits(spec["limits"])
    # The protocol keeps the real stdout; the plugin's prints (fd 1) go to stderr.
    protocol = Protocol(os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1 << 16))
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        client = None
        if spec["kind"] == "macro":  # an importer gets no client: it only reads its file
            # Loaded before the filesystem closes (a zygote's child has it already).
            admin_client = preload_sdk(spec["sdk_root"])
            client = admin_client(max_retries=1, timeout=spec.get("http_timeout", 30))
        confinement: dict[str, Any] = {"landlock_abi": 0}
        try:
            confinement = landlock(
                read=[
                    *python_paths(),
                    *SYSTEM_READ,
                    spec["plugin_dir"],
                    *([spec["input_path"]] if spec.get("input_path") else []),
                ],
                write=[spec["workdir"], "/dev/null"],
                ports=spec.get("ports", []),
            )
        except ConfinementUnavailable as exc:
            if spec.get("require_confinement", True):
                protocol.send(
                    {"type": "error", "error": "ConfinementUnavailable", "message": str(exc)}
                )
                protocol.flush()
                return 3
            confinement["unavailable"] = str(exc)
        protocol.send({"type": "hello", "protocol": PROTOCOL_VERSION, "confinement": confinement})
        protocol.flush()
        result = _run(spec, protocol, client)
        protocol.send({"type": "done", "result": result})
        protocol.flush()
        return 0
    except MemoryError:
        # Free what can be freed before saying so: the message itself needs memory.
        sys.last_value = None
        protocol.send({"type": "error", "error": "MemoryError", "message": "out of memory"})
        protocol.flush()
        return 1
    except BaseException as exc:  # noqa: BLE001 - the plugin's failure, reported whole
        traceback.print_exc()
        message = str(exc)[:2000]
        protocol.send({"type": "error", "error": type(exc).__name__, "message": message})
        protocol.flush()
        return 1


if __name__ == "__main__":
    try:
        status = main(sys.argv)
    except BaseException:  # noqa: BLE001 - no run (no spec): said on stderr
        traceback.print_exc()
        status = 1
    exit_now(status)
