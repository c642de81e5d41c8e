"""Which process runs a job, and whether it still exists.

A worker process that claims a job writes ``"<host>:<pid>"`` on it (``Job.worker``). A
process that died (SIGKILL, the out-of-memory killer, a crash) stops heartbeating, and the
reaper would take the job up again only after ``JOB_HEARTBEAT_TIMEOUT``; but on the same
host its death can be seen at once — no such process, or a zombie — so the reaper, and every
worker as it starts, re-queue such a job immediately. On another host nothing can be seen
and the heartbeat decides, as before. A pid reused by a new process only makes us wait for
the heartbeat: the check errs on the side of "alive".
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def gone(worker: str) -> bool:
    """Whether ``worker`` ("<host>:<pid>") ran on this host and its process is gone."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            state = stat.read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True  # no such process
        return state in ("Z", "X")  # a zombie (dead, not yet waited for) or dying
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, another user's
    return False
