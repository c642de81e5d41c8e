#!/usr/bin/env python
"""Benchmark: importing 1,000,000 data rows from a CSV file on PostgreSQL — upload →
job SUCCEEDED on a real worker, against ``COPY`` of the same file into a table with the same
indexes (goal ≤ 1.5×), and the worker's peak RSS (goal ≤ 300 MB).

    .venv/bin/python bench/imports.py                   # 1,000,000 rows
    .venv/bin/python bench/imports.py --rows 5000000    # the 5M-row run (~10 minutes)
    .venv/bin/python bench/imports.py --rows 50000      # to try it out

The file: ``row_data,external_id,global_key`` (a URL, ``ext-<n>``, ``img/<n>.jpg``).

**Ours**: ``POST /api/v1/datasets/{id}/imports`` (multipart, ``format=csv``) on gunicorn, run
by a Celery worker (prefork, concurrency 1, every queue): request sent → the job's
``finished_at``, and the CPU of gunicorn, the worker and their PostgreSQL backends meanwhile.
The worker's peak resident set is the largest ``VmHWM`` among its processes (``/proc``).

**Floor**, same run: ``COPY bench_import_floor (row_data, external_id, global_key) FROM
STDIN (FORMAT csv, HEADER)`` of the same file from one psycopg connection, into a table of
``catalog_datarow``'s shape with all of its indexes (``LIKE … INCLUDING ALL``: the primary
key, the dataset/time and external-id indexes, the unique key index, the prefix index) and
defaults for the other columns (an id from ``md5(random())``, the org, space, dataset,
``now()``). CPU = this process + its backend. The floor checks nothing beyond what the
indexes enforce.

The import's dataset (org ``bench-imports``) is emptied and ``catalog_datarow`` vacuumed before
the run (outside the timing), and the floor table truncated. Goals are judged on CPU time (wall
beside it). The floor table has the indexes but not the foreign keys (``LIKE`` copies none):
the import pays for ``catalog_datarow``'s one remaining foreign key (the dataset), checked per
row at commit.
"""

# SQL here names only this module's constant tables; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import csv
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _catalog as c  # noqa: E402
from bench import _harness as h  # noqa: E402

GOAL = 1.5
RSS_GOAL_MB = 300
FLOOR = "bench_import_floor"


def write_file(path: Path, rows: int) -> int:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["row_data", "external_id", "global_key"])
        for n in range(1, rows + 1):
            w.writerow([f"https://storage.example.com/images/{n}.jpg", f"ext-{n}", f"img/{n}.jpg"])
    return path.stat().st_size


def prepare_floor(org_id: str, space_id: str, dataset_id: str) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [FLOOR])
        if not cur.fetchone()[0]:
            cur.execute(f"CREATE TABLE {FLOOR} (LIKE {c.DATAROW_TABLE} INCLUDING ALL)")
        cur.execute(f"TRUNCATE {FLOOR}")
        for column, value in (
            ("id", "'dr_' || substr(md5(random()::text), 1, 26)"),
            ("organization_id", f"'{org_id}'"),  # ids: letters, digits and _ only
            ("space_id", f"'{space_id}'"),
            ("dataset_id", f"'{dataset_id}'"),
            ("created_at", "now()"),
            ("updated_at", "now()"),
            ("metadata", "'{}'::jsonb"),
            ("external_id", "''"),
        ):
            cur.execute(f"ALTER TABLE {FLOOR} ALTER {column} SET DEFAULT {value}")


def floor_copy(path: Path) -> tuple[float, float, int]:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        pid, cpu0 = c.backend_cpu(conn)
        wall, mine = time.perf_counter(), time.process_time()
        statement = (
            f"COPY {FLOOR} (row_data, external_id, global_key) FROM STDIN (FORMAT csv, HEADER)"
        )
        with conn.cursor() as cur:
            with cur.copy(statement) as copy, path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    copy.write(block)
            n = cur.rowcount
        conn.commit()
        wall = time.perf_counter() - wall
        cpu = time.process_time() - mine + (c.proc_cpu(pid) or 0.0) - cpu0
    return wall, cpu, n


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=1_000_000)
    args = p.parse_args()
    rows = args.rows

    var_dir = h.setup_env("imports")
    limit = max(h.TIME_LIMIT, int(60 + rows / 1_000_000 * 200))
    signal.alarm(limit)
    h.django_ready()
    tenant = h.ensure_tenant(slug="bench-imports", name="Bench Imports")
    space_id, ds_id = c.ensure_dataset(tenant, space="Bench imports", dataset="import")

    from django.db import connection, transaction

    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute(f"DELETE FROM {c.DATAROW_TABLE} WHERE dataset_id = %s", [ds_id])
        emptied = cur.rowcount
        cur.execute("UPDATE catalog_dataset SET row_count = 0 WHERE id = %s", [ds_id])
    if emptied:
        # The previous run's rows, deleted, are dead tuples until a vacuum: the import would
        # insert into a table (and indexes) full of them, the floor into a truncated one.
        with connection.cursor() as cur:
            cur.execute(f"VACUUM {c.DATAROW_TABLE}")
    emptied_s = time.perf_counter() - began
    c.reset_jobs(tenant.org_id)
    prepare_floor(tenant.org_id, space_id, ds_id)
    path = var_dir / "rows.csv"
    size = write_file(path, rows)

    import psycopg
    import requests

    from adminapp.celery_app import app

    app.control.purge()
    h.close_db()
    base, gunicorn, _glog = h.start_gunicorn(var_dir)
    worker, wlog = c.start_worker(var_dir, "imports")
    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)

    h.header(
        f"imports — {rows:,} rows from a {size / 1e6:.0f} MB CSV: upload → job SUCCEEDED"
        " vs COPY of the same file",
        [
            "ours:   POST /api/v1/datasets/{id}/imports on gunicorn + celery worker (prefork,"
            " concurrency 1); CPU = gunicorn + worker + their backends",
            "floor:  COPY … FROM STDIN (FORMAT csv) into a table with catalog_datarow's"
            " indexes, one connection; CPU = this process + its backend",
            f"before: the dataset emptied and the table vacuumed ({emptied:,} rows,"
            f" {emptied_s:.0f} s, not timed)",
        ],
    )
    meter = c.Meter(conn, [gunicorn.pid, worker.pid])
    meter.start()
    sent = time.time()
    with path.open("rb") as fh:
        resp = requests.post(
            f"{base}/api/v1/datasets/{ds_id}/imports",
            headers=tenant.bearer,
            files={"file": (path.name, fh, "text/csv")},
            data={"format": "csv"},
            timeout=300,
        )
    if resp.status_code != 202:
        raise RuntimeError(f"imports: HTTP {resp.status_code} {resp.text[:300]}")
    try:
        run = c.wait_job(conn, resp.json()["id"], sent, meter, timeout=limit)
    except h.BenchTimeout:
        print(h.tail(wlog))
        raise
    created = (run.result or {}).get("created")
    if run.state != "SUCCEEDED" or created != rows:
        raise RuntimeError(
            f"import job {run.job_id}: {run.state} {run.error} created={created}\n{h.tail(wlog)}"
        )
    rss, pid = c.peak_rss_mb(worker.pid)
    fw, fc, n = floor_copy(path)
    if n != rows:
        raise RuntimeError(f"the floor COPY loaded {n} rows, not {rows}")
    ratio, wall_ratio = run.cpu_s / fc, run.wall_s / fw
    print(
        f"  ours   {c.fmt_s(run.wall_s)} wall  {c.fmt_s(run.cpu_s)} CPU"
        f"   ({rows / run.wall_s:,.0f} rows/s; job {run.job_id})"
    )
    print(f"  floor  {c.fmt_s(fw)} wall  {c.fmt_s(fc)} CPU   ({rows / fw:,.0f} rows/s)")
    print(
        f"  ratio  ours / COPY = {ratio:.2f}× CPU ({wall_ratio:.2f}× wall),"
        f" goal ≤ {GOAL}×: {h.verdict(ratio <= GOAL)}"
    )
    print(
        f"  worker peak RSS (VmHWM, pid {pid}) {rss:.0f} MB, goal ≤ {RSS_GOAL_MB} MB:"
        f" {h.verdict(rss <= RSS_GOAL_MB)}"
    )
    h.save_result(
        "imports",
        {
            "rows": rows,
            "bytes": size,
            "ours_wall_s": round(run.wall_s, 3),
            "ours_cpu_s": round(run.cpu_s, 3),
            "floor_wall_s": round(fw, 3),
            "floor_cpu_s": round(fc, 3),
            "cpu_ratio": round(ratio, 3),
            "wall_ratio": round(wall_ratio, 3),
            "worker_peak_rss_mb": round(rss, 1),
            "met": ratio <= GOAL and rss <= RSS_GOAL_MB,
        },
    )


if __name__ == "__main__":
    h.main_guard(main)
