"""The plugin zygote: a clean process that has imported the SDK and the runner once and
forks one child per run of plugin code, so a run does not pay the interpreter's start and
the SDK's import (~0.3-0.5 s of CPU) again.

Started by the worker (``spawn.py``) exactly like an exec'd runner — ``python -I -B zygote.py
<fd> <sdk root>``, an environment built from nothing (``PATH``, ``LANG``), its working
directory ``/`` — and **never forked from the worker**: it holds nothing of the worker's
memory, environment or open files. It imports no Django and nothing of the portal but the SDK
(``runner.preload_sdk``) and the runner; nothing of any plugin (the fork comes first).

It waits on a unix socket (``<fd>``, the worker's other end). A request is one message
carrying four file descriptors: the run's own socket, the read end of the pipe its spec
comes on, and the write ends of its standard output and error. For each, the zygote forks;
the child

1. makes itself a new session (its own process group: the worker kills it whole),
2. closes everything of the zygote's (the control socket, the other runs' sockets) and
   keeps only the spec pipe (as standard input), its output and its error,
3. reads its spec — the job's parameters and credential come from the worker over that
   pipe, the zygote never sees them — and runs ``runner.child``: its working directory,
   its environment, its limits, Landlock, then the plugin's code, exactly as an exec'd one.

The zygote answers on the run's socket with the child's pid (and a pidfd), and later with
its exit status (and CPU time) once it has reaped it. When the worker goes (its end of the
control socket closes, however it died), the zygote kills what it started and exits: it never
outlives its worker.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import json
import os
import selectors
import signal
import socket
import sys
import traceback
from pathlib import Path
from typing import Any

MAX_FD = 1 << 16


def _load_runner() -> Any:
    """``runner.py`` beside this file, as a module (not through the portal's package)."""
    path = Path(__file__).with_name("runner.py")
    spec = importlib.util.spec_from_file_location("adminapp_plugin_runner", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Zygote:
    def __init__(self, control: socket.socket, runner: Any):
        self.control = control
        self.runner = runner
        self.selector = selectors.DefaultSelector()
        self.selector.register(control, selectors.EVENT_READ)
        self.children: dict[int, tuple[int, socket.socket]] = {}  # pidfd → (pid, run socket)

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select():
                if key.fileobj is self.control:
                    if not self._request():
                        self._stop()
                        return
                else:
                    self._reap(key.fd)

    def _request(self) -> bool:
        """Fork for one request; False when the worker is gone."""
        try:
            message, fds, _flags, _addr = socket.recv_fds(self.control, 64, 8)
        except (ConnectionError, OSError):
            return False
        if not message:
            for fd in fds:
                os.close(fd)
            return False
        if message != b"run" or len(fds) != 4:
            for fd in fds:
                os.close(fd)
            return True
        run_fd, spec_fd, out_fd, err_fd = fds
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child never comes back into this loop
            self.runner.exit_now(self._child(run_fd, spec_fd, out_fd, err_fd))
        for fd in (spec_fd, out_fd, err_fd):
            os.close(fd)
        run = socket.socket(fileno=run_fd)
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = (pid, run)
        self.selector.register(pidfd, selectors.EVENT_READ)
        # The worker gave up on this run when this fails: the child finds no spec and exits.
        with contextlib.suppress(OSError):
            socket.send_fds(run, [json.dumps({"pid": pid}).encode()], [pidfd])
        return True

    def _child(self, run_fd: int, spec_fd: int, out_fd: int, err_fd: int) -> int:
        try:
            os.setsid()
            self.selector.close()
            self.control.close()
            for pidfd, (_pid, run) in self.children.items():
                os.close(pidfd)
                run.close()
            os.close(run_fd)
            os.dup2(spec_fd, 0)
            os.dup2(out_fd, 1)
            os.dup2(err_fd, 2)
            os.closerange(3, MAX_FD)  # nothing of the zygote's stays open
            spec = self.runner.read_spec(0)
        except BaseException as exc:  # noqa: BLE001 - no spec (the worker gave up): nothing ran
            with contextlib.suppress(Exception):
                print(f"plugin child: no run ({type(exc).__name__}: {exc})", file=sys.stderr)
            return 2
        try:
            return self.runner.child(spec)
        except BaseException:  # noqa: BLE001 - as an exec'd runner: the traceback, status 1
            traceback.print_exc()
            return 1

    def _reap(self, pidfd: int) -> None:
        pid, run = self.children.pop(pidfd)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        _, status, usage = os.wait4(pid, 0)
        answer = {
            "status": os.waitstatus_to_exitcode(status),
            "cpu": usage.ru_utime + usage.ru_stime,  # the child's CPU seconds (its own)
        }
        with contextlib.suppress(OSError):
            run.send(json.dumps(answer).encode())
        run.close()

    def _stop(self) -> None:
        """The worker is gone: so is what it asked for (each run's whole process group)."""
        for pidfd, (pid, run) in self.children.items():
            for kill in (os.killpg, os.kill):  # the group; the child itself if not yet a leader
                with contextlib.suppress(OSError):
                    kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
            os.close(pidfd)
            run.close()
        self.children.clear()
        self.selector.close()
        self.control.close()


def main(argv: list[str]) -> int:
    control = socket.socket(fileno=int(argv[1]))
    runner = _load_runner()
    runner.preload_sdk(argv[2])
    runner._libc()  # found once (ldconfig) for every child
    # What is loaded now stays out of the children's garbage collections: they neither
    # traverse it nor write to its pages (which would copy them).
    gc.freeze()
    Zygote(control, runner).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
