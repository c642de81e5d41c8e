#!/usr/bin/env python
"""Benchmark: installing a 5 MB plugin from the store (a job) vs unzipping the same archive
(goal: ≤ 3× the CPU).

    .venv/bin/python bench/plugins_install.py              # 10 installs
    .venv/bin/python bench/plugins_install.py --runs 20 --mb 5

The store: a directory made by this script in its temp dir (``PLUGINS_STORE_URL``, given to
gunicorn and the worker), laid out as ``python -m adminapp.plugins.store.build`` lays it out
(``archives.deterministic_zip`` of each version, ``index.json`` with sha256, size and meta).
It holds the plugin ``bench-install`` in one version per run (0.1.0 for a warm-up, then
1.0.0, 1.0.1, …): a valid macro plugin (plugin.json + ``report.py``) padded with ``--mb``
MB of data files, half text (compressible) and half random bytes, the same in every
version; only plugin.json's version differs, so each archive has its own sha256. The store
zips entries uncompressed (deterministic bytes), so the archive is the files' size.

**ours**: ``POST /api/v1/plugins/install/store {"plugin_id", "version"}`` on gunicorn → the
job's ``finished_at`` (SUCCEEDED), run by one Celery worker (prefork, concurrency 1) on
PostgreSQL — each version in turn, so the first is an install and the others updates
(a new version stored, unpacked and switched to each time). CPU = gunicorn + the worker +
their PostgreSQL backends, from ``/proc`` (``_catalog.Meter``).
**baseline**: in this process, ``zipfile.ZipFile(archive).extractall(tmp)`` of the same
archive plus its sha256 (the install checks it): wall and CPU (``time.process_time``).
Baseline and ours alternate, archive by archive; medians are compared (CPU primary).

Then, in-process, the install's step 1 (``plugins.jobs.prepare``) by part on one archive —
the store copy with its sha256 (taken as it is written), the unpack with the archive
checks, the manifest, the storage save (the work copy moved into place, as the install
does on a filesystem storage; and a copy of its bytes, as on any other) — to say where the
worker's time goes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _catalog as c  # noqa: E402
from bench import _harness as h  # noqa: E402

GOAL = 3.0
PLUGIN_ID = "bench-install"
FILES = 10  # data files: half text, half random bytes
WARMUPS = 2  # installs not counted: each gunicorn worker's first request, the worker's first job


def make_source(root: Path, version: str, mb: float) -> None:
    """A valid macro plugin (the shipped membership-report's manifest and entry) plus
    ``mb`` MB of data files, the same bytes for every version."""
    src = h.ROOT / "adminapp" / "plugins" / "store" / "src" / "membership-report"
    data = json.loads((src / "plugin.json").read_text())
    data["id"], data["version"] = PLUGIN_ID, version
    data["meta"]["label"] = "Bench install"
    root.mkdir(parents=True)
    (root / "plugin.json").write_text(json.dumps(data, indent=2))
    shutil.copy(src / "report.py", root / "report.py")
    (root / "data").mkdir()
    per_file = int(mb * 1024 * 1024 / FILES)
    rng = random.Random(11)  # noqa: S311 - padding, not secrets
    line = b"%08d the quick brown fox jumps over the lazy dog, again and again\n"
    for n in range(FILES):
        if n % 2:
            body = rng.randbytes(per_file)
        else:
            body = b"".join(line % i for i in range(per_file // len(line % 0) + 1))[:per_file]
        (root / "data" / f"part-{n:02d}.bin").write_bytes(body)


def build_store(store: Path, versions: list[str], mb: float) -> list[dict]:
    """``store/index.json`` and one archive per version, as the store's build tool makes
    them (validated with ``manifest.load`` first)."""
    from adminapp.plugins import archives, manifest

    store.mkdir()
    entries = []
    for version in versions:
        src = store.parent / "src" / f"{PLUGIN_ID}-{version}"
        make_source(src, version, mb)
        m = manifest.load(src)
        name = f"{m.id}-{m.version}.zip"
        sha = archives.deterministic_zip(src, store / name)
        entries.append(
            {
                "id": m.id,
                "version": m.version,
                "archive": name,
                "sha256": sha,
                "size": (store / name).stat().st_size,
                "meta": m.meta.model_dump(mode="json", by_alias=True),
            }
        )
        shutil.rmtree(src)
    (store / "index.json").write_text(json.dumps({"plugins": entries}, indent=2) + "\n")
    return entries


def forget_plugin() -> None:
    """The bench plugin as never installed (an earlier run's rows; its files went with
    that run's temp dir)."""
    from adminapp.plugins.models import Plugin

    Plugin.objects.filter(plugin_id=PLUGIN_ID).update(current=None)
    Plugin.objects.filter(plugin_id=PLUGIN_ID).delete()


def unzip(archive: Path, work: Path) -> tuple[float, float, str]:
    """The baseline: extract every entry and hash the archive; (wall s, CPU s, sha256)."""
    dest = Path(tempfile.mkdtemp(prefix="unzip-", dir=work))
    w0, c0 = time.perf_counter(), time.process_time()
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(dest)
    digest = hashlib.sha256()
    with open(archive, "rb") as fh:
        while block := fh.read(256 * 1024):
            digest.update(block)
    sha = digest.hexdigest()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    shutil.rmtree(dest)
    return wall, cpu, sha


def sched_cpu(pid: int) -> float | None:
    """On-CPU seconds of ``pid``'s threads from ``/proc/<pid>/task/*/schedstat`` (nanoseconds;
    ``/proc/<pid>/stat`` counts 10 ms ticks, too coarse for a job of a few tens of ms; a
    thread that ended between two samples is missed, gunicorn's request threads live on)."""
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, IndexError, ValueError):
                continue
    except OSError:
        return None
    return total / 1e9


class SchedMeter(c.Meter):
    """``c.Meter`` on schedstat, and split: the web (gunicorn), the worker, the backends."""

    def start(self) -> None:
        self.base = {p: v for p in self._pids() if (v := sched_cpu(p)) is not None}
        self.last = dict(self.base)
        self.roles: dict[int, str] = {}

    def sample(self) -> None:
        web, worker = (set(c.group_pids(g)) for g in self.groups)
        for p in self._pids():
            v = sched_cpu(p)
            if v is not None:
                self.last[p] = v
                self.roles[p] = "web" if p in web else "worker" if p in worker else "db"

    def by_role(self) -> dict[str, float]:
        out = {"web": 0.0, "worker": 0.0, "db": 0.0}
        for p, v in self.last.items():
            out[self.roles.get(p, "db")] += v - self.base.get(p, 0.0)
        return out


def warm_web(base: str, tenant) -> None:
    """Concurrent requests until both gunicorn workers have answered a few: a worker's
    first request loads the URLconf and the API (~0.3 s of CPU), not counted."""
    from concurrent.futures import ThreadPoolExecutor

    def get(_n: int) -> int:
        return h.fetch(f"{base}/api/v1/plugins/store", tenant.bearer)[0]

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(get, range(48)))
    if set(codes) != {200}:
        raise RuntimeError(f"GET /api/v1/plugins/store answered {sorted(set(codes))}")


def install(base: str, tenant, conn, groups: list[int], version: str):
    import requests

    meter = SchedMeter(conn, groups)
    meter.start()
    sent = time.time()
    resp = requests.post(
        f"{base}/api/v1/plugins/install/store",
        headers=tenant.bearer,
        json={"plugin_id": PLUGIN_ID, "version": version},
        timeout=60,
    )
    if resp.status_code != 202:
        raise RuntimeError(f"install {version}: HTTP {resp.status_code} {resp.text[:300]}")
    return c.wait_job(conn, resp.json()["id"], sent, meter, timeout=60), meter.by_role()


def parts(store: Path, entry: dict, work: Path) -> dict[str, float]:
    """``prepare``'s steps on one archive, in this process: CPU ms of each."""
    from django.core.files import File
    from django.core.files.storage import default_storage

    from adminapp.plugins import archives, manifest
    from adminapp.plugins import store as plugin_store
    from adminapp.plugins.jobs import WorkFile

    out: dict[str, float] = {}

    def timed(name, fn):
        c0 = time.process_time()
        value = fn()
        out[name] = (time.process_time() - c0) * 1000
        return value

    e = plugin_store.StoreEntry.model_validate(entry)
    d = Path(tempfile.mkdtemp(prefix="parts-", dir=work))
    z = d / "archive.zip"
    timed(
        "store copy + sha256 check (fetch_archive)",
        lambda: plugin_store.fetch_archive(e, z, str(store)),
    )
    root = timed("unpack with the checks (extract)", lambda: archives.extract(z, d / "files"))
    timed("manifest.load", lambda: manifest.load(root))

    # prepare() hands the storage its work copy to move into place (a rename on a filesystem
    # storage); a copy of the bytes, what any other storage does, is timed beside it.
    names = []
    for moved, label in (
        (True, "storage save: moved into place (installs)"),
        (False, "storage save: bytes copied (other storages)"),
    ):
        copy = shutil.copyfile(z, d / f"copy-{moved}.zip")
        with open(copy, "rb") as fh:
            content = WorkFile(fh) if moved else File(fh)
            name = f"plugins/bench-parts/{entry['sha256']}-{moved}.zip"
            names.append(timed(label, lambda n=name, c=content: default_storage.save(n, c)))
    for name in names:
        default_storage.delete(name)
    shutil.rmtree(d)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--mb", type=float, default=5.0)
    args = p.parse_args()
    var_dir = h.setup_env("plugins-install")
    store = var_dir / "store"
    os.environ["PLUGINS_STORE_URL"] = str(store)  # read by gunicorn and the worker at start
    signal.alarm(h.TIME_LIMIT)
    h.django_ready()
    tenant = h.ensure_tenant(slug="bench-plugins-install", name="Bench Plugins Install")
    from adminapp.accounts.models import User

    # Plugins are managed by instance admins (superusers): the bench owner is one.
    User.objects.filter(id=tenant.user_id).update(is_superuser=True)
    c.reset_jobs(tenant.org_id)
    forget_plugin()
    versions = [f"0.{n + 1}.0" for n in range(WARMUPS)] + [f"1.0.{n}" for n in range(args.runs)]
    entries = build_store(store, versions, args.mb)
    size = entries[0]["size"]

    import psycopg

    from adminapp.celery_app import app

    app.control.purge()
    h.close_db()
    base, gunicorn, _glog = h.start_gunicorn(var_dir)
    worker, wlog = c.start_worker(var_dir, "plugins-install")
    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    h.header(
        f"plugins_install — {args.runs} installs of a {size / 1e6:.2f} MB plugin from the store"
        " vs zipfile extract + sha256 of the same archive",
        [
            "ours: POST /api/v1/plugins/install/store (gunicorn) → job SUCCEEDED (finished_at),"
            " one celery worker (prefork, concurrency 1), PostgreSQL",
            "CPU (schedstat) = gunicorn + worker + their backends; baseline: this process's CPU",
            f"store: a directory of {len(entries)} versions (deterministic zips, index.json);"
            f" the first {WARMUPS} installs are warm-ups, each next one an update",
        ],
    )
    warm_web(base, tenant)
    work = var_dir / "unzip"
    work.mkdir()
    groups = [gunicorn.pid, worker.pid]
    base_wall, base_cpu, ours_wall, ours_cpu = [], [], [], []
    split_cpu: dict[str, list[float]] = {}
    for n, entry in enumerate(entries):
        archive = store / entry["archive"]
        bw, bc, sha = unzip(archive, work)
        if sha != entry["sha256"]:
            raise RuntimeError(f"{archive.name}: sha256 {sha} is not the index's")
        run, roles = install(base, tenant, conn, groups, entry["version"])
        result = run.result or {}
        if run.state != "SUCCEEDED" or result.get("version") != entry["version"]:
            raise RuntimeError(
                f"install {entry['version']} ({run.job_id}): {run.state} {run.error} {result}\n"
                + h.tail(wlog)
            )
        if result.get("sha256") != entry["sha256"]:
            raise RuntimeError(f"install {entry['version']}: sha256 {result.get('sha256')}")
        tag = "warm-up" if n < WARMUPS else f"{n - WARMUPS + 1:>2}/{args.runs}"
        print(
            f"  {tag:<8} {entry['version']:<7} {result.get('action', ''):<9}"
            f" ours {run.wall_s * 1000:7.0f} ms wall {run.cpu_s * 1000:6.0f} ms CPU"
            f" (web {roles['web'] * 1000:4.0f}, worker {roles['worker'] * 1000:4.0f},"
            f" db {roles['db'] * 1000:4.0f})"
            f"   unzip {bw * 1000:5.1f} ms wall {bc * 1000:5.1f} ms CPU",
            flush=True,
        )
        if n < WARMUPS:
            continue
        for role, v in roles.items():
            split_cpu.setdefault(role, []).append(v)
        base_wall.append(bw)
        base_cpu.append(bc)
        ours_wall.append(run.wall_s)
        ours_cpu.append(run.cpu_s)

    def med(values: list[float]) -> float:
        return statistics.median(values) * 1000

    ratio = med(ours_cpu) / med(base_cpu)
    wall_ratio = med(ours_wall) / med(base_wall)
    print(f"  unzip + sha256 (median)  {med(base_wall):8.1f} ms wall  {med(base_cpu):8.1f} ms CPU")
    print(
        f"  install job (median)     {med(ours_wall):8.1f} ms wall  {med(ours_cpu):8.1f} ms CPU"
        f" (web {med(split_cpu['web']):.1f}, worker {med(split_cpu['worker']):.1f},"
        f" db backends {med(split_cpu['db']):.1f})"
    )
    print(
        f"  ratio  install / unzip = {ratio:.2f}× CPU ({wall_ratio:.2f}× wall),"
        f" goal ≤ {GOAL}×: {h.verdict(ratio <= GOAL)}   ({h.load_note()})"
    )
    split = parts(store, entries[-1], work)
    print("  the install's step 1 in this process, CPU by part (one archive):")
    for name, ms in split.items():
        print(f"    {name:<44} {ms:7.1f} ms")
    h.save_result(
        "plugins_install",
        {
            "runs": args.runs,
            "archive_bytes": size,
            "unzip_wall_ms": round(med(base_wall), 2),
            "unzip_cpu_ms": round(med(base_cpu), 2),
            "install_wall_ms": round(med(ours_wall), 2),
            "install_cpu_ms": round(med(ours_cpu), 2),
            "cpu_ratio": round(ratio, 3),
            "wall_ratio": round(wall_ratio, 3),
            "install_cpu_ms_by_role": {k: round(med(v), 2) for k, v in split_cpu.items()},
            "step1_cpu_ms": {k: round(v, 2) for k, v in split.items()},
            "met": ratio <= GOAL,
        },
    )


if __name__ == "__main__":
    h.main_guard(main)
