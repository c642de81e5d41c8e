#!/usr/bin/env python
"""Benchmark: the catalog's two big jobs on SQLite, the embedded default — 1,000,000 global
key assignments and an import of 1,000,000 rows — against a hand-written SQLite floor, with
where the time goes (issue 9, Speed: "SQLite: report the same 1M-assign and 1M-import
figures; they need not meet the PostgreSQL ratios, but say where the time goes").

    .venv/bin/python bench/sqlite_catalog.py                 # 1,000,000 items (~4 minutes)
    .venv/bin/python bench/sqlite_catalog.py --rows 50000    # to try it out

SQLite runs inside the process that uses it, so both sides run in this process and their
CPU is this process's CPU (``time.process_time``): no web server, no broker.

**Ours**: the CSV given to the service a request would call (``global_keys_assign(upload=…)``,
``data_rows_import_file``), then the job run by the engine (``job_run``, exactly what the
worker's task does): staging, chunks, outcome items, checkpoints. Every SQL statement is
timed and the largest are printed (where the time goes).

**Floor**, same run, same database file: for the assign, the pairs loaded into a TEMP table
with ``executemany`` in one transaction, the same validations in SQL (repeats by a window
function, missing rows, keys taken) and one ``UPDATE … FROM`` on ``bench_sqlite_floor``, a
copy of the rows with ``catalog_datarow``'s indexes; for the import, ``executemany`` of the
same rows (ids made in Python) into that table's empty twin in one transaction. The floor
writes no outcome items.

A fresh database file in a temp dir per run (nothing kept).
"""

# SQL here names only this module's constant tables; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import collections
import csv
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _harness as h  # noqa: E402

FLOOR = "bench_sqlite_floor"
IMPORT_FLOOR = "bench_sqlite_import_floor"
TOP = 8


def setup(var_dir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def seed(org_id: str, space_id: str, dataset_id: str, rows: int) -> float:
    from django.db import connection, transaction

    began = time.perf_counter()
    sql = (
        "INSERT INTO catalog_datarow (id, organization_id, space_id, dataset_id, created_at,"
        " updated_at, row_data, external_id, metadata, global_key)"
        " VALUES (%s, %s, %s, %s, '2025-01-01 00:00:00', '2025-01-01 00:00:00', %s, %s, '{}', NULL)"
    )
    with transaction.atomic(), connection.cursor() as cur:
        for start in range(1, rows + 1, 100_000):
            cur.executemany(
                sql,
                [
                    (
                        row_id(n),
                        org_id,
                        space_id,
                        dataset_id,
                        f"https://img.example.com/{n}.jpg",
                        f"ext-{n}",
                    )
                    for n in range(start, min(start + 100_000, rows + 1))
                ],
            )
        cur.execute("UPDATE catalog_dataset SET row_count = %s WHERE id = %s", [rows, dataset_id])
    return time.perf_counter() - began


def row_id(n: int) -> str:
    return f"dr_sq{n:010d}"


class Statements:
    """Time per statement shape while a job runs (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.spent: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            shape = re.sub(r"catalog_stage_\w+", "<stage>", re.sub(r"\s+", " ", sql))[:80]
            entry = self.spent[shape + (" [many]" if many else "")]
            entry[0] += 1
            entry[1] += time.perf_counter() - began

    def top(self) -> list[str]:
        ranked = sorted(self.spent.items(), key=lambda kv: -kv[1][1])[:TOP]
        return [f"{s:7.2f} s {int(n):5d}×  {shape}" for shape, (n, s) in ranked]


def ours(start_job) -> tuple[float, float, Statements, object]:
    from django.db import connection

    from adminapp.jobs.engine import job_run
    from adminapp.jobs.models import Job

    statements = Statements()
    wall, cpu = time.perf_counter(), time.process_time()
    job = start_job()
    with connection.execute_wrapper(statements):
        job_run(job_id=job.id)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, statements, Job.objects.get(id=job.id)


def copy_table(name: str, *, empty: bool, org_id: str) -> None:
    """``name``: catalog_datarow's columns and every one of its indexes (from its DDL)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {name}")
        cur.execute(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'catalog_datarow' AND sql IS NOT NULL"
        )
        ddl = cur.fetchall()
        for kind, sql in sorted(ddl, key=lambda d: d[0] != "table"):
            sql = sql.replace('"catalog_datarow"', f'"{name}"').replace("catalog_datarow", name)
            if kind == "index":
                sql = re.sub(
                    r'INDEX "?(\w+)"?', lambda m: f'INDEX "{name}_{m.group(1)}"', sql, count=1
                )
            cur.execute(sql)
        if not empty:
            cur.execute(
                f"INSERT INTO {name} SELECT * FROM catalog_datarow WHERE organization_id = %s",
                [org_id],
            )


def floor_assign(pairs: Path, org_id: str) -> tuple[float, float]:
    from django.db import connection, transaction

    wall, cpu = time.perf_counter(), time.process_time()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS temp.items")
        cur.execute(
            "CREATE TEMP TABLE items (pos INTEGER PRIMARY KEY, row_id TEXT, gkey TEXT, code TEXT)"
        )
        with pairs.open(newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            cur.executemany("INSERT INTO items (row_id, gkey) VALUES (%s, %s)", list(reader))
        for col in ("LOWER(gkey)", "row_id"):
            cur.execute(
                f"""UPDATE items SET code = 'DUPLICATE_IN_REQUEST' WHERE pos IN (
                SELECT pos FROM (SELECT pos, ROW_NUMBER() OVER (PARTITION BY {col} ORDER BY pos) n
                FROM items WHERE code IS NULL) WHERE n > 1)"""
            )
        cur.execute(
            f"""UPDATE items SET code = 'DATA_ROW_NOT_FOUND' WHERE code IS NULL AND NOT EXISTS (
            SELECT 1 FROM {FLOOR} d WHERE d.id = items.row_id AND d.organization_id = %s)""",
            [org_id],
        )
        cur.execute(
            f"""UPDATE items SET code = 'KEY_TAKEN' WHERE code IS NULL AND EXISTS (
            SELECT 1 FROM {FLOOR} d WHERE d.organization_id = %s AND d.global_key IS NOT NULL
              AND LOWER(d.global_key) = LOWER(items.gkey) AND d.id <> items.row_id)""",
            [org_id],
        )
        cur.execute(
            f"""UPDATE {FLOOR} SET global_key = i.gkey, updated_at = CURRENT_TIMESTAMP
            FROM items i WHERE {FLOOR}.id = i.row_id AND i.code IS NULL"""
        )
    return time.perf_counter() - wall, time.process_time() - cpu


def floor_import(path: Path, org_id: str, space_id: str, dataset_id: str) -> tuple[float, float]:
    from django.db import connection, transaction

    from adminapp.core.ids import new_ids

    wall, cpu = time.perf_counter(), time.process_time()
    sql = (
        f"INSERT INTO {IMPORT_FLOOR} (id, organization_id, space_id, dataset_id, created_at,"
        " updated_at, row_data, external_id, metadata, global_key)"
        " VALUES (%s, %s, %s, %s, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, %s, %s, '{}', %s)"
    )
    with transaction.atomic(), connection.cursor() as cur, path.open(newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        while batch := [r for _, r in zip(range(50_000), reader, strict=False)]:
            ids = new_ids("dr", len(batch))
            cur.executemany(
                sql,
                [(i, org_id, space_id, dataset_id, *r) for i, r in zip(ids, batch, strict=True)],
            )
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=1_000_000)
    rows = p.parse_args().rows
    var_dir = h.setup_env("sqlite_catalog")
    signal_limit = max(h.TIME_LIMIT, int(120 + rows / 1_000_000 * 900))
    import signal

    signal.alarm(signal_limit)
    setup(var_dir)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from adminapp.accounts import principals
    from adminapp.accounts.models import AccountRole, User
    from adminapp.catalog.services.global_keys import global_keys_assign
    from adminapp.catalog.services.imports import data_rows_import_file
    from bench import _catalog as c

    tenant = h.ensure_tenant(slug="bench-sqlite", name="Bench SQLite")
    space_id, ds_id = c.ensure_dataset(tenant, space="Bench SQLite", dataset="keys")
    _, import_ds = c.ensure_dataset(tenant, space="Bench SQLite", dataset="imported")
    seeded = seed(tenant.org_id, space_id, ds_id, rows)
    actor = principals.for_user(
        User.objects.get(id=tenant.user_id), org_id=tenant.org_id, role=AccountRole.OWNER
    )

    pairs, imports = var_dir / "assign.csv", var_dir / "import.csv"
    with pairs.open("w", newline="") as fp, imports.open("w", newline="") as fi:
        wp, wi = csv.writer(fp), csv.writer(fi)
        wp.writerow(["data_row_id", "global_key"])
        wi.writerow(["row_data", "external_id", "global_key"])
        for n in range(1, rows + 1):
            wp.writerow([row_id(n), f"bench/img-{n}.jpg"])
            wi.writerow([f"https://img.example.com/in/{n}.jpg", f"in-{n}", f"import/{n}.jpg"])
    copy_table(FLOOR, empty=False, org_id=tenant.org_id)
    copy_table(IMPORT_FLOOR, empty=True, org_id=tenant.org_id)

    h.header(
        f"sqlite_catalog — {rows:,} items on SQLite (the embedded default), in-process: the job"
        " as the worker runs it vs a hand-written SQLite floor",
        [
            f"data:   {rows:,} data rows seeded in {seeded:.0f} s (a fresh database file)",
            "ours:   the service a request calls + job_run (staging, chunks, outcome items,"
            " checkpoints); CPU = this process",
            "floor:  executemany into a TEMP table + the same validations + one UPDATE … FROM"
            " (assign); executemany of the rows in one transaction (import); no outcome items",
        ],
    )
    results: dict = {"rows": rows}
    runs = (
        (
            "assign",
            lambda: global_keys_assign(
                actor=actor,
                upload=SimpleUploadedFile(
                    "assign.csv", pairs.read_bytes(), content_type="text/csv"
                ),
            ),
            lambda: floor_assign(pairs, tenant.org_id),
        ),
        (
            "import",
            lambda: data_rows_import_file(
                actor=actor,
                dataset_id=import_ds,
                file=imports.open("rb"),
                filename="import.csv",
                size=imports.stat().st_size,
            ),
            lambda: floor_import(imports, tenant.org_id, space_id, import_ds),
        ),
    )
    for name, start, floor in runs:
        wall, cpu, statements, job = ours(start)
        succeeded = (job.result or {}).get("succeeded", job.items_succeeded)
        if job.state != "SUCCEEDED":
            raise RuntimeError(f"{name}: {job.state} {job.error_code} {job.error_message}")
        fw, fc = floor()
        print(
            f"  {name:<7} ours   {c.fmt_s(wall)} wall  {c.fmt_s(cpu)} CPU   ({rows / wall:,.0f} items/s; {succeeded:,} succeeded)"
        )
        print(f"  {'':<7} floor  {c.fmt_s(fw)} wall  {c.fmt_s(fc)} CPU")
        print(
            f"  {'':<7} ratio  ours / floor = {cpu / fc:.2f}× CPU ({wall / fw:.2f}× wall); where ours goes:"
        )
        for line in statements.top():
            print(f"  {'':<9}{line}")
        print(flush=True)
        results[name] = {
            "ours_wall_s": round(wall, 2),
            "ours_cpu_s": round(cpu, 2),
            "floor_wall_s": round(fw, 2),
            "floor_cpu_s": round(fc, 2),
            "cpu_ratio_vs_floor": round(cpu / fc, 2),
            "top_statements": statements.top(),
        }
    h.save_result("sqlite_catalog", results)


if __name__ == "__main__":
    h.main_guard(main)
