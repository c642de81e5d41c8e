"""The worker's zygote: a clean process that has imported the SDK once and forks the child
each run of plugin code runs in. A forked child is confined exactly as an exec'd one; the
zygote holds nothing of the worker's; a zygote that dies — idle, mid-run or wedged — is
replaced without failing a run; two runs at once each get a child; each run loads its own
plugin's code; and the zygote, with what it started, ends with its worker."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings

from adminapp.client import AdminClient
from adminapp.plugins.runtime import spawn
from adminapp.plugins.runtime.sandbox import Limits, PluginProcess, RunSpec
from tests.helpers import wait_for
from tests.plugins.runtime.helpers import install, macro_plugin, run_macro, write_plugin

PROBE = """
import ctypes, os, resource, signal, socket, sys

def attempt(fn):
    try:
        fn()
        return "allowed"
    except OSError as exc:
        return exc.strerror

def is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False

def run(ctx):
    p = ctx.params
    limits = ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE")
    parent = os.getppid()
    return {
        "pid": os.getpid(),
        "parent": parent,
        "own_session": os.getsid(0) == os.getpid(),
        "own_group": os.getpgid(0) == os.getpid(),
        "env": dict(os.environ),
        "cwd": os.getcwd(),
        "limits": {name: resource.getrlimit(getattr(resource, name)) for name in limits},
        "open_fds": [fd for fd in range(256) if is_open(fd)],
        "flags": [sys.flags.isolated, sys.flags.no_user_site, sys.flags.ignore_environment,
                  sys.flags.dont_write_bytecode],
        "no_new_privs": ctypes.CDLL(None).prctl(39, 0, 0, 0, 0),  # PR_GET_NO_NEW_PRIVS
        "django": "django" in sys.modules,
        "path": sys.path,
        "source": attempt(lambda: open(p["settings"]).read()),
        "worker_environ": attempt(lambda: open(f"/proc/{p['worker']}/environ").read()),
        "parent_environ": attempt(lambda: open(f"/proc/{parent}/environ").read()),
        "parent_memory": attempt(lambda: open(f"/proc/{parent}/mem", "rb").read(1)),
        "signal_worker": attempt(lambda: os.kill(p["worker"], signal.SIGURG)),
        "signal_parent": attempt(lambda: os.kill(parent, signal.SIGURG)),
        "api": attempt(lambda: socket.create_connection(("127.0.0.1", p["api"]), 5).close()),
        "other": attempt(lambda: socket.create_connection(("127.0.0.1", p["other"]), 5)),
        "listen": attempt(lambda: socket.socket().bind(("127.0.0.1", 0))),
    }
"""

# Tells who started it, then waits for a file "go" beside it (the plugin's folder is
# readable to it, and writable to the test).
WAITER = """
import os, time
from pathlib import Path

def run(ctx):
    ctx.log(f"{os.getpid()} {os.getppid()}")
    ctx.progress(0)
    go = Path(__file__).with_name("go")
    while not go.exists():
        time.sleep(0.05)
    return {"finished": True}
"""

PARENT = """
import os
def run(ctx):
    return {"parent": os.getppid()}
"""


def gone(pid: int) -> bool:
    """Exited: no such process, or a zombie waiting for whoever reaps it."""
    try:
        return "State:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True


def _probe(tmp_path: Path, *, api_port: int, other_port: int) -> tuple[PluginProcess, dict]:
    plugin = write_plugin(tmp_path / "probe", PROBE)
    proc, _, _ = run_macro(
        plugin,
        params={
            "settings": str(Path(settings.BASE_DIR) / "adminapp" / "settings.py"),
            "worker": os.getpid(),
            "api": api_port,
            "other": other_port,
        },
        base_url=f"http://127.0.0.1:{api_port}",
        api_key="adm_probe_key",
        limits=Limits(timeout=60, memory_mb=700, cpu_seconds=50, file_size_mb=5, open_files=40),
    )
    report = dict(proc.result)
    workdir = str(proc.workdir)
    assert report.pop("cwd") == workdir
    report["env"] = {k: v.replace(workdir, "<workdir>") for k, v in report["env"].items()}
    report["path"] = [entry for entry in report["path"] if entry != str(plugin)]
    return proc, report


def test_a_forked_child_is_confined_exactly_as_an_execd_one(tmp_path, settings, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "the-portal-secret")
    listener, other = socket.socket(), socket.socket()
    for sock in (listener, other):
        sock.bind(("127.0.0.1", 0))
        sock.listen()
    ports = {"api_port": listener.getsockname()[1], "other_port": other.getsockname()[1]}
    with listener, other:
        settings.PLUGINS_ZYGOTE = True
        forked_proc, forked = _probe(tmp_path / "forked", **ports)
        settings.PLUGINS_ZYGOTE = False
        execd_proc, execd = _probe(tmp_path / "execd", **ports)
    assert (forked_proc.started_by, execd_proc.started_by) == ("zygote", "exec")
    # The forked child's parent is the zygote, the exec'd one's the worker; nothing else
    # differs.
    assert forked.pop("parent") == spawn.current().pid
    assert execd.pop("parent") == os.getpid()
    assert forked.pop("pid") != execd.pop("pid")
    assert forked == execd
    assert forked_proc.confinement == execd_proc.confinement
    assert forked_proc.confinement["landlock_abi"] >= 6
    assert {k: v for k, v in forked.items() if k != "path"} == {
        "own_session": True,
        "own_group": True,
        "env": {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": "<workdir>/home",
            "TMPDIR": "<workdir>",
            "ADMINAPP_BASE_URL": f"http://127.0.0.1:{ports['api_port']}",
            "ADMINAPP_API_KEY": "adm_probe_key",
        },
        "limits": {
            "RLIMIT_AS": [700 * 1024 * 1024] * 2,
            "RLIMIT_CPU": [50, 51],
            "RLIMIT_FSIZE": [5 * 1024 * 1024] * 2,
            "RLIMIT_NOFILE": [40, 40],
            "RLIMIT_CORE": [0, 0],
        },
        # Standard input (/dev/null), output (its prints: standard error), error, and the
        # protocol's stream: nothing of the zygote's or the worker's.
        "open_fds": [0, 1, 2, 3],
        "flags": [1, 1, 1, 1],
        "no_new_privs": 1,
        "django": False,
        "source": "Permission denied",
        "worker_environ": "Permission denied",
        "parent_environ": "Permission denied",
        "parent_memory": "Permission denied",
        "signal_worker": "Operation not permitted",
        "signal_parent": "Operation not permitted",
        "api": "allowed",
        "other": "Permission denied",
        "listen": "Permission denied",
    }
    assert not any("adminapp" in Path(entry).parts for entry in forked["path"])


def test_the_zygote_is_a_clean_process_holding_nothing_of_the_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "the-portal-secret")
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/adminapp")
    spawn.shutdown()  # the next run starts a fresh one, from this environment
    proc, _, _ = run_macro(write_plugin(tmp_path / "p", PARENT))
    zygote = spawn.current()
    assert proc.started_by == "zygote"
    assert proc.result == {"parent": zygote.pid}
    # Exec'd, not forked from the worker: its own program, an environment built from
    # nothing, its working directory /, and of open files only its standard streams, the
    # control socket and its event loop.
    proc_dir = Path(f"/proc/{zygote.pid}")
    cmdline = (proc_dir / "cmdline").read_bytes().split(b"\0")[:-1]
    assert [c.decode() for c in cmdline[:4]] == [
        sys.executable,
        "-I",
        "-B",
        str(spawn.ZYGOTE),
    ]
    assert (
        proc_dir / "environ"
    ).read_bytes() == b"PATH=/usr/local/bin:/usr/bin:/bin\0LANG=C.UTF-8\0"
    assert os.readlink(proc_dir / "cwd") == "/"
    fds = {int(fd): os.readlink(proc_dir / "fd" / fd) for fd in os.listdir(proc_dir / "fd")}
    assert fds[0] == fds[1] == "/dev/null"
    others = sorted(re.sub(r"\[\d+\]", "", target) for fd, target in fds.items() if fd > 2)
    assert others == ["anon_inode:[eventpoll]", "socket:"]


def test_a_killed_zygote_is_replaced_and_the_next_run_does_not_fail(tmp_path):
    plugin = write_plugin(tmp_path / "p", PARENT)
    proc, _, _ = run_macro(plugin)
    first = proc.result["parent"]
    assert proc.started_by == "zygote"
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: gone(first), timeout=10, message="the zygote to die")
    proc, _, _ = run_macro(plugin)
    assert proc.started_by == "zygote"
    assert proc.result["parent"] not in (first, os.getpid())
    assert proc.result["parent"] == spawn.current().pid


def test_a_run_in_flight_finishes_when_its_zygote_is_killed(tmp_path):
    plugin = write_plugin(tmp_path / "waiter", WAITER)
    spec = RunSpec(
        kind="macro", plugin_dir=plugin, entry="main.py", label="w/m", limits=Limits(timeout=60)
    )
    with PluginProcess(spec) as proc:
        for message in proc.messages():
            if message["type"] == "log":
                child, zygote = map(int, message["message"].split())
                assert zygote == spawn.current().pid
                os.kill(zygote, signal.SIGKILL)
                wait_for(lambda: gone(zygote), timeout=10, message="the zygote to die")  # noqa: B023
                assert not gone(child)  # the run goes on without it
                (plugin / "go").touch()
    assert proc.result == {"finished": True}
    assert proc.proc.returncode is None  # its exit status went with the zygote
    # The next run gets a new zygote.
    proc, _, _ = run_macro(write_plugin(tmp_path / "p", PARENT))
    assert proc.started_by == "zygote"
    assert proc.result["parent"] not in (zygote, os.getpid())


def test_a_zygote_that_does_not_answer_is_replaced_and_the_run_goes_on(tmp_path, monkeypatch):
    plugin = write_plugin(tmp_path / "p", PARENT)
    proc, _, _ = run_macro(plugin)
    stuck = proc.result["parent"]
    os.kill(stuck, signal.SIGSTOP)
    monkeypatch.setattr(spawn, "FORK_TIMEOUT", 2.0)
    try:
        proc, _, _ = run_macro(plugin)
    finally:
        if not gone(stuck):
            os.kill(stuck, signal.SIGKILL)
    # Started by a fresh zygote, or exec'd when that one was not quicker than 2 s either.
    assert proc.result["parent"] != stuck
    assert gone(stuck)  # the stuck one was killed


def test_two_runs_at_once_from_one_worker_each_get_a_child_of_its_zygote(tmp_path):
    plugin = write_plugin(tmp_path / "waiter", WAITER)
    started: dict[int, tuple[int, int]] = {}
    done: dict[int, PluginProcess] = {}

    def run(n: int) -> None:
        spec = RunSpec(
            kind="macro",
            plugin_dir=plugin,
            entry="main.py",
            label=f"w/{n}",
            limits=Limits(timeout=60),
        )
        with PluginProcess(spec) as proc:
            for message in proc.messages():
                if message["type"] == "log":
                    pid, parent = map(int, message["message"].split())
                    started[n] = (pid, parent)
        done[n] = proc

    threads = [threading.Thread(target=run, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(started) == 2, timeout=60, message="both runs to start")
    (plugin / "go").touch()  # both are running now; both may finish
    for thread in threads:
        thread.join(60)
    assert [done[n].result for n in (1, 2)] == [{"finished": True}] * 2
    assert [done[n].started_by for n in (1, 2)] == ["zygote"] * 2
    (pid1, parent1), (pid2, parent2) = started[1], started[2]
    assert pid1 != pid2
    assert parent1 == parent2 == spawn.current().pid


def test_each_run_loads_its_own_plugins_code_never_an_earlier_runs(tmp_path):
    """The zygote forks before any plugin code is loaded: two versions of a plugin with a
    module of the same name each get their own."""
    source = """
    import helper
    def run(ctx):
        return {"version": helper.VERSION}
    """
    v1 = write_plugin(tmp_path / "v1", source, **{"helper.py": "VERSION = 1\n"})
    v2 = write_plugin(tmp_path / "v2", source, **{"helper.py": "VERSION = 2\n"})
    versions = [run_macro(v)[0].result["version"] for v in (v1, v2, v1)]
    assert versions == [1, 2, 1]


PREFORK = """
import os, sys, time
from adminapp.plugins.runtime import spawn

first = spawn.current().pid
pool = os.fork()
if pool == 0:  # a pool process forked from the worker, as Celery's prefork pool does
    print("child-zygote", spawn.current().pid, flush=True)
    sys.exit(0)  # a normal exit: its zygote is stopped with it
os.waitpid(pool, 0)
idle = os.fork()
if idle == 0:  # one that runs no plugin code, still alive when the worker dies
    time.sleep(60)
    os._exit(0)
print("parent-zygote", first, spawn.current().pid, idle, flush=True)
time.sleep(60)
"""


def test_each_worker_process_has_its_own_zygote_gone_with_it(tmp_path):
    script = tmp_path / "prefork.py"
    script.write_text(PREFORK)
    worker = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=settings.BASE_DIR,
        env={**os.environ, "PYTHONPATH": str(settings.BASE_DIR)},
        start_new_session=True,
    )
    try:
        child_line = worker.stdout.readline().split()
        parent_line = worker.stdout.readline().split()
        assert child_line[0] == "child-zygote" and parent_line[0] == "parent-zygote"
        child_zygote = int(child_line[1])
        first, again, idle = map(int, parent_line[1:])
        # The forked process started a zygote of its own and stopped it when it exited; the
        # worker's own is untouched (the same one, alive).
        assert child_zygote != first == again
        assert gone(child_zygote)
        assert not gone(first)
        assert _parent_of(first) == worker.pid
        # The worker killed (SIGKILL: no atexit) while a process forked from it lives on:
        # that one let go of the zygote's socket when it was forked, so the zygote goes.
        worker.kill()
        worker.wait(10)
        wait_for(lambda: gone(first), timeout=10, message="the killed worker's zygote to go")
        assert not gone(idle)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)


HOLD = """
import os, time
def run(ctx):
    ctx.progress(1, 100, f"{os.getppid()} {os.getpid()}")
    while True:
        time.sleep(0.1)
"""


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.mark.worker
@pytest.mark.live
def test_the_zygote_and_its_runs_end_with_their_worker_stopped_or_killed(
    live_server, tenant, tmp_path, celery_workers
):
    install(tmp_path, macro_plugin(tmp_path / "who", PARENT, plugin_id="who"))
    install(tmp_path, macro_plugin(tmp_path / "hold", HOLD, plugin_id="hold"))
    # The killed worker's run leaves its working directory behind: in this test's folder.
    (tmp_path / "runs").mkdir()
    env = {"PLUGINS_API_BASE_URL": live_server.url, "PLUGINS_TMP": str(tmp_path / "runs")}
    with AdminClient(api_key=tenant.keys["OWNER"], base_url=live_server.url) as sdk:
        # A warm stop: the worker's zygote goes with it.
        worker = celery_workers.start(env)
        job = sdk.plugins.run_macro("who", "m", {}).wait(60)
        assert job.state == "SUCCEEDED", job.error
        zygote = job.result["result"]["parent"]
        assert _parent_of(zygote) == worker.pid  # the worker's own child, started for it
        celery_workers.stop()
        wait_for(lambda: gone(zygote), timeout=10, message="the stopped worker's zygote to go")

        # Killed mid-run (SIGKILL: no atexit, nothing of the worker's runs): the zygote
        # sees its control socket close, kills the run it started and exits.
        worker = celery_workers.start(env)
        job = sdk.plugins.run_macro("hold", "m", {})
        stage = wait_for(
            lambda: re.fullmatch(r"(\d+) (\d+)", sdk.jobs.get(job.id).progress.stage or ""),
            timeout=60,
            message="the macro to start",
        )
        zygote, child = int(stage[1]), int(stage[2])
        assert _parent_of(zygote) == worker.pid
        assert not gone(child)
        celery_workers.kill(worker)
        wait_for(
            lambda: gone(zygote) and gone(child),
            timeout=10,
            message="the killed worker's zygote and its run to go",
        )
