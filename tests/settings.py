"""The test suite's settings: ``adminapp.settings`` with every piece of shared local state
of the run's own, so that a running ``manage.py up``, a developer's worker or another test
run is never touched, and ``tests/conftest.py`` removes it all when the run ends:

- the SQLite test database (and its WAL files) and the filesystem broker's folders live in
  one temporary directory per run;
- on PostgreSQL the test database is ``test_<name>_<run>``;
- on Redis every broker key starts with ``adminapp-test-<run>:`` (Kombu's
  ``global_keyprefix``), so queues, bindings and unacked messages can be found and deleted.

Worker processes the tests start inherit the run through the environment variables set
here (before ``adminapp.settings`` reads them).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

TEST_RUN = os.environ.setdefault("ADMINAPP_TEST_RUN", uuid.uuid4().hex[:10])
# The first process to load these settings (pytest) owns the run and cleans up after it;
# the workers it starts inherit the run but not the ownership.
if not os.environ.get("ADMINAPP_TEST_RUN_OWNER"):
    os.environ["ADMINAPP_TEST_RUN_OWNER"] = str(os.getpid())
OWNS_TEST_RUN = os.environ["ADMINAPP_TEST_RUN_OWNER"] == str(os.getpid())
TEST_RUN_DIR = Path(
    os.environ.setdefault(
        "ADMINAPP_TEST_RUN_DIR", str(Path(tempfile.gettempdir()) / f"adminapp-test-{TEST_RUN}")
    )
)
TEST_RUN_DIR.mkdir(parents=True, exist_ok=True)
os.environ.setdefault("ADMINAPP_BROKER_DIR", str(TEST_RUN_DIR / "broker"))

from adminapp.settings import *  # noqa: E402, F403
from adminapp.settings import CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_BROKER_URL, DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory: worker processes and the live server share it (workers get its
    # path in DATABASE_URL).
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_RUN_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{TEST_RUN}"}

BROKER_KEY_PREFIX = f"adminapp-test-{TEST_RUN}:"
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "global_keyprefix": BROKER_KEY_PREFIX,
    }

# A worker's timer thread sleeps up to this long between checks, and a stopping worker waits
# for it: 1 s by default, 0.1 s here so that test workers stop in a fraction of a second.
CELERY_WORKER_TIMER_PRECISION = 0.1
