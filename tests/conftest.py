from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.factories import Tenant, make_tenant

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test gets an empty cache of its own (rate-limit counters start at zero).

    Never ``cache.clear()`` here: with Redis that is FLUSHDB, which would also wipe the
    Celery broker's queues and bindings when they share a database."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4().hex}",
        }
    }
    # Real password hashing costs ~0.3 s per user; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant()


@pytest.fixture
def other_tenant(db) -> Tenant:
    return make_tenant()


# --- a real Celery worker -----------------------------------------------------------------
def _database_url() -> str:
    """The URL of the test database (pytest-django has renamed it by now)."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class WorkerProcess:
    """A `celery worker` subprocess on the test database, consuming a queue of its own
    (so a developer's running worker never steals a test's message)."""

    def __init__(self, queue: str, log_dir: Path, env: dict[str, str]):
        self.queue, self.log_dir, self.env = queue, log_dir, env
        self.procs: list[subprocess.Popen] = []

    def start(self, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        n = len(self.procs)
        log = self.log_dir / f"worker-{n}.log"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "adminapp.celery_app",
                "worker",
                "-Q",
                self.queue,
                "--pool",
                "solo",
                "-n",
                f"test{n}-{self.queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            env={**self.env, **(extra_env or {})},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        self.procs.append(proc)
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{log.read_text()}")
            time.sleep(0.1)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL: the worker dies mid-task, as on a lost machine."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.log_dir.glob("worker-*.log")))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def worker_queue(transactional_db):
    """Route job messages to a queue only this test's workers consume."""
    from adminapp.celery_app import app

    queue = f"test-{uuid.uuid4().hex[:10]}"
    previous = app.conf.task_routes
    _set_routes(app, {"adminapp.jobs.run": {"queue": queue}})
    yield queue
    _set_routes(app, previous)


def _set_routes(app, routes) -> None:
    app.conf.task_routes = routes
    # Celery caches the routing table and router on first use.
    app.amqp._rtable = None
    app.amqp.__dict__.pop("router", None)


@pytest.fixture
def celery_workers(worker_queue, tmp_path):
    """Start workers on demand (``celery_workers.start(...)``); all stopped afterwards."""
    env = {**os.environ, "DATABASE_URL": _database_url(), "PYTHONPATH": str(ROOT)}
    workers = WorkerProcess(worker_queue, tmp_path, env)
    yield workers
    workers.stop()


@pytest.fixture
def celery_worker_process(celery_workers):
    """One running worker."""
    celery_workers.start()
    return celery_workers


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.1, message: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")
        time.sleep(interval)
