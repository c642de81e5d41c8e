#!/usr/bin/env python
"""Benchmark: with 10,000 repos and 10,000 bucket configs in one org, a deep cursor page
(~9,000 rows in) costs what the first page costs (goal: deep ≤ 1.2× first), and the same
number of SQL queries (issue 10, Speed) — for the API's lists and the dashboard's pages.

    .venv/bin/python bench/storage_pages.py

Seeded once (set-based, ``generate_series``; kept in ``adminapp_bench`` for later runs) in
the org ``bench-storage``: the bucket config ``bench-primary`` (made through the service:
hmac, its secret sealed; the org's default) and **10,000 more** cloned from it in one
``INSERT … SELECT`` (``bench-00001…``, ``s3://bench-bucket-00001/data…``, every third one
anonymous, ``created_at`` one minute per pair so pairs tie and the id breaks the tie), and
**10,000 repos** (``bench-repo-00001…``, v1 / icechunk, a description and small metadata),
all on ``bench-primary`` — so the repos of one config are 10,000 deep too.

Timed as ``deep_pages.py`` does: in-process Django test Client (the full middleware stack,
``DEBUG=false``, no socket), ``BENCH_SAMPLES`` (40) of each after 5 warm-ups, first and deep
interleaved; medians of wall and of this process's CPU (the request's Python; PostgreSQL's
share shows in the wall time and in EXPLAIN ANALYZE):

- ``GET /api/v1/storage/repos?limit=50``: the first page vs a cursor after row 9,000 (newest
  first);
- ``GET /api/v1/storage/bucket-configs?limit=50``: the same, oldest first;
- ``GET /api/v1/storage/bucket-configs/bench-primary/repos?limit=50``: the same;
- the dashboard's ``/storage/repos/`` and ``/storage/buckets/`` (signed in as the OWNER,
  so with the create forms; the pages call the SDK in process), plain and ``?cursor=``;

and the SQL queries one request of each runs (first page and deep page: equal), and
EXPLAIN ANALYZE of the list queries.
"""

# SQL here names only constant tables; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _harness as h  # noqa: E402

GOAL = 1.2  # deep / first, median request time
COUNT = 10_000
DEPTH = 9_000
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "40"))
WARMUP = 5
SLUG = "bench-storage"
PRIMARY = "bench-primary"
CONFIGS = "storage_bucketconfig"
REPOS = "storage_repo"
API = "/api/v1/storage"

Samples = list[tuple[float, float]]


# --- seed -----------------------------------------------------------------------------------
def seed(tenant: h.Tenant) -> float:
    """The primary config (through the service), 10,000 configs cloned from it and 10,000
    repos on it; idempotent. Seconds spent (0 when all was there)."""
    from django.db import connection, transaction

    from adminapp.accounts import principals
    from adminapp.accounts.models import AccountRole, User
    from adminapp.storage.models import BucketConfig, Repo
    from adminapp.storage.services import bucket_config_create

    assert BucketConfig._meta.db_table == CONFIGS and Repo._meta.db_table == REPOS
    began = time.perf_counter()
    primary = BucketConfig.objects.filter(organization_id=tenant.org_id, nickname=PRIMARY).first()
    if primary is None:
        user = User.objects.get(id=tenant.user_id)
        actor = principals.for_user(user, org_id=tenant.org_id, role=AccountRole.OWNER)
        primary = bucket_config_create(
            actor=actor,
            nickname=PRIMARY,
            uri="s3://bench-primary/data",
            extra_config={"region_name": "us-east-1"},
            auth_config={
                "method": "hmac",
                "access_key_id": "AKIABENCHEXAMPLE",
                "secret_access_key": "bench-Secret/Value",
            },
        )
    seeded = False
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FROM {CONFIGS} WHERE organization_id = %s AND id LIKE 'bkt_bench%%'",
            [tenant.org_id],
        )
        if cur.fetchone()[0] < COUNT:
            seeded = True
            with transaction.atomic():
                cur.execute(
                    f"""
                INSERT INTO {CONFIGS} (id, organization_id, nickname, nickname_key, uri,
                    platform, bucket, prefix, extra_config, auth_method, auth_config, secrets,
                    is_default, created_at, updated_at)
                SELECT 'bkt_bench' || lpad(i::text, 8, '0'), p.organization_id,
                    'bench-' || lpad(i::text, 5, '0'), 'bench-' || lpad(i::text, 5, '0'),
                    's3://bench-bucket-' || lpad(i::text, 5, '0') || '/data', p.platform,
                    'bench-bucket-' || lpad(i::text, 5, '0'), p.prefix, p.extra_config,
                    CASE WHEN i %% 3 = 0 THEN 'anonymous' ELSE p.auth_method END,
                    CASE WHEN i %% 3 = 0 THEN '{{}}'::jsonb ELSE p.auth_config END,
                    CASE WHEN i %% 3 = 0 THEN '' ELSE p.secrets END,
                    false, ts, ts
                FROM {CONFIGS} p, generate_series(1, %s) AS i,
                    LATERAL (SELECT timestamptz '2025-01-01 00:00:00+00'
                                    + (i / 2) * interval '1 minute' AS ts) AS t
                WHERE p.id = %s
                ON CONFLICT DO NOTHING
                """,
                    [COUNT, primary.id],
                )
        cur.execute(
            f"SELECT count(*) FROM {REPOS} WHERE organization_id = %s AND id LIKE 'repo_bench%%'",
            [tenant.org_id],
        )
        if cur.fetchone()[0] < COUNT:
            seeded = True
            with transaction.atomic():
                cur.execute(
                    f"""
                INSERT INTO {REPOS} (id, organization_id, bucket_config_id, name, name_key,
                    kind, prefix, description, metadata, deleted_at, created_at, updated_at)
                SELECT 'repo_bench' || lpad(i::text, 8, '0'), %(org)s, %(config)s,
                    'bench-repo-' || lpad(i::text, 5, '0'),
                    'bench-repo-' || lpad(i::text, 5, '0'),
                    CASE WHEN i %% 2 = 0 THEN 'icechunk' ELSE 'v1' END,
                    'repo-' || lpad(i::text, 5, '0'),
                    'Bench repo ' || i || ' of the climate team',
                    jsonb_build_object('team', 'team-' || (i %% 7), 'n', i), NULL, ts, ts
                FROM generate_series(1, %(count)s) AS i,
                    LATERAL (SELECT timestamptz '2025-01-01 00:00:00+00'
                                    + (i / 2) * interval '1 minute' AS ts) AS t
                ON CONFLICT DO NOTHING
                """,
                    {"org": tenant.org_id, "config": primary.id, "count": COUNT},
                )
        if seeded:
            cur.execute(f"VACUUM ANALYZE {CONFIGS}")
            cur.execute(f"VACUUM ANALYZE {REPOS}")
    return time.perf_counter() - began if seeded else 0.0


def row_at(table: str, where: str, params: list, *, offset: int, newest_first: bool):
    """(created_at, id) of the row ``offset`` rows into the list (0 = the first)."""
    from django.db import connection

    order = "created_at DESC, id DESC" if newest_first else "created_at, id"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT created_at, id FROM {table} WHERE {where} ORDER BY {order} OFFSET %s LIMIT 1",
            [*params, offset],
        )
        return cur.fetchone()


# --- measuring ------------------------------------------------------------------------------
def timed(client, url: str) -> tuple[float, float]:
    """(wall ms, CPU ms of this process) of one request."""
    wall, cpu = time.perf_counter(), time.process_time()
    resp = client.get(url)
    elapsed = ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
    if resp.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {resp.status_code} {resp.content[:300]!r}")
    return elapsed


def compare(client, first: str, deep: str) -> tuple[Samples, Samples]:
    for _ in range(WARMUP):
        timed(client, first)
        timed(client, deep)
    a: Samples = []
    b: Samples = []
    for _ in range(SAMPLES):
        a.append(timed(client, first))
        b.append(timed(client, deep))
    return a, b


def queries(client, url: str) -> tuple[int, list[str]]:
    """The SQL queries one request runs (the fewest of two tries: an API key's
    ``last_used_at`` is written at most once a minute, a session now and then)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    best: list[str] | None = None
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        sqls = [q["sql"] for q in ctx.captured_queries]
        if best is None or len(sqls) < len(best):
            best = sqls
    return len(best), best


def explain(sqls: list[str], table: str) -> list[str]:
    """EXPLAIN ANALYZE of the request's ordered query on ``table``."""
    from django.db import connection

    sql = next((s for s in sqls if f'FROM "{table}"' in s and "ORDER BY" in s), None)
    if sql is None:
        return [f"(no ordered query on {table} seen)"]
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [r[0] for r in cur.fetchall()]


def line(label: str, first: Samples, deep: Samples, nq: tuple[int, int]) -> dict:
    fw, dw = [w for w, _ in first], [w for w, _ in deep]
    fc, dc = [c for _, c in first], [c for _, c in deep]
    mf, md = statistics.median(fw), statistics.median(dw)
    cf, cd = statistics.median(fc), statistics.median(dc)
    ratio, cpu_ratio = md / mf, cd / cf
    same = nq[0] == nq[1]
    print(
        f"  {label:<18} first {mf:6.2f} ms (p90 {h.pct(fw, 90):6.2f}; CPU {cf:5.2f})"
        f"   deep {md:6.2f} ms (p90 {h.pct(dw, 90):6.2f}; CPU {cd:5.2f})"
    )
    print(
        f"  {'':<18} deep / first = {ratio:.2f}× wall, {cpu_ratio:.2f}× CPU"
        f"   goal ≤ {GOAL}×: {h.verdict(ratio <= GOAL)}"
        f"   queries {nq[0]} / {nq[1]}: {'equal' if same else 'DIFFERENT'}"
    )
    return {
        "first_ms": round(mf, 3),
        "deep_ms": round(md, 3),
        "ratio": round(ratio, 3),
        "first_cpu_ms": round(cf, 3),
        "deep_cpu_ms": round(cd, 3),
        "cpu_ratio": round(cpu_ratio, 3),
        "queries_first": nq[0],
        "queries_deep": nq[1],
        "met": ratio <= GOAL and same,
    }


def main() -> None:
    h.setup_env("storage_pages")
    h.django_ready()
    h.collectstatic()  # the dashboard pages (DEBUG=false: a static files manifest)
    from django.db import connection
    from django.test import Client

    from adminapp.core.pagination import encode_cursor
    from adminapp.storage.models import BucketConfig

    tenant = h.ensure_tenant(slug=SLUG, name="Bench Storage")
    seeded_s = seed(tenant)
    primary = BucketConfig.objects.get(organization_id=tenant.org_id, nickname=PRIMARY)
    org = [tenant.org_id]
    live = "organization_id = %s AND deleted_at IS NULL"
    lists = {
        # label: (table, where, params, newest first)
        "repos": (REPOS, live, org, True),
        "bucket configs": (CONFIGS, "organization_id = %s", org, False),
        "config's repos": (REPOS, "bucket_config_id = %s", [primary.id], True),
    }
    cursors, expected = {}, {}
    for label, (table, where, params, newest) in lists.items():
        at = row_at(table, where, params, offset=DEPTH - 1, newest_first=newest)
        cursors[label] = encode_cursor(*at)
        expected[label] = row_at(table, where, params, offset=DEPTH, newest_first=newest)[1]
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {REPOS} WHERE {live}", org)
        repos_total = cur.fetchone()[0]
        cur.execute(f"SELECT count(*) FROM {CONFIGS} WHERE organization_id = %s", org)
        configs_total = cur.fetchone()[0]

    api = Client(HTTP_AUTHORIZATION=f"Bearer {tenant.api_key}")
    web = Client()
    web.cookies.load(tenant.session_cookie)
    urls = {
        "repos": f"{API}/repos?limit=50",
        "bucket configs": f"{API}/bucket-configs?limit=50",
        "config's repos": f"{API}/bucket-configs/{PRIMARY}/repos?limit=50",
    }
    pairs = {  # label: (client, first, deep)
        f"API {label}": (api, url, f"{url}&cursor={cursors[label]}") for label, url in urls.items()
    }
    shown = {}  # the name the deep page starts with
    for label in urls:
        items = api.get(pairs[f"API {label}"][2]).json()["items"]
        if len(items) != 50 or items[0]["id"] != expected[label]:
            raise RuntimeError(f"the deep {label} page does not start after row {DEPTH:,}")
        shown[label] = items[0].get("name") or items[0]["nickname"]
    pairs["dashboard repos"] = (
        web,
        "/storage/repos/",
        f"/storage/repos/?cursor={cursors['repos']}",
    )
    pairs["dashboard configs"] = (
        web,
        "/storage/buckets/",
        f"/storage/buckets/?cursor={cursors['bucket configs']}",
    )
    for label, listed in (("dashboard repos", "repos"), ("dashboard configs", "bucket configs")):
        deep_url = pairs[label][2]
        page = web.get(deep_url)
        if page.status_code != 200 or f">{shown[listed]}<".encode() not in page.content:
            raise RuntimeError(f"{label}: {deep_url} does not show {shown[listed]}")

    h.header(
        f"storage_pages — first page vs a deep cursor page at {repos_total:,} repos and"
        f" {configs_total:,} bucket configs (one org)",
        [
            f"data:   {repos_total:,} live repos (all on {PRIMARY}), {configs_total:,} bucket"
            " configs"
            + (f" (seeded now in {seeded_s:.1f} s)" if seeded_s else " (kept from an earlier run)"),
            f"deep:   a cursor after row {DEPTH:,} of each list",
            f"timing: in-process Django test Client (full middleware, DEBUG=false), {SAMPLES}"
            f" requests each, interleaved, after {WARMUP} warm-up; PostgreSQL",
        ],
    )
    results: dict = {"repos": repos_total, "configs": configs_total}
    plans: dict[str, list[str]] = {}
    for label, (client, first_url, deep_url) in pairs.items():
        first, deep = compare(client, first_url, deep_url)
        nf, first_sql = queries(client, first_url)
        nd, deep_sql = queries(client, deep_url)
        results[label] = line(label, first, deep, (nf, nd))
        if label.startswith("API"):
            table = CONFIGS if label == "API bucket configs" else REPOS
            plans[f"{label}, first"] = explain(first_sql, table)
            plans[f"{label}, deep"] = explain(deep_sql, table)
    for label, plan in plans.items():
        print(f"  EXPLAIN ({label}):")
        for row in plan:
            print("      " + row)
    results["explain"] = plans
    ok = all(r["met"] for k, r in results.items() if isinstance(r, dict) and "met" in r)
    print(f"  all deep pages ≤ {GOAL}× their first page with equal queries: {h.verdict(ok)}")
    h.save_result("storage_pages", {**results, "goal": f"<= {GOAL}", "met": ok})


if __name__ == "__main__":
    h.main_guard(main)
