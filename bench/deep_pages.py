#!/usr/bin/env python
"""Benchmark: with 1,000,000 audit events in one org, a deep cursor page (~900,000 rows in)
costs what the first page costs (goal: deep ≤ 1.2× first), for ``GET /api/v1/audit?limit=50``
and for the dashboard's audit page; plus EXPLAIN ANALYZE of both queries.

    .venv/bin/python bench/deep_pages.py

The 1M events are inserted once with generate_series (about a minute) and kept in the bench
database for later runs. Requests are timed server-side, in-process through Django's test
Client (the full middleware stack, no socket), 60 of each, interleaved; medians of wall
and of CPU time compared.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _harness as h  # noqa: E402

GOAL = 1.2  # deep / first, median request time
EVENTS = 1_000_000
DEPTH = 900_000
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "60"))
WARMUP = 5


def timed(client, url: str, **extra) -> tuple[float, float]:
    """(wall ms, CPU ms of this process) of one request."""
    wall, cpu = time.perf_counter(), time.process_time()
    resp = client.get(url, **extra)
    elapsed = ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
    if resp.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {resp.status_code} {resp.content[:300]!r}")
    return elapsed


Samples = list[tuple[float, float]]


def compare(client, first: str, deep: str, **extra) -> tuple[Samples, Samples]:
    for _ in range(WARMUP):
        timed(client, first, **extra)
        timed(client, deep, **extra)
    a: Samples = []
    b: Samples = []
    for _ in range(SAMPLES):
        a.append(timed(client, first, **extra))
        b.append(timed(client, deep, **extra))
    return a, b


def audit_sql(client, url: str, **extra) -> str:
    """The audit page query a request ran, as sent to PostgreSQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url, **extra)
    for q in ctx.captured_queries:
        sql = q["sql"]
        if f'FROM "{h.AUDIT_TABLE}"' in sql and "ORDER BY" in sql:
            return sql
    raise RuntimeError(f"no audit query seen for {url}")


def explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cur.fetchall()]


def line(label: str, first: Samples, deep: Samples) -> dict[str, float]:
    fw, dw = [w for w, _ in first], [w for w, _ in deep]
    fc, dc = [c for _, c in first], [c for _, c in deep]
    mf, md = statistics.median(fw), statistics.median(dw)
    ratio = md / mf
    cpu_ratio = statistics.median(dc) / statistics.median(fc)
    print(
        f"  {label:<10} first page  median {mf:6.2f} ms (p90 {h.pct(fw, 90):6.2f};"
        f" CPU {statistics.median(fc):5.2f})   deep page median {md:6.2f} ms"
        f" (p90 {h.pct(dw, 90):6.2f}; CPU {statistics.median(dc):5.2f})"
    )
    print(
        f"  {'':<10} ratio deep / first = {ratio:.2f}×   goal ≤ {GOAL}×: {h.verdict(ratio <= GOAL)}"
        f"   (CPU time of the Django process: {cpu_ratio:.2f}×)"
    )
    return {
        "first_ms": round(mf, 3),
        "deep_ms": round(md, 3),
        "ratio": round(ratio, 3),
        "first_cpu_ms": round(statistics.median(fc), 3),
        "deep_cpu_ms": round(statistics.median(dc), 3),
        "cpu_ratio": round(cpu_ratio, 3),
    }


def main() -> None:
    h.setup_env("deep_pages")
    h.django_ready()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from adminapp.core.pagination import encode_cursor

    tenant = h.ensure_tenant(slug="bench-deep", name="Bench Deep")
    seeded_s = h.seed_events(tenant, prefix="aud_deep_", count=EVENTS)
    try:
        dashboard = reverse("web:audit")
        h.collectstatic()
    except (NoReverseMatch, ImportError):
        dashboard = None

    with connection.cursor() as cur:
        cur.execute(
            f"SELECT created_at, id FROM {h.AUDIT_TABLE} WHERE organization_id = %s"  # noqa: S608
            " ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 1",
            [tenant.org_id, DEPTH - 1],
        )
        created_at, pk = cur.fetchone()
        cur.execute(
            f"SELECT count(*) FROM {h.AUDIT_TABLE} WHERE organization_id = %s",  # noqa: S608
            [tenant.org_id],
        )
        total = cur.fetchone()[0]
    cursor = encode_cursor(created_at, pk)

    api = Client(HTTP_AUTHORIZATION=f"Bearer {tenant.api_key}")
    first_url = "/api/v1/audit?limit=50"
    deep_url = f"/api/v1/audit?limit=50&cursor={cursor}"
    deep_items = api.get(deep_url).json()["items"]
    after = [(datetime.fromisoformat(e["created_at"]), e["id"]) for e in deep_items]
    if len(after) != 50 or not all(key < (created_at, pk) for key in after):
        raise RuntimeError("the deep page does not continue after the cursor row")

    h.header(
        "deep_pages — first page vs a deep cursor page at 1,000,000 audit events",
        [
            f"data:   {total:,} events in the org"
            + (f" (seeded now in {seeded_s:.0f} s)" if seeded_s else " (kept from an earlier run)"),
            f"deep:   cursor after row {DEPTH:,} (newest first): {pk} at {created_at.isoformat()}",
            f"timing: in-process Django test Client (full middleware, DEBUG=false), {SAMPLES}"
            f" requests each, interleaved, after {WARMUP} warm-up; PostgreSQL",
        ],
    )
    first, deep = compare(api, first_url, deep_url)
    results: dict = {"api": line("API", first, deep)}

    if dashboard:
        web = Client()
        _name, _, value = tenant.session_cookie.partition("=")
        web.cookies[settings.SESSION_COOKIE_NAME] = value
        status = web.get(dashboard).status_code
        if status == 200:
            wf, wd = compare(web, dashboard, f"{dashboard}?cursor={cursor}")
            results["dashboard"] = line("dashboard", wf, wd)
        else:
            print(f"  dashboard  not available yet: GET {dashboard} answered HTTP {status}")
    else:
        print("  dashboard  not available yet (no 'web:audit' URL)")

    for label, url in (("first page", first_url), ("deep page", deep_url)):
        plan = explain(audit_sql(api, url))
        uses = "audit_org_time" in "\n".join(plan)
        print(f"  EXPLAIN ({label}): index audit_org_time used: {'yes' if uses else 'NO'}")
        for row in plan:
            print("      " + row)
        results[f"explain_{label.split()[0]}"] = plan
    ok = all(r["ratio"] <= GOAL for k, r in results.items() if not k.startswith("explain"))
    h.save_result("deep_pages", {**results, "goal": f"<= {GOAL}", "met": ok, "events": total})


if __name__ == "__main__":
    h.main_guard(main)
