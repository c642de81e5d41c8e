#!/usr/bin/env python
"""Benchmark: exporting a dataset of 1,000,000 rows to a repo on a loopback S3 server as the
real export job — API submit → job SUCCEEDED on a real worker — against an ``aws s3 cp`` of
the same bytes (boto3 ``upload_file``) in the same run; and the worker's peak RSS (goal
≤ 300 MB: the export streams). Issue 10, Speed.

    .venv/bin/python bench/storage_export.py                  # 1,000,000 rows
    .venv/bin/python bench/storage_export.py --rows 20000     # to try it out

The dataset (org ``bench-storage-export``, one dataset per size: ``export <rows>``; rows
``dr_sx<rows>_…`` with a URL, ``ext-<n>`` and the key ``exp<rows>/<n>``) is seeded once with
``generate_series`` and kept. Each run starts its own S3 server (moto's standalone server on
loopback, as ``tests/s3.py`` does), a bucket, and — replacing the previous run's — a bucket
config (hmac, its ``endpoint_url`` the server) and the repo ``export`` through the services.

**Ours**: ``POST /api/v1/storage/repos/export/exports`` on gunicorn, run by a Celery worker
(prefork, concurrency 1, every queue): request sent → the job's ``finished_at``; CPU of
gunicorn, the worker and their PostgreSQL backends meanwhile (``_catalog.Meter``). The worker's
peak resident set is the largest ``VmHWM`` among its processes.

**Baseline**, same run: the exported object downloaded once (not timed) to a local file,
checked (its size is the job's ``bytes``, one line per row), and uploaded again with boto3's
``upload_file`` — what ``aws s3 cp`` does: 8 MiB parts, 10 threads — to another key of the
same bucket; wall and this process's CPU (all its threads). Its "rows/s" is the rows that file
holds over its wall time. The S3 server's own CPU is printed beside each (it is not ours).

Then, in-process (not the worker), where the job's time goes: reading the rows in the job's
keyset batches through the ORM, and encoding them as lines, without uploading; and for scale,
the same rows streamed out of PostgreSQL by one ``COPY (SELECT …) TO STDOUT``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _catalog as c  # noqa: E402
from bench import _harness as h  # noqa: E402

RSS_GOAL_MB = 300
SLUG = "bench-storage-export"
REPO = "export"
CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}  # moto's fake


def start_s3(var_dir: Path):
    """moto's S3 server on a free loopback port, in its own process group."""
    port = h.free_port()
    url = f"http://127.0.0.1:{port}"
    proc = h.spawn(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        log=var_dir / "moto.log",
    )
    h.wait_http(f"{url}/moto-api/", proc=proc)
    return url, proc


def boto(url: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["access_key_id"],
        aws_secret_access_key=CREDENTIALS["secret_access_key"],
    )


def group_cpu(pgid: int) -> float:
    return sum(c.proc_cpu(p) or 0.0 for p in c.group_pids(pgid))


def fresh_repo(tenant: h.Tenant, url: str, bucket: str) -> None:
    """This run's bucket config and repo (the previous run's server and its secret, sealed
    under a key that was in that run's temp dir, are gone)."""
    from adminapp.accounts import principals
    from adminapp.accounts.models import AccountRole, User
    from adminapp.storage.models import BucketConfig, Repo
    from adminapp.storage.services import bucket_config_create, repo_create

    Repo.objects.filter(organization_id=tenant.org_id).delete()
    BucketConfig.objects.filter(organization_id=tenant.org_id).delete()
    user = User.objects.get(id=tenant.user_id)
    actor = principals.for_user(user, org_id=tenant.org_id, role=AccountRole.OWNER)
    bucket_config_create(
        actor=actor,
        nickname="loopback",
        uri=f"s3://{bucket}/bench",
        extra_config={"endpoint_url": url, "region_name": "us-east-1"},
        auth_config={"method": "hmac", **CREDENTIALS},
    )
    repo_create(actor=actor, name=REPO, prefix="export")


def breakdown(dataset_id: str) -> tuple[float, float, float, int]:
    """(wall of reading, CPU of reading, encoding seconds, bytes): the job's loop without
    its upload, in this process (reading = the ORM query per batch of 500 and its rows)."""
    from adminapp.storage.transfers import EXPORT_BATCH_ROWS, _row_line, _rows_after

    read_wall = read_cpu = encode = 0.0
    size, last = 0, None
    while True:
        w, p = time.perf_counter(), time.process_time()
        batch = _rows_after(dataset_id, last, EXPORT_BATCH_ROWS)
        read_wall += time.perf_counter() - w
        read_cpu += time.process_time() - p
        p = time.process_time()
        size += sum(len(_row_line(row)) for row in batch)
        encode += time.process_time() - p
        if len(batch) < EXPORT_BATCH_ROWS:
            return read_wall, read_cpu, encode, size
        last = [batch[-1]["created_at"].isoformat(), batch[-1]["id"]]


def copy_read(dataset_id: str) -> tuple[float, int]:
    """(wall seconds, bytes) of the same rows, in the same order, streamed out of PostgreSQL
    by one ``COPY (SELECT …) TO STDOUT``: what reading them costs without the ORM."""
    import psycopg

    sql = (
        "COPY (SELECT row_data, external_id, global_key FROM catalog_datarow"
        " WHERE dataset_id = %s ORDER BY created_at, id) TO STDOUT"
    )
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn, conn.cursor() as cur:
        began, size = time.perf_counter(), 0
        with cur.copy(sql, [dataset_id]) as copy:
            for block in copy:
                size += len(block)
        return time.perf_counter() - began, size


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=1_000_000)
    args = p.parse_args()
    rows = args.rows

    var_dir = h.setup_env("storage_export")
    limit = max(h.TIME_LIMIT, int(90 + rows / 1_000_000 * 240))
    signal.alarm(limit)
    h.django_ready()
    tenant = h.ensure_tenant(slug=SLUG, name="Bench Storage Export")
    space_id, ds_id = c.ensure_dataset(tenant, space="Bench export", dataset=f"export {rows}")
    seeded = c.seed_rows(
        tenant, space_id, ds_id, prefix=f"sx{rows}_", count=rows, key_prefix=f"exp{rows}/"
    )
    c.reset_jobs(tenant.org_id)

    import psycopg
    import requests
    from boto3.s3.transfer import TransferConfig

    from adminapp.celery_app import app

    s3_url, moto = start_s3(var_dir)
    s3 = boto(s3_url)
    bucket = f"bench-export-{os.getpid()}"
    s3.create_bucket(Bucket=bucket)
    fresh_repo(tenant, s3_url, bucket)

    app.control.purge()
    h.close_db()
    base, gunicorn, _glog = h.start_gunicorn(var_dir)
    worker, wlog = c.start_worker(var_dir, "storage-export")
    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    h.header(
        f"storage_export — {rows:,} rows exported as JSONL to a loopback S3 server: API submit"
        " → job SUCCEEDED vs boto3 upload_file of the same bytes",
        [
            f"data:   {rows:,} rows in one dataset"
            + (f" (seeded now in {seeded:.0f} s)" if seeded else " (kept from an earlier run)"),
            "ours:   POST /api/v1/storage/repos/export/exports on gunicorn + celery worker"
            " (prefork, concurrency 1); CPU = gunicorn + worker + their backends",
            "base:   boto3 upload_file (aws s3 cp: 8 MiB parts, 10 threads) of the exported"
            " object, downloaded first; CPU = this process",
            f"store:  moto server {s3_url} (its CPU printed beside, not counted)",
        ],
    )

    meter = c.Meter(conn, [gunicorn.pid, worker.pid])
    meter.start()
    moto0 = group_cpu(moto.pid)
    sent = time.time()
    resp = requests.post(
        f"{base}/api/v1/storage/repos/{REPO}/exports",
        headers=tenant.bearer,
        json={"dataset_id": ds_id, "object_name": f"rows-{rows}"},
        timeout=60,
    )
    if resp.status_code != 202:
        raise RuntimeError(f"export: HTTP {resp.status_code} {resp.text[:300]}")
    try:
        run = c.wait_job(conn, resp.json()["id"], sent, meter, timeout=limit)
    except h.BenchTimeout:
        print(h.tail(wlog))
        raise
    ours_moto = group_cpu(moto.pid) - moto0
    result = run.result or {}
    if run.state != "SUCCEEDED" or result.get("rows") != rows:
        raise RuntimeError(
            f"export job {run.job_id}: {run.state} {run.error} {result}\n{h.tail(wlog)}"
        )
    rss, pid = c.peak_rss_mb(worker.pid)
    key = f"bench/export/rows-{rows}.jsonl"

    local = var_dir / "exported.jsonl"
    s3.download_file(bucket, key, str(local))
    size = local.stat().st_size
    with local.open("rb") as fh:
        lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    if size != result.get("bytes") or lines != rows:
        raise RuntimeError(f"the object holds {size} bytes, {lines} lines; the job said {result}")

    moto0 = group_cpu(moto.pid)
    wall, cpu = time.perf_counter(), time.process_time()
    s3.upload_file(str(local), bucket, "baseline/rows.jsonl", Config=TransferConfig())
    base_wall, base_cpu = time.perf_counter() - wall, time.process_time() - cpu
    base_moto = group_cpu(moto.pid) - moto0
    head = s3.head_object(Bucket=bucket, Key="baseline/rows.jsonl")
    if head["ContentLength"] != size:
        raise RuntimeError(f"the baseline upload stored {head['ContentLength']} bytes of {size}")

    wall_ratio, cpu_ratio = run.wall_s / base_wall, run.cpu_s / base_cpu
    print(
        f"  ours      {c.fmt_s(run.wall_s)} wall  {c.fmt_s(run.cpu_s)} CPU"
        f"   {rows / run.wall_s:>10,.0f} rows/s  {size / run.wall_s / 1e6:6.1f} MB/s"
        f"   (S3 server CPU {ours_moto:.2f} s; {result.get('parts')} parts; job {run.job_id})"
    )
    print(
        f"  baseline  {c.fmt_s(base_wall)} wall  {c.fmt_s(base_cpu)} CPU"
        f"   {rows / base_wall:>10,.0f} rows/s  {size / base_wall / 1e6:6.1f} MB/s"
        f"   (S3 server CPU {base_moto:.2f} s; {size / 1e6:.1f} MB)"
    )
    print(
        f"  ratio     ours / upload_file = {wall_ratio:.2f}× wall, {cpu_ratio:.2f}× CPU"
        f"   (rows/s: ours is {1 / wall_ratio:.2f}× the upload's)"
    )
    print(
        f"  worker peak RSS (VmHWM, pid {pid}) {rss:.0f} MB, goal ≤ {RSS_GOAL_MB} MB:"
        f" {h.verdict(rss <= RSS_GOAL_MB)}"
    )

    conn.close()
    read_wall, read_cpu, encode, enc_bytes = breakdown(ds_id)
    if enc_bytes != size:
        raise RuntimeError(f"the breakdown encoded {enc_bytes} bytes, the job {size}")
    copy_wall, copy_bytes = copy_read(ds_id)
    print(
        f"  in-process, no upload: reading the rows {read_wall:.2f} s wall ({read_cpu:.2f} s"
        f" CPU here, batches of 500 through the ORM); encoding the lines {encode:.2f} s CPU"
    )
    print(
        f"  the same rows by one COPY (SELECT …) TO STDOUT: {copy_wall:.2f} s wall"
        f" ({copy_bytes / 1e6:.0f} MB of text)"
    )
    h.save_result(
        "storage_export",
        {
            "rows": rows,
            "bytes": size,
            "parts": result.get("parts"),
            "ours_wall_s": round(run.wall_s, 3),
            "ours_cpu_s": round(run.cpu_s, 3),
            "ours_s3_server_cpu_s": round(ours_moto, 3),
            "ours_rows_per_s": round(rows / run.wall_s),
            "baseline_wall_s": round(base_wall, 3),
            "baseline_cpu_s": round(base_cpu, 3),
            "baseline_s3_server_cpu_s": round(base_moto, 3),
            "baseline_rows_per_s": round(rows / base_wall),
            "wall_ratio": round(wall_ratio, 3),
            "cpu_ratio": round(cpu_ratio, 3),
            "worker_peak_rss_mb": round(rss, 1),
            "read_wall_s": round(read_wall, 3),
            "read_cpu_s": round(read_cpu, 3),
            "encode_cpu_s": round(encode, 3),
            "copy_read_wall_s": round(copy_wall, 3),
            "met": rss <= RSS_GOAL_MB,
        },
    )


if __name__ == "__main__":
    h.main_guard(main)
