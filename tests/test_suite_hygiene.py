"""The suite cleans up after itself: a run (here a small one, in a subprocess) with a real
worker and a browser on the live server leaves no test database, no broker messages or keys
and no files behind, and never writes into the broker of a running ``manage.py up``."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.worker

ROOT = Path(__file__).resolve().parent.parent
TESTS = [
    "tests/jobs/test_worker.py::test_export_runs_on_the_worker_and_the_csv_has_every_matching_event",
    "tests/browser/test_dashboard.py::test_everything_above_also_works_with_javascript_off",
]
# The run must own itself: nothing of this (outer) run's state is passed down.
INHERITED_RUN = {
    "ADMINAPP_TEST_RUN",
    "ADMINAPP_TEST_RUN_OWNER",
    "ADMINAPP_TEST_RUN_DIR",
    "ADMINAPP_BROKER_DIR",
}


def _databases() -> set[str]:
    import psycopg

    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(url, autocommit=True) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


def _broker_keys(prefix: str) -> list[bytes]:
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        return list(client.scan_iter(match=f"{prefix}*"))
    finally:
        client.close()


def _on_redis() -> bool:
    return settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))


def test_a_run_leaves_no_database_broker_state_or_files_behind():
    run = uuid.uuid4().hex[:10]
    run_dir = Path(tempfile.gettempdir()) / f"adminapp-test-{run}"
    app_broker = Path(settings.BASE_DIR) / "var" / "broker" / "queue"
    before = set(app_broker.iterdir()) if app_broker.is_dir() else set()
    redis_before = set(_broker_keys("")) if _on_redis() else set()

    env = {k: v for k, v in os.environ.items() if k not in INHERITED_RUN}
    env["ADMINAPP_TEST_RUN"] = run
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "error::pytest.PytestWarning",
            *TESTS,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "passed" in output
    assert "teardown test databases" not in output, output[-3000:]

    assert not run_dir.exists(), sorted(str(p) for p in run_dir.rglob("*"))
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        assert not {name for name in _databases() if name.endswith(f"_{run}")}
    if _on_redis():
        assert _broker_keys(f"adminapp-test-{run}:") == []
        # Nor anything of a test's queues outside the run's prefix (as before: the queues,
        # bindings and messages of every test stayed in the database).
        left = set(_broker_keys("")) - redis_before
        assert not {k for k in left if b"test-" in k and not k.startswith(b"adminapp-test-")}
    # A running `manage.py up` keeps its messages here: the run put nothing there.
    after = set(app_broker.iterdir()) if app_broker.is_dir() else set()
    assert not {p.name for p in after - before if ".test-" in p.name}
