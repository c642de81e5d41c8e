"""The sandbox with real child processes: plugins that hang, eat memory or CPU, write too
much, look for the portal's secrets, database file or services — each stopped with a clear
error while this process (the worker's part) carries on; and what a well-behaved plugin
gets (its params, progress, a result file, its prints kept apart from the protocol)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from adminapp.plugins.runtime.sandbox import Limits, PluginFailed, PluginProcess, RunSpec
from tests.helpers import wait_for
from tests.plugins.runtime.helpers import run_macro, write_plugin

HEALTHY = """
def run(ctx):
    ctx.progress(1, 1, "done")
    return {"answer": ctx.params["n"] * 2}
"""


def _still_works(tmp_path: Path) -> None:
    """The worker's side carries on: the next plugin runs and answers."""
    plugin = write_plugin(tmp_path / "healthy", HEALTHY)
    proc, messages, _ = run_macro(plugin, params={"n": 21})
    assert proc.result == {"answer": 42}
    assert messages == [{"type": "progress", "done": 1, "total": 1, "message": "done"}]


def test_a_plugin_that_loops_forever_is_killed_at_its_time_limit_with_its_children(tmp_path):
    plugin = write_plugin(
        tmp_path / "loop",
        """
        def run(ctx):
            while True:
                pass
        """,
    )
    with pytest.raises(PluginFailed) as failed:
        run_macro(plugin, limits=Limits(timeout=3))
    assert failed.value.code == "plugin_timeout"
    assert failed.value.message == ("test-plugin/main: did not finish within 3 s and was stopped.")
    _still_works(tmp_path)


def test_the_grandchild_a_plugin_started_dies_with_it(tmp_path):
    plugin = write_plugin(
        tmp_path / "spawner",
        """
        import subprocess, sys
        def run(ctx):
            child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            ctx.log(str(child.pid))
            ctx.progress(0)
            while True:
                pass
        """,
    )
    spec = RunSpec(
        kind="macro", plugin_dir=plugin, entry="main.py", label="p/m", limits=Limits(timeout=3)
    )
    pid = None
    with pytest.raises(PluginFailed), PluginProcess(spec) as proc:
        for message in proc.messages():
            if message["type"] == "log":
                pid = int(message["message"])
    assert pid is not None

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie waiting for its parent (reaped by init) counts as gone too.
        status = Path(f"/proc/{pid}/status").read_text()
        return "State:\tZ" in status

    wait_for(gone, timeout=10, message="the plugin's own child to be killed")


def test_a_plugin_that_allocates_2_gb_fails_for_memory(tmp_path):
    plugin = write_plugin(
        tmp_path / "hog",
        """
        def run(ctx):
            block = bytearray(2 * 1024 ** 3)
            return {"size": len(block)}
        """,
    )
    with pytest.raises(PluginFailed) as failed:
        run_macro(plugin, limits=Limits(timeout=60, memory_mb=512))
    assert failed.value.code == "plugin_memory_limit"
    assert failed.value.message == (
        "test-plugin/main: ran out of memory (the limit is 512 MB) and was stopped."
    )
    _still_works(tmp_path)


def test_a_plugin_that_burns_cpu_is_stopped_at_its_cpu_limit(tmp_path):
    plugin = write_plugin(
        tmp_path / "burn",
        """
        def run(ctx):
            n = 0
            while True:
                n += 1
        """,
    )
    with pytest.raises(PluginFailed) as failed:
        run_macro(plugin, limits=Limits(timeout=60, cpu_seconds=1))
    assert failed.value.code == "plugin_cpu_limit"
    assert "used more than 1 s of CPU" in failed.value.message


def test_a_plugin_cannot_write_a_file_past_its_size_limit(tmp_path):
    plugin = write_plugin(
        tmp_path / "big",
        """
        def run(ctx):
            with ctx.result_file("wb") as fh:
                fh.write(b"x" * (3 * 1024 * 1024))
        """,
    )
    with pytest.raises(PluginFailed) as failed:
        run_macro(plugin, wants_result=True, limits=Limits(timeout=60, file_size_mb=1))
    assert failed.value.code == "plugin_error"
    assert "failed with OSError: [Errno 27] File too large" in failed.value.message


def test_a_plugin_sees_none_of_the_workers_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "the-portal-secret")
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/adminapp")
    monkeypatch.setenv("ADMINAPP_ENCRYPTION_KEYS", "a-fernet-key")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    plugin = write_plugin(
        tmp_path / "snoop",
        """
        import os
        def run(ctx):
            return {
                "env": dict(os.environ),
                "secret": os.environ.get("SECRET_KEY"),
                "database": os.environ.get("DATABASE_URL"),
                "cwd": os.getcwd(),
            }
        """,
    )
    proc, _, _ = run_macro(plugin, base_url="http://127.0.0.1:8123", api_key="adm_job_key")
    env = proc.result["env"]
    assert proc.result["secret"] is None
    assert proc.result["database"] is None
    assert sorted(env) == [
        "ADMINAPP_API_KEY",
        "ADMINAPP_BASE_URL",
        "HOME",
        "LANG",
        "PATH",
        "TMPDIR",
    ]
    assert env["ADMINAPP_BASE_URL"] == "http://127.0.0.1:8123"
    assert env["ADMINAPP_API_KEY"] == "adm_job_key"
    # A fresh temporary directory, removed once the run is over.
    assert proc.result["cwd"] == str(proc.workdir)
    assert env["HOME"] == str(proc.workdir / "home")
    assert not proc.workdir.exists()


def test_a_plugin_cannot_open_the_portals_database_file(db, tmp_path):
    if connection.vendor == "sqlite":
        target = str(connection.settings_dict["NAME"])
    else:  # on PostgreSQL: a file of the portal's own, beside its media
        secret = Path(settings.MEDIA_ROOT) / "plugin-test-secret.txt"
        secret.parent.mkdir(parents=True, exist_ok=True)
        secret.write_text("the portal's")
        target = str(secret)
    assert Path(target).is_file()  # it exists: what stops the plugin is the sandbox
    plugin = write_plugin(
        tmp_path / "sqlite",
        """
        def run(ctx):
            with open(ctx.params["path"], "rb") as fh:
                return {"head": fh.read(16).hex()}
        """,
    )
    with pytest.raises(PluginFailed) as failed:
        run_macro(plugin, params={"path": target})
    assert failed.value.code == "plugin_error"
    assert failed.value.message.startswith(
        f"test-plugin/main: failed with PermissionError: [Errno 13] Permission denied: '{target}'"
    )
    _still_works(tmp_path)


def test_a_plugin_reaches_only_the_api_port_and_cannot_touch_the_worker(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    other = socket.socket()
    other.bind(("127.0.0.1", 0))
    other.listen()
    api_port, other_port = listener.getsockname()[1], other.getsockname()[1]
    plugin = write_plugin(
        tmp_path / "reach",
        """
        import os, signal, socket
        def attempt(fn):
            try:
                fn()
                return "allowed"
            except OSError as exc:
                return exc.strerror
        def run(ctx):
            api, other = ctx.params["api"], ctx.params["other"]
            return {
                "api": attempt(lambda: socket.create_connection(("127.0.0.1", api), 5).close()),
                "other": attempt(lambda: socket.create_connection(("127.0.0.1", other), 5)),
                "listen": attempt(lambda: socket.socket().bind(("127.0.0.1", 0))),
                "environ": attempt(lambda: open(f"/proc/{os.getppid()}/environ").read()),
                "signal": attempt(lambda: os.kill(os.getppid(), signal.SIGTERM)),
                "source": attempt(lambda: open(ctx.params["settings"]).read()),
            }
        """,
    )
    with listener, other:
        proc, _, _ = run_macro(
            plugin,
            params={
                "api": api_port,
                "other": other_port,
                "settings": str(Path(settings.BASE_DIR) / "adminapp" / "settings.py"),
            },
            base_url=f"http://127.0.0.1:{api_port}",
        )
    assert proc.confinement["landlock_abi"] >= 6
    assert proc.result == {
        "api": "allowed",
        "other": "Permission denied",
        "listen": "Permission denied",
        "environ": "Permission denied",
        "signal": "Operation not permitted",
        "source": "Permission denied",
    }


def test_a_plugins_prints_and_traceback_make_the_error_message(tmp_path):
    plugin = write_plugin(
        tmp_path / "crash",
        """
        def run(ctx):
            print("reading the dataset")
            raise ValueError("the template has no {external_id}")
        """,
    )
    with pytest.raises(PluginFailed) as failed:
        run_macro(plugin)
    message = failed.value.message
    assert message.startswith(
        "test-plugin/main: failed with ValueError: the template has no {external_id}\n"
        "--- the plugin's last output ---\n"
        "reading the dataset\n"
        "Traceback (most recent call last):"
    )
    assert message.endswith("ValueError: the template has no {external_id}")


def test_a_macro_gets_its_params_and_writes_a_result_file(tmp_path):
    plugin = write_plugin(
        tmp_path / "report",
        """
        import csv
        def run(ctx):
            print("not a protocol message")  # goes to stderr, the protocol is untouched
            with ctx.result_file() as fh:
                writer = csv.writer(fh)
                writer.writerow(["name", "n"])
                for i in range(ctx.params["rows"]):
                    writer.writerow([f"row {i}", i])
                    ctx.progress(i + 1, ctx.params["rows"])
            return {"rows": ctx.params["rows"]}
        """,
    )
    proc, messages, result = run_macro(plugin, params={"rows": 2}, wants_result=True)
    assert proc.result == {"rows": 2}
    assert [m["done"] for m in messages] == [1, 2]
    assert result == "name,n\r\nrow 0,0\r\nrow 1,1\r\n"
    assert proc.stderr_text() == "not a protocol message"


def test_an_importer_streams_the_rows_it_yields(tmp_path):
    plugin = write_plugin(
        tmp_path / "lines",
        """
        def parse(ctx, path):
            with open(path, encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    yield {"row_data": line.strip(), "external_id": str(n)}
        """,
        entry="reader.py",
    )
    source = tmp_path / "input.txt"
    source.write_text("a.jpg\nb.jpg\n")
    spec = RunSpec(
        kind="importer",
        plugin_dir=plugin,
        entry="reader.py",
        label="lines/reader",
        input_path=source,
        limits=Limits(timeout=60),
    )
    with PluginProcess(spec) as proc:
        messages = list(proc.messages())
    # Rows go many to a message (one JSON text for the child to write, the worker to read).
    assert messages == [
        {
            "type": "rows",
            "rows": [
                {"row_data": "a.jpg", "external_id": "1"},
                {"row_data": "b.jpg", "external_id": "2"},
            ],
        }
    ]
    assert proc.result == {"rows": 2}


def _importer_rows(tmp_path, source: str, **params) -> tuple[list, PluginFailed | None]:
    """The rows an importer plugin sends, in order, and how it failed (None: it did not)."""
    plugin = write_plugin(tmp_path / "rows", source, entry="rows.py")
    spec = RunSpec(
        kind="importer",
        plugin_dir=plugin,
        entry="rows.py",
        label="rows/reader",
        input_path=plugin / "rows.py",
        limits=Limits(timeout=60),
    )
    rows: list = []
    try:
        with PluginProcess(spec) as proc:
            for message in proc.messages():
                if message["type"] == "rows":
                    rows += message["rows"]
                elif message["type"] == "row":
                    rows.append(message["row"])
    except PluginFailed as exc:
        return rows, exc
    return rows, None


def test_the_rows_before_a_row_that_is_not_json_reach_the_worker_and_it_fails_the_run(tmp_path):
    # Row 1500 (in the second message's worth of rows) has a key JSON cannot have: the
    # 1499 rows before it arrive, in order, then the run fails naming why; none after it.
    rows, failed = _importer_rows(
        tmp_path,
        """
        def parse(ctx, path):
            for n in range(1, 3001):
                yield {"row_data": f"{n}.jpg", "metadata": {(1, 2): n} if n == 1500 else {}}
        """,
    )
    assert [row["row_data"] for row in rows] == [f"{n}.jpg" for n in range(1, 1500)]
    assert failed is not None and failed.code == "plugin_error"
    assert "TypeError: keys must be str, int, float, bool or None, not tuple" in str(failed)


def test_the_rows_before_an_importer_fails_reach_the_worker_first(tmp_path):
    rows, failed = _importer_rows(
        tmp_path,
        """
        def parse(ctx, path):
            for n in range(1, 1201):
                yield {"row_data": f"{n}.jpg"}
            yield ["not", "a", "dict"]
        """,
    )
    assert len(rows) == 1200 and rows[-1] == {"row_data": "1200.jpg"}
    assert failed is not None
    assert "TypeError: parse() yielded a list, not a dict (row 1201)." in str(failed)


def test_big_rows_arrive_whole_and_in_order(tmp_path):
    # 3 rows of 700 kB among small ones: a message holding several would pass 1 MB, so they
    # go one each; each is well under the worker's 4 MB line.
    rows, failed = _importer_rows(
        tmp_path,
        """
        def parse(ctx, path):
            for n in range(1, 11):
                text = "x" * (700_000 if n in (2, 3, 7) else 10)
                yield {"row_data": f"{n}.jpg", "metadata": {"text": text}}
        """,
    )
    assert failed is None
    assert [row["row_data"] for row in rows] == [f"{n}.jpg" for n in range(1, 11)]
    assert [len(row["metadata"]["text"]) for row in rows][:4] == [10, 700_000, 700_000, 10]


def test_a_row_past_the_line_limit_fails_the_run_as_a_protocol_error(tmp_path):
    rows, failed = _importer_rows(
        tmp_path,
        """
        def parse(ctx, path):
            yield {"row_data": "1.jpg"}
            yield {"row_data": "2.jpg", "metadata": {"text": "x" * 5_000_000}}
        """,
    )
    assert failed is not None and failed.code == "plugin_protocol_error"
    assert "sent a message longer than 4 MB" in str(failed)


def test_an_entry_outside_the_plugin_is_refused_before_anything_runs(tmp_path):
    plugin = write_plugin(tmp_path / "p", HEALTHY)
    spec = RunSpec(kind="macro", plugin_dir=plugin, entry="../elsewhere.py", label="p/m")
    (tmp_path / "elsewhere.py").write_text(HEALTHY)
    with pytest.raises(PluginFailed) as failed, PluginProcess(spec) as proc:
        list(proc.messages())
    assert failed.value.code == "plugin_entry_missing"
    assert proc.proc is None


def test_a_macro_without_run_says_what_it_must_define(tmp_path):
    plugin = write_plugin(tmp_path / "empty", "VALUE = 1\n")
    with pytest.raises(PluginFailed) as failed:
        run_macro(plugin)
    assert failed.value.message.startswith(
        "test-plugin/main: failed with TypeError: A macro's entry module must define run(ctx)."
    )


@pytest.mark.parametrize("zygote", [True, False], ids=["forked", "execd"])
def test_a_plugin_leaves_as_an_interpreter_would_its_threads_atexit_and_open_file_finished(
    tmp_path, settings, zygote
):
    """The child leaves without tearing every module down (fast), but nothing a plugin
    started is cut short: its threads finish, its atexit functions run, its result file
    left open is written whole."""
    settings.PLUGINS_ZYGOTE = zygote
    plugin = write_plugin(
        tmp_path / "sloppy",
        """
        import atexit, sys, threading, time
        from concurrent.futures import ThreadPoolExecutor
        FILES = []
        POOL = ThreadPoolExecutor(1)
        def late():
            time.sleep(0.3)
            print("the thread finished", file=sys.stderr)
        def run(ctx):
            fh = ctx.result_file()
            FILES.append(fh)  # never closed by the plugin
            fh.write("n\\r\\n1\\r\\n")  # held in the file's buffer until it is closed
            threading.Thread(target=late).start()
            POOL.submit(time.sleep, 0.2).add_done_callback(
                lambda _: print("the pool's task finished", file=sys.stderr)
            )
            atexit.register(lambda: print("atexit ran", file=sys.stderr))
            return {}
        """,
    )
    proc, _, result = run_macro(plugin, wants_result=True)
    assert proc.started_by == ("zygote" if zygote else "exec")
    assert result == "n\r\n1\r\n"
    assert proc.stderr_text().splitlines() == [
        "the pool's task finished",
        "the thread finished",
        "atexit ran",
    ]
