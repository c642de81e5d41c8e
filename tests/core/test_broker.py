"""The embedded default's broker (Kombu's filesystem transport, adminapp.core.broker): a
publisher that dies mid-write leaves nothing a consumer can take, a file that is not a
whole message is skipped instead of stopping the consumer, and a worker told to stop stops
waiting for messages at once."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from kombu import Connection

ROOT = Path(__file__).resolve().parents[2]
TRANSPORT = "adminapp.core.broker:Transport"

PUBLISHER = """
import json, resource, signal, sys
from kombu import Connection
limit = int(sys.argv[3])
# A file-size limit: the kernel stops the write at `limit` bytes and SIGXFSZ kills the
# process there, mid-message, as a crash or a kill would (Python ignores SIGXFSZ unless
# told otherwise).
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
with Connection("filesystem://", transport=sys.argv[1], transport_options=json.loads(sys.argv[2])) as conn:
    conn.SimpleQueue(sys.argv[4]).put({"blob": "x" * (4 * limit)})
print("published")  # never reached
"""


@pytest.fixture
def name() -> str:
    """A queue name of this test's own: Kombu keeps the filesystem transport's bindings in
    one process-wide state, and a binding made by an earlier test would not be written to
    this test's folders."""
    return f"jobs-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def options(tmp_path) -> dict[str, str]:
    folders = {
        "data_folder_in": tmp_path / "queue",
        "data_folder_out": tmp_path / "queue",
        "processed_folder": tmp_path / "processed",
        "control_folder": tmp_path / "control",
    }
    for folder in folders.values():
        folder.mkdir(exist_ok=True)
    return {key: str(value) for key, value in folders.items()}


def connect(options) -> Connection:
    return Connection("filesystem://", transport=TRANSPORT, transport_options=options)


def test_a_publisher_killed_mid_write_leaves_no_message_to_take(options, name):
    limit = 64 * 1024
    child = subprocess.run(
        [sys.executable, "-c", PUBLISHER, TRANSPORT, json.dumps(options), str(limit), name],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -25, child.stderr  # SIGXFSZ: it died inside the write
    assert "published" not in child.stdout
    queue_dir = Path(options["data_folder_in"])
    # What it wrote is there, cut short, under a name no queue lists.
    leftovers = list(queue_dir.iterdir())
    assert [p.stat().st_size for p in leftovers] == [limit]
    assert not any(p.name.endswith(".msg") for p in leftovers)

    with connect(options) as conn:
        queue = conn.SimpleQueue(name)
        with pytest.raises(queue.Empty):
            queue.get(timeout=0.5)
        queue.put({"n": 1})
        message = queue.get(timeout=2)
        assert message.payload == {"n": 1}
        message.ack()


def test_a_message_file_that_is_not_whole_json_is_skipped_and_the_next_delivered(
    options, name, caplog
):
    queue_dir = Path(options["data_folder_in"])
    with connect(options) as conn:
        queue = conn.SimpleQueue(name)
        # As Kombu's own writer leaves them: created empty, or cut short. Named to sort
        # before the message put next (names start with a millisecond clock, compared as
        # strings: "0_" comes before any of them).
        (queue_dir / f"0_a.{name}.msg").write_bytes(b"")
        (queue_dir / f"0_b.{name}.msg").write_bytes(b'{"body": "eyJu')
        queue.put({"n": 2})
        with caplog.at_level(logging.WARNING, logger="adminapp.core.broker"):
            message = queue.get(timeout=2)
        assert message.payload == {"n": 2}
        message.ack()
        assert [r.getMessage() for r in caplog.records].count(
            f"Skipped a message file of queue {name} that is not a whole JSON message "
            "(cut short by a publisher that died, or written by another tool)."
        ) == 2
        assert not any(queue_dir.glob("*.msg"))


def test_stale_temporary_files_are_swept_and_fresh_ones_kept(options, name):
    queue_dir = Path(options["data_folder_in"])
    stale = queue_dir / ".dead.publishing"
    fresh = queue_dir / ".inflight.publishing"
    stale.write_bytes(b"{")
    fresh.write_bytes(b"{")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    with connect(options) as conn:
        conn.SimpleQueue(name).close()
    assert not stale.exists()
    assert fresh.exists()


@pytest.mark.parametrize("flag", ["should_stop", "should_terminate"], ids=["warm", "cold"])
def test_a_worker_told_to_stop_stops_waiting_at_once_and_takes_no_new_message(
    options, name, monkeypatch, flag
):
    """Celery's loop for this transport waits for messages up to 2 s per call, and once more
    after the stop was requested: a worker took ~5 s to stop, and could still take (and run)
    a job in that last wait. Once the worker is stopping the wait ends at once, and the
    message stays in its queue for the next worker."""
    from celery.worker import state

    with connect(options) as conn:
        queue = conn.SimpleQueue(name)
        received = []
        with conn.Consumer(queue.queue, callbacks=[lambda body, msg: received.append(body)]):
            monkeypatch.setattr(state, flag, 0)  # EX_OK: what the SIGTERM / SIGQUIT handler sets
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                conn.drain_events(timeout=10)
            assert time.monotonic() - started < 1

            queue.put({"n": 3})
            with pytest.raises(TimeoutError):
                conn.drain_events(timeout=10)
            assert received == []

            monkeypatch.setattr(state, flag, None)  # the next worker
            conn.drain_events(timeout=2)
            assert received == [{"n": 3}]


def test_the_embedded_default_uses_it_in_a_directory_of_its_choosing(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["ADMINAPP_BROKER_DIR"] = str(tmp_path / "broker")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from adminapp.celery_app import app;"
            "c = app.connection_for_write();"
            "print(type(c.transport).__module__, c.transport_options['data_folder_in'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["adminapp.core.broker", str(tmp_path / "broker" / "queue")]
    assert (tmp_path / "broker" / "control").is_dir()
