#!/usr/bin/env python
"""Benchmark: the shipped COCO importer plugin on a 100,000-image annotation file vs the
built-in JSON Lines import of the same rows (goal: ≤ 2× the CPU).

    .venv/bin/python bench/plugins_coco.py                  # 100,000 images
    .venv/bin/python bench/plugins_coco.py --images 20000   # to try it out

The COCO file: ``images`` (id, file_name, coco_url, width, height), two annotations per image
(a bbox and a small polygon) and 80 categories — the shape of ``instances_val2017.json``.
The JSONL file holds exactly the rows the importer makes of it (row_data = coco_url,
external_id = the id, metadata = file_name, width, height, category names, annotation count),
written by this script.

Both are uploaded with ``POST /api/v1/datasets/{id}/imports`` on gunicorn and run by one
Celery worker (prefork, concurrency 1) on PostgreSQL into datasets of their own, emptied first (both
gunicorn workers warmed by 48 requests first):
**ours** with ``format=coco-importer/coco`` (the plugin installed from the shipped store's
source, run in the sandbox), the **baseline** with ``format=jsonl``. CPU = gunicorn + the
worker + its plugin zygote and the plugin's child process (the zygote's waited-for children)
+ their database backends, request sent → the job's ``finished_at``. A warm-up import of 10
images through the plugin comes first: a worker process starts its zygote on its first run
of plugin code; that once-per-worker-process cost is reported apart (and the ratio a fresh
worker's first import would have with it).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _catalog as c  # noqa: E402
from bench import _harness as h  # noqa: E402

GOAL = 2.0
CATEGORIES = [f"category-{n}" for n in range(1, 81)]


def write_files(coco: Path, jsonl: Path, images: int) -> tuple[int, int]:
    with coco.open("w") as out, jsonl.open("w") as rows:
        out.write('{"info": {"description": "bench"}, "licenses": [], "images": [')
        for i in range(1, images + 1):
            image = {
                "id": i,
                "file_name": f"{i:012d}.jpg",
                "coco_url": f"http://images.cocodataset.org/val2017/{i:012d}.jpg",
                "width": 640,
                "height": 480,
                "license": 1,
                "date_captured": "2013-11-14 17:02:52",
            }
            out.write(("," if i > 1 else "") + json.dumps(image))
        out.write('], "annotations": [')
        for i in range(1, images + 1):
            first, second = 1 + i % 80, 1 + (i * 7) % 80
            for k, cat in enumerate((first, second)):
                ann = {
                    "id": 2 * i + k,
                    "image_id": i,
                    "category_id": cat,
                    "bbox": [10.5, 20.25, 100.0, 80.0],
                    "area": 8000.0,
                    "iscrowd": 0,
                    "segmentation": [[10.5, 20.25, 110.5, 20.25, 110.5, 100.25, 10.5, 100.25]],
                }
                out.write(("," if i > 1 or k else "") + json.dumps(ann))
            names = sorted({CATEGORIES[first - 1], CATEGORIES[second - 1]})
            row = {
                "row_data": f"http://images.cocodataset.org/val2017/{i:012d}.jpg",
                "metadata": {
                    "file_name": f"{i:012d}.jpg",
                    "categories": names,
                    "width": 640,
                    "height": 480,
                    "annotations": 2,
                },
                "external_id": str(i),
            }
            rows.write(json.dumps(row) + "\n")
        cats = [
            {"id": n, "name": name, "supercategory": "x"} for n, name in enumerate(CATEGORIES, 1)
        ]
        out.write('], "categories": ' + json.dumps(cats) + "}")
    return coco.stat().st_size, jsonl.stat().st_size


def install_coco(var_dir: Path) -> None:
    """The shipped coco-importer, stored and made current as an install leaves it."""
    from django.core.files import File
    from django.core.files.storage import default_storage

    from adminapp.plugins import archives
    from adminapp.plugins.models import Plugin, PluginVersion

    src = h.ROOT / "adminapp" / "plugins" / "store" / "src" / "coco-importer"
    data = json.loads((src / "plugin.json").read_text())
    zip_path = var_dir / "coco.zip"
    sha = archives.deterministic_zip(src, zip_path)
    with open(zip_path, "rb") as fh:
        name = default_storage.save(f"plugins/bench/{sha}.zip", File(fh))
    plugin, _ = Plugin.objects.update_or_create(plugin_id=data["id"], defaults={"enabled": True})
    version = PluginVersion.objects.create(
        plugin=plugin,
        version=data["version"],
        manifest=data,
        sha256=sha,
        archive=name,
        size=zip_path.stat().st_size,
    )
    plugin.current = version
    plugin.save(update_fields=["current", "updated_at"])


def empty(dataset_id: str) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {c.DATAROW_TABLE} WHERE dataset_id = %s", [dataset_id])  # noqa: S608
        cur.execute("UPDATE catalog_dataset SET row_count = 0 WHERE id = %s", [dataset_id])


def zygotes(parents: set[int]) -> set[int]:
    """The plugin zygotes started by ``parents`` (each is a session of its own, outside the
    worker's process group): the plugin processes are their children, not the worker's."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid in parents and b"runtime/zygote.py" in cmdline:
            found.add(int(entry.name))
    return found


class ChildrenMeter(c.Meter):
    """``c.Meter`` plus the CPU of the worker's waited-for children and of its plugin
    zygote with the zygote's waited-for children (the plugin processes)."""

    def _pids(self) -> list[int]:
        pids = super()._pids()
        return pids + sorted(zygotes(set(pids)) - set(pids))

    def _cpu(self, pid: int) -> float | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        ticks = int(fields[11]) + int(fields[12])
        if pid in self.with_children:
            ticks += int(fields[13]) + int(fields[14])  # cutime + cstime
        return ticks / c._CLK

    def start(self) -> None:
        self.with_children = {p for g in self.groups for p in c.group_pids(g)}
        self.with_children |= zygotes(self.with_children)
        self.base = {p: v for p in self._pids() if (v := self._cpu(p)) is not None}
        self.last = dict(self.base)

    def split(self) -> dict[str, float]:
        """CPU seconds by part: web (gunicorn), worker (the Celery worker process), plugin
        (its zygote and the plugin's child process) and db (the database backends)."""
        web = set(c.group_pids(self.groups[0]))
        worker = set(c.group_pids(self.groups[1]))
        out = {"web": 0.0, "worker": 0.0, "plugin": 0.0, "db": 0.0}
        for pid, cpu in self.last.items():
            spent = cpu - self.base.get(pid, 0.0)
            if pid in web:
                out["web"] += spent
            elif pid in worker:
                # a worker's waited-for children are its own (none here but an exec'd plugin)
                out["worker"] += spent
            elif pid in self.with_children:
                out["plugin"] += spent
            else:
                out["db"] += spent
        return out

    def sample(self) -> None:
        self.with_children |= {p for g in self.groups for p in c.group_pids(g)}
        self.with_children |= zygotes(self.with_children)
        for p in self._pids():
            v = self._cpu(p)
            if v is not None:
                self.last[p] = v


def warm_web(base: str, tenant) -> None:
    """Concurrent requests until both gunicorn workers have answered a few: a worker's
    first request loads the URLconf and the API (~0.3-0.5 s of CPU), which would count in
    whichever import it answered first (0.17 vs 0.69 s of web CPU, same upload)."""
    from concurrent.futures import ThreadPoolExecutor

    def get(_n: int) -> int:
        return h.fetch(f"{base}/api/v1/datasets/import-formats", tenant.bearer)[0]

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(get, range(48)))
    if set(codes) != {200}:
        raise RuntimeError(f"GET /api/v1/datasets/import-formats answered {sorted(set(codes))}")


def run_import(base, tenant, conn, dataset_id, path, fmt, meter_groups, limit):
    import requests

    meter = ChildrenMeter(conn, meter_groups)
    meter.start()
    sent = time.time()
    with path.open("rb") as fh:
        resp = requests.post(
            f"{base}/api/v1/datasets/{dataset_id}/imports",
            headers=tenant.bearer,
            files={"file": (path.name, fh, "application/octet-stream")},
            data={"format": fmt},
            timeout=300,
        )
    if resp.status_code != 202:
        raise RuntimeError(f"{fmt}: HTTP {resp.status_code} {resp.text[:300]}")
    run = c.wait_job(conn, resp.json()["id"], sent, meter, timeout=limit)
    run.split = meter.split()
    return run


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=100_000)
    args = p.parse_args()
    n = args.images
    var_dir = h.setup_env("plugins-coco")
    limit = max(h.TIME_LIMIT, int(60 + n / 100_000 * 120))
    signal.alarm(limit)
    h.django_ready()
    tenant = h.ensure_tenant(slug="bench-plugins-coco", name="Bench Plugins COCO")
    _space, coco_ds = c.ensure_dataset(tenant, space="Bench plugins", dataset="coco")
    _space, jsonl_ds = c.ensure_dataset(tenant, space="Bench plugins", dataset="coco-jsonl")
    empty(coco_ds)
    empty(jsonl_ds)
    c.reset_jobs(tenant.org_id)
    install_coco(var_dir)
    coco, jsonl = var_dir / "instances_bench.json", var_dir / "rows.jsonl"
    coco_size, jsonl_size = write_files(coco, jsonl, n)

    import psycopg

    from adminapp.celery_app import app

    app.control.purge()
    h.close_db()
    base, gunicorn, _glog = h.start_gunicorn(var_dir)
    worker, wlog = c.start_worker(var_dir, "plugins-coco")
    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    h.header(
        f"plugins_coco — {n:,} images: the COCO importer plugin ({coco_size / 1e6:.0f} MB"
        f" COCO JSON) vs the built-in JSONL import of the same rows ({jsonl_size / 1e6:.0f} MB)",
        [
            "both: POST /api/v1/datasets/{id}/imports on gunicorn + one celery worker"
            " (prefork, concurrency 1), PostgreSQL",
            "CPU = gunicorn + worker + the plugin's child process + their backends;"
            " sent → finished_at",
        ],
    )
    groups = [gunicorn.pid, worker.pid]
    warm_web(base, tenant)
    # A warm-up import of 10 images through the plugin: the worker process starts its plugin
    # zygote on its first run of plugin code (once per worker process), reported apart.
    tiny_coco, tiny_jsonl = var_dir / "tiny.json", var_dir / "tiny.jsonl"
    write_files(tiny_coco, tiny_jsonl, 10)
    warm = run_import(base, tenant, conn, coco_ds, tiny_coco, "coco-importer/coco", groups, limit)
    if warm.state != "SUCCEEDED":
        raise RuntimeError(f"warm-up import: {warm.state} {warm.error}\n" + h.tail(wlog))
    started = zygotes(set(c.group_pids(worker.pid)))
    zygote_cpu = sum(c.proc_cpu(z) or 0.0 for z in started)
    empty(coco_ds)
    base_run = run_import(base, tenant, conn, jsonl_ds, jsonl, "jsonl", groups, limit)
    ours = run_import(base, tenant, conn, coco_ds, coco, "coco-importer/coco", groups, limit)
    for name, run in (("jsonl", base_run), ("coco", ours)):
        created = (run.result or {}).get("created")
        if run.state != "SUCCEEDED" or created != n:
            raise RuntimeError(
                f"{name} import {run.job_id}: {run.state} {run.error} created={created}\n"
                + h.tail(wlog)
            )
    ratio, wall_ratio = ours.cpu_s / base_run.cpu_s, ours.wall_s / base_run.wall_s
    print(f"  jsonl (built in)  {c.fmt_s(base_run.wall_s)} wall  {c.fmt_s(base_run.cpu_s)} CPU")
    print(f"  coco (plugin)     {c.fmt_s(ours.wall_s)} wall  {c.fmt_s(ours.cpu_s)} CPU")
    for name, run in (("jsonl", base_run), ("coco", ours)):
        parts = "  ".join(f"{part} {seconds:.2f} s" for part, seconds in run.split.items())
        print(f"    {name} CPU by part: {parts}")
    first = (ours.cpu_s + zygote_cpu) / base_run.cpu_s
    print(
        f"  the worker's plugin zygote (started by the warm-up, {len(started)}):"
        f" {c.fmt_s(zygote_cpu)} CPU once per worker process; with it, a fresh worker's"
        f" first import: {first:.2f}× CPU"
    )
    print(
        f"  ratio  coco / jsonl = {ratio:.2f}× CPU ({wall_ratio:.2f}× wall),"
        f" goal ≤ {GOAL}×: {h.verdict(ratio <= GOAL)}   ({h.load_note()})"
    )
    h.save_result(
        "plugins_coco",
        {
            "images": n,
            "coco_bytes": coco_size,
            "jsonl_bytes": jsonl_size,
            "jsonl_wall_s": round(base_run.wall_s, 3),
            "jsonl_cpu_s": round(base_run.cpu_s, 3),
            "coco_wall_s": round(ours.wall_s, 3),
            "coco_cpu_s": round(ours.cpu_s, 3),
            "cpu_ratio": round(ratio, 3),
            "zygote_start_cpu_s": round(zygote_cpu, 3),
            "first_import_cpu_ratio": round(first, 3),
            "wall_ratio": round(wall_ratio, 3),
            "jsonl_cpu_split_s": {k: round(v, 3) for k, v in base_run.split.items()},
            "coco_cpu_split_s": {k: round(v, 3) for k, v in ours.split.items()},
            "met": ratio <= GOAL,
        },
    )


if __name__ == "__main__":
    h.main_guard(main)
