"""Plumbing the catalog benchmarks share (``global_keys.py``, ``imports.py``,
``catalog_pages.py``); not a benchmark itself.

- ``ensure_dataset``: a space and a dataset in a bench tenant's org, through the services.
- ``seed_rows``: data rows inserted set-based (``generate_series``), idempotent per chunk
  like ``_harness.seed_events``: ids ``dr_<prefix><10-digit n>``, ``created_at`` one
  millisecond apart in ``n`` order (so the dataset's order is ``n``), optional keys
  ``<key_prefix><n>``; the dataset's ``row_count`` is set to what is there.
- ``start_worker``: a real Celery worker (every queue, prefork, concurrency 1) in its own
  process group, returned once it consumes (a ``bench.noop`` task round trip).
- ``Meter``: the CPU time of process groups (gunicorn, the worker: master and pool) plus the
  bench database's client backends, sampled while a job runs (a backend that comes and goes
  between two samples is missed: the web request's; the worker keeps its connection).
- ``wait_job``: polls ``jobs_job`` until the job ends, sampling the meter.
- ``peak_rss_mb``: the largest ``VmHWM`` (peak resident set) among a process group's
  processes, read from ``/proc`` — the pool process that ran the job.
"""

# SQL here names only constant tables; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench import _harness as h

TERMINAL = {"SUCCEEDED", "FAILED", "ABORTED"}
DATAROW_TABLE = "catalog_datarow"


# --- tenants, datasets, rows ----------------------------------------------------------------
def ensure_dataset(tenant: h.Tenant, *, space: str, dataset: str) -> tuple[str, str]:
    """(space id, dataset id), created through the services when missing."""
    from adminapp.accounts import principals
    from adminapp.accounts.models import AccountRole, User
    from adminapp.catalog.models import Dataset
    from adminapp.catalog.services.datasets import dataset_create
    from adminapp.spaces.models import Space
    from adminapp.spaces.services.spaces import space_create

    user = User.objects.get(id=tenant.user_id)
    actor = principals.for_user(user, org_id=tenant.org_id, role=AccountRole.OWNER)
    found = Space.objects.filter(
        organization_id=tenant.org_id, name=space, deleted_at__isnull=True
    ).first()
    if found is None:
        found = space_create(actor=actor, name=space)
    ds = Dataset.objects.filter(space_id=found.id, name=dataset, deleted_at__isnull=True).first()
    if ds is None:
        ds = dataset_create(actor=actor, space=found.id, name=dataset)
    return found.id, ds.id


def row_id(prefix: str, n: int) -> str:
    return f"dr_{prefix}{n:010d}"


def seed_rows(
    tenant: h.Tenant,
    space_id: str,
    dataset_id: str,
    *,
    prefix: str,
    count: int,
    key_prefix: str | None = None,
    chunk: int = 200_000,
) -> float:
    """``count`` rows in the dataset (see the module docstring); seconds spent inserting."""
    from django.db import connection, transaction

    assert len(prefix) + 13 <= 40
    spent = 0.0
    with connection.cursor() as cur:
        for start in range(1, count + 1, chunk):
            stop = min(start + chunk - 1, count)
            ends = [row_id(prefix, start), row_id(prefix, stop)]
            cur.execute(f"SELECT count(*) FROM {DATAROW_TABLE} WHERE id = ANY(%s)", [ends])  # noqa: S608
            if cur.fetchone()[0] == len(set(ends)):
                continue
            began = time.perf_counter()
            with transaction.atomic():
                cur.execute("SET LOCAL synchronous_commit = off")
                cur.execute(
                    f"""
                INSERT INTO {DATAROW_TABLE} (id, organization_id, space_id, dataset_id,
                    created_at, updated_at, row_data, external_id, metadata, global_key)
                SELECT 'dr_' || %(prefix)s || lpad(i::text, 10, '0'), %(org)s, %(space)s,
                    %(dataset)s, ts, ts,
                    'https://storage.example.com/images/' || i || '.jpg', 'ext-' || i,
                    '{{}}'::jsonb,
                    CASE WHEN %(keys)s::text IS NULL THEN NULL ELSE %(keys)s || i END
                FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS i,
                    LATERAL (SELECT timestamptz '2025-01-01 00:00:00+00'
                                    + i * interval '1 millisecond' AS ts) AS t
                ON CONFLICT (id) DO NOTHING
                """,  # noqa: S608 - table name is a constant
                    {
                        "prefix": prefix,
                        "org": tenant.org_id,
                        "space": space_id,
                        "dataset": dataset_id,
                        "keys": key_prefix,
                        "start": start,
                        "stop": stop,
                    },
                )
            spent += time.perf_counter() - began
        if spent:
            cur.execute(
                "UPDATE catalog_dataset SET row_count = (SELECT count(*) FROM"
                f" {DATAROW_TABLE} WHERE dataset_id = %s) WHERE id = %s",  # noqa: S608
                [dataset_id, dataset_id],
            )
            cur.execute(f"VACUUM ANALYZE {DATAROW_TABLE}")
    return spent


def reset_jobs(org_id: str) -> None:
    """Forget the org's earlier jobs. Their items (millions per run here) go with a TRUNCATE
    of ``jobs_jobitem``: in the bench database every job is disposable (``job_latency``
    deletes its own each run) and a DELETE of millions of items would cost a minute."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE jobs_jobitem")
        cur.execute("DELETE FROM jobs_job WHERE organization_id = %s", [org_id])


# --- processes ------------------------------------------------------------------------------
def group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid:  # fields: state ppid pgrp ...
                pids.append(int(entry.name))
    return pids


def peak_rss_mb(pgid: int) -> tuple[float, int]:
    """(largest VmHWM in MB, its pid) among the group's processes."""
    best, who = 0.0, 0
    for pid in group_pids(pgid):
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                kb = int(line.split()[1])
                if kb / 1024 > best:
                    best, who = kb / 1024, pid
    return best, who


def start_worker(var_dir: Path, name: str, *, env: dict[str, str] | None = None, wait: bool = True):
    """A Celery worker as production runs it (every queue, prefork) with concurrency 1,
    plus ``bench.noop`` to know when it consumes (``wait``; not when it may take up a killed
    worker's job as it starts: the noop would queue behind it). Returns (process, log)."""
    import redis

    from bench.noop_task import noop, result_key

    log = var_dir / f"worker-{name}.log"
    saved = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    try:
        proc = h.spawn(
            [
                str(h.BIN / "celery"),
                "-A",
                "adminapp.celery_app",
                "worker",
                "--concurrency",
                "1",
                "-I",
                "bench.noop_task",
                "--loglevel",
                "WARNING",
                "-n",
                f"bench-{name}-{os.getpid()}-{uuid.uuid4().hex[:6]}@%h",
            ],
            log=log,
        )
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if not wait:
        return proc, log
    # No socket timeout: redis-py (8.x) reads with 5 s by default, shorter than the BLPOP
    # wait below, and a worker starting on a busy machine takes longer than that.
    rds = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=None)
    token = uuid.uuid4().hex
    noop.apply_async(args=[token], queue="jobs.io")
    if rds.blpop([result_key(token)], timeout=60) is None:
        raise RuntimeError("the worker did not start within 60 s\n" + h.tail(log))
    return proc, log


# --- CPU accounting while a job runs --------------------------------------------------------
_CLK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _CLK


class Meter:
    """CPU seconds spent by the given process groups and the bench database's client
    backends (not the meter's own) between ``start`` and the last ``sample``."""

    def __init__(self, conn, groups: list[int]):
        self.conn, self.groups = conn, groups
        self.own = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        self.base: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def _pids(self) -> list[int]:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchall()
        return [r[0] for r in rows] + [p for g in self.groups for p in group_pids(g)]

    def start(self) -> None:
        self.base = {p: c for p in self._pids() if (c := proc_cpu(p)) is not None}
        self.last = dict(self.base)

    def sample(self) -> None:
        for p in self._pids():
            c = proc_cpu(p)
            if c is not None:
                self.last[p] = c

    @property
    def seconds(self) -> float:
        return sum(c - self.base.get(p, 0.0) for p, c in self.last.items())


@dataclass
class JobRun:
    job_id: str
    state: str
    outcome: str
    wall_s: float  # request sent → finished_at (the worker's commit, same clock)
    cpu_s: float
    result: dict | None
    error: str


def wait_job(conn, job_id: str, sent: float, meter: Meter, *, timeout: float) -> JobRun:
    deadline = time.monotonic() + timeout
    while True:
        row = conn.execute(
            "SELECT state, outcome, finished_at, result, error_message FROM jobs_job WHERE id = %s",
            [job_id],
        ).fetchone()
        meter.sample()
        if row and row[0] in TERMINAL:
            state, outcome, finished, result, error = row
            return JobRun(
                job_id, state, outcome, finished.timestamp() - sent, meter.seconds, result, error
            )
        if time.monotonic() > deadline:
            raise h.BenchTimeout(f"job {job_id} not finished after {timeout:.0f} s")
        time.sleep(0.1)


def backend_cpu(conn) -> tuple[int, float]:
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    return pid, proc_cpu(pid) or 0.0


def fmt_s(seconds: float) -> str:
    return f"{seconds:7.2f} s"
