from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.factories import Tenant, make_tenant

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    parser.addoption(
        "--deep",
        action="store_true",
        default=False,
        help="Property-based API tests (schemathesis) with many more cases per operation.",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--deep"):
        for item in items:  # thousands of generated cases: no per-test time limit
            if item.module.__name__.endswith("test_schemathesis"):
                item.add_marker(pytest.mark.timeout(0))


def pytest_sessionfinish(session, exitstatus):
    """Remove the run's own state (tests/settings.py): its temporary directory (SQLite test
    database, broker folders, WAL files) and its broker keys in Redis. pytest-django has
    dropped the test database itself by now."""
    from django.conf import settings

    if not getattr(settings, "OWNS_TEST_RUN", False):
        return
    shutil.rmtree(settings.TEST_RUN_DIR, ignore_errors=True)
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        try:
            keys = list(client.scan_iter(match=f"{settings.BROKER_KEY_PREFIX}*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])
        except redis.RedisError as exc:  # the suite's result stands; say what is left
            print(f"\nCould not remove the test run's broker keys from Redis: {exc}")
        finally:
            client.close()


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


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3-compatible server (moto) on loopback for the whole run."""
    from tests import s3

    server = s3.start(tmp_path_factory.mktemp("moto"))
    yield server
    server.process.terminate()
    server.process.wait(10)


@pytest.fixture
def s3_bucket(s3_server, settings):
    """Django's default storage in a new bucket of that server: returns the bucket's name."""
    from tests import s3

    bucket = s3_server.new_bucket()
    settings.STORAGES = s3.storages_for(s3_server, bucket, settings.STORAGES)
    return bucket


@pytest.fixture
def var_dir(settings, tmp_path, monkeypatch):
    """A var/ of the test's own (seed_demo's password file), and no password from the
    environment."""
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    settings.VAR_DIR = tmp_path
    return tmp_path


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
    """`celery worker` subprocesses on the test database. They consume the job queues of
    this test only (``JOB_QUEUE_PREFIX`` is unique per test), so a developer's running
    worker never steals a test's message, and they know the test job kinds."""

    def __init__(self, prefix: str, log_dir: Path, env: dict[str, str]):
        self.prefix, self.log_dir, self.env = prefix, log_dir, env
        self.procs: list[subprocess.Popen] = []

    def start(
        self, extra_env: dict[str, str] | None = None, *, queues: tuple[str, ...] | None = None
    ) -> subprocess.Popen:
        """A worker consuming ``queues`` (job queue names; default: all of them)."""
        from adminapp.jobs.kinds import Queue

        n = len(self.procs)
        log = self.log_dir / f"worker-{n}.log"
        names = ",".join(f"{self.prefix}{q}" for q in (queues or tuple(Queue)))
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "adminapp.celery_app",
                "worker",
                "-Q",
                names,
                "--include",
                "tests.jobs.kinds",
                "--pool",
                "solo",
                "-n",
                f"test{n}-{uuid.uuid4().hex[:6]}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            env={**self.env, "JOB_QUEUE_PREFIX": self.prefix, **(extra_env or {})},
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
        """A warm stop, as in production (SIGTERM: a running task is finished first, the
        worker's probe is removed), of every worker at once. It takes about half a second on
        the embedded broker (``adminapp.core.broker`` stops polling at once; the timer's
        precision is 0.1 s in tests/settings.py), about 1.5 s on Redis. A worker still there
        after 15 s is killed, and the test fails."""
        running = [proc for proc in self.procs if proc.poll() is None]
        for proc in running:
            os.killpg(proc.pid, signal.SIGTERM)
        deadline, stuck = time.monotonic() + 15, []
        for proc in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
                stuck.append(proc.pid)
        if stuck:
            raise AssertionError(f"workers {stuck} did not stop on SIGTERM:\n{self.logs()[-3000:]}")


@pytest.fixture
def worker_queue(transactional_db, settings):
    """Send this test's jobs to queues of its own (no worker consumes them unless the test
    starts one with ``celery_workers``); returns the queue-name prefix."""
    prefix = f"test-{uuid.uuid4().hex[:10]}."
    settings.JOB_QUEUE_PREFIX = prefix
    return prefix


@pytest.fixture
def celery_workers(worker_queue, tmp_path, settings):
    """Start workers on demand (``celery_workers.start(...)``); all stopped afterwards. They
    and the test share one MEDIA_ROOT of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "PYTHONPATH": str(ROOT),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    workers = WorkerProcess(worker_queue, tmp_path, env)
    yield workers
    workers.stop()


@pytest.fixture
def celery_worker_process(celery_workers):
    """One running worker."""
    celery_workers.start()
    return celery_workers
