"""How the worker starts the process a plugin's code runs in: forked by this worker
process's **zygote** (``zygote.py``: a clean process that has imported the SDK and the runner
once), or — when no zygote can be had — exec'd as ``python -I -B runner.py``. The same
program either way, confined the same way (``runner.py``); the job's spec (parameters,
credential, limits) goes to the child over a pipe, never through the zygote.

- One zygote per worker process, started on first use (``python -I -B zygote.py``, an
  environment built from nothing, never forked from the worker); a worker process forked
  from this one starts its own.
- A zygote that died, was killed or does not answer is replaced (the next run starts a
  fresh one); a run whose fork fails is started again by a fresh zygote, then by exec: a run
  never fails because of the zygote.
- The zygote exits when its worker does, however the worker ends (its end of the control
  socket closes), and kills what it started on the way: no orphans. A worker exiting
  normally also stops it (``atexit``).
- Two runs at once from one worker (threads) each get a child: each request is one message
  on the control socket, each answer comes on the run's own socket.

``start(spec)`` returns a child with what ``subprocess.Popen`` has and the sandbox uses:
``pid`` (its process group too), ``stdout``, ``stderr``, ``wait(timeout)``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Protocol

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "runner.py"
ZYGOTE = HERE / "zygote.py"
SDK_ROOT = HERE.parents[2]  # holds adminapp/ (only adminapp.client is used)
# A fresh zygote imports the SDK before it forks (~0.3 s idle, seconds on a loaded machine);
# one that has not answered by then is replaced.
FORK_TIMEOUT = 20.0
# How long the exit status may follow the child's exit (the zygote reaps at once).
STATUS_GRACE = 5.0
STOP_TIMEOUT = 5.0


def base_env() -> dict[str, str]:
    """The environment a zygote or an exec'd runner starts with: built from nothing. The run's
    own (``HOME``, ``TMPDIR``, the SDK's variables) comes with its spec."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


class Child(Protocol):
    pid: int
    stdout: IO[bytes] | None
    stderr: IO[bytes] | None

    def wait(self, timeout: float | None = None) -> int | None: ...

    def send_signal(self, sig: int) -> None: ...


class ZygoteUnavailable(Exception):
    pass


def _ready(fds: list, timeout: float | None, events: int = select.POLLIN) -> list:
    """Those of ``fds`` (file descriptors or objects with ``fileno()``) ready within
    ``timeout`` seconds (poll: a worker's descriptors may be numbered past select's 1024)."""
    poller = select.poll()
    by_fd = {}
    for item in fds:
        fd = item if isinstance(item, int) else item.fileno()
        by_fd[fd] = item
        poller.register(fd, events)
    wait_ms = None if timeout is None else max(0, int(timeout * 1000))
    return [by_fd[fd] for fd, _ in poller.poll(wait_ms)]


def _write_all(fd: int, data: bytes, deadline: float) -> None:
    """Write ``data`` to a pipe the child reads from, within ``deadline``; a child that is
    gone (or never reads) gets what it got — the worker learns how it ended from its exit."""
    view = memoryview(data)
    os.set_blocking(fd, False)
    try:
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if not _ready([fd], remaining, select.POLLOUT):
                continue
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                return
    finally:
        os.close(fd)


class ForkedChild:
    """A child the zygote forked. Its exit status comes from the zygote (its parent) on the
    run's socket; if the zygote dies first, the pidfd still says when it exited (its status
    is then unknown: ``wait`` returns None)."""

    def __init__(self, *, pid: int, pidfd: int, run: socket.socket, stdout: int, stderr: int):
        self.pid = pid
        self.returncode: int | None = None
        self.cpu_seconds: float | None = None  # the child's own CPU time, once it exited
        self.stdout: IO[bytes] | None = open(stdout, "rb", buffering=0)  # noqa: SIM115
        self.stderr: IO[bytes] | None = open(stderr, "rb", buffering=0)  # noqa: SIM115
        self._pidfd: int | None = pidfd
        self._run: socket.socket | None = run
        self._done = False

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        exited_at = None
        while not self._done:
            watch = [fd for fd in (self._run, self._pidfd) if fd is not None]
            if exited_at is not None:
                watch = [self._run] if self._run is not None else []
                limit = exited_at + STATUS_GRACE
                deadline = limit if deadline is None else min(deadline, limit)
            if not watch:  # the zygote is gone and the child has exited: status unknown
                self._finish(None)
                break
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                if exited_at is not None:
                    self._finish(None)
                    break
                raise subprocess.TimeoutExpired(f"plugin child {self.pid}", timeout or 0)
            ready = _ready(watch, remaining)
            if self._run is not None and self._run in ready:
                data = self._run.recv(256)
                if data:
                    answer = json.loads(data)
                    self.cpu_seconds = answer.get("cpu")
                    self._finish(answer["status"])
                    break
                self._run.close()  # the zygote died: the pidfd tells the exit
                self._run = None
            if self._pidfd is not None and self._pidfd in ready:
                exited_at = time.monotonic()
        return self.returncode

    def send_signal(self, sig: int) -> None:
        """Signal the child itself (through its pidfd: never another process that got its pid
        later); nothing once it has exited and been reaped."""
        if self._pidfd is not None and not self._done:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, sig)

    def _finish(self, returncode: int | None) -> None:
        self.returncode, self._done = returncode, True
        self.close()

    def close(self) -> None:
        if self._run is not None:
            self._run.close()
            self._run = None
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None


class Zygote:
    """This worker process's zygote: started at once, forks on request."""

    def __init__(self) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(  # noqa: S603 - our program, no shell
                [sys.executable, "-I", "-B", str(ZYGOTE), str(theirs.fileno()), str(SDK_ROOT)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                cwd="/",
                env=base_env(),
                close_fds=True,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,  # a terminal's signals to the worker are not its
            )
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        self.control = mine
        self.owner = os.getpid()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fork(self, spec: bytes, *, timeout: float | None = None) -> ForkedChild:
        """A child of the zygote running ``spec``; ``ZygoteUnavailable`` if the zygote did not
        fork one (nothing of the run started then: the spec is sent only to a child)."""
        timeout = FORK_TIMEOUT if timeout is None else timeout
        deadline = time.monotonic() + timeout
        run, run_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        spec_r, spec_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            try:
                socket.send_fds(self.control, [b"run"], [run_theirs.fileno(), spec_r, out_w, err_w])
            except OSError as exc:
                raise ZygoteUnavailable(f"the zygote took no request ({exc})") from None
            finally:
                run_theirs.close()
                for fd in (spec_r, out_w, err_w):
                    os.close(fd)
            if not _ready([run], deadline - time.monotonic()):
                raise ZygoteUnavailable(f"the zygote did not fork within {timeout:g} s")
            try:
                message, fds, _flags, _addr = socket.recv_fds(run, 256, 1)
            except OSError as exc:
                raise ZygoteUnavailable(f"the zygote's answer was lost ({exc})") from None
            if not message or len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                raise ZygoteUnavailable("the zygote stopped before it forked")
        except BaseException:
            run.close()
            for fd in (spec_w, out_r, err_r):
                os.close(fd)
            raise
        child = ForkedChild(
            pid=json.loads(message)["pid"], pidfd=fds[0], run=run, stdout=out_r, stderr=err_r
        )
        _write_all(spec_w, spec, deadline=time.monotonic() + timeout)
        return child

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Close the control socket (the zygote exits) and reap it; killed if it lingers."""
        self.control.close()
        if self.owner != os.getpid():
            return  # another process's
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_lock = threading.Lock()
_zygote: Zygote | None = None


def current() -> Zygote:
    """This worker process's zygote, started (again) if it has none alive."""
    global _zygote
    with _lock:
        if _zygote is not None and not _zygote.alive():
            logger.warning("The plugin zygote %s stopped; starting a new one.", _zygote.pid)
            _zygote.stop()
            _zygote = None
        if _zygote is None:
            _zygote = Zygote()
        return _zygote


def discard(zygote: Zygote) -> None:
    """Replace ``zygote`` (it failed a request): killed now, a fresh one on the next run."""
    global _zygote
    with _lock:
        if _zygote is zygote:
            _zygote = None
    with contextlib.suppress(OSError):
        zygote.proc.kill()
    zygote.stop()


def shutdown() -> None:
    """Stop this process's zygote (at exit)."""
    global _zygote
    with _lock:
        zygote, _zygote = _zygote, None
    if zygote is not None and zygote.owner == os.getpid():
        zygote.stop()


def _forget_after_fork() -> None:
    """In a process forked from a worker: the zygote is the parent's. Let go of the inherited
    control socket (the zygote must see its worker's end close when the worker ends); the
    child starts its own zygote on its first run."""
    global _zygote, _lock
    _lock = threading.Lock()
    if _zygote is not None:
        with contextlib.suppress(OSError):
            _zygote.control.close()
        _zygote = None


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(shutdown)


def exec_child(spec: bytes, *, cwd: Path) -> subprocess.Popen:
    """The child without a zygote: ``python -I -B runner.py``, its spec on standard input."""
    spec_r, spec_w = os.pipe()
    try:
        proc = subprocess.Popen(  # noqa: S603 - our runner, the plugin's path as data
            [sys.executable, "-I", "-B", str(RUNNER)],
            stdin=spec_r,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=base_env(),
            close_fds=True,
            start_new_session=True,  # its own session and process group: killed whole
        )
    except BaseException:
        os.close(spec_w)
        raise
    finally:
        os.close(spec_r)
    _write_all(spec_w, spec, deadline=time.monotonic() + FORK_TIMEOUT)
    return proc


def start(spec: bytes, *, cwd: Path, zygote: bool = True) -> tuple[Child, str]:
    """Start the child for one run: ``(child, "zygote" | "exec")``."""
    if zygote:
        for _attempt in range(2):
            try:
                current_zygote = current()
            except OSError as exc:
                logger.warning("The plugin zygote could not start (%s).", exc)
                break
            try:
                return current_zygote.fork(spec), "zygote"
            except ZygoteUnavailable as exc:
                logger.warning(
                    "The plugin zygote %s failed a run (%s); replacing it.", current_zygote.pid, exc
                )
                discard(current_zygote)
    return exec_child(spec, cwd=cwd), "exec"
