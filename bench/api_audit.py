#!/usr/bin/env python
"""Benchmark: ``GET /api/v1/audit?limit=50`` under gunicorn vs a bare Django JsonResponse view
running the same keyset query, in the same server, in the same run (goal: ≥ 0.8× requests/s).

    .venv/bin/python bench/api_audit.py

The baseline (``/bench/audit.json`` in bench/baseline_urls.py) has no authentication; ours
authenticates a bearer API key of an org OWNER, checks permissions, validates and serialises
through the wire models. See bench/README.md.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _harness as h  # noqa: E402

GOAL = 0.8  # ours / baseline, requests per second
EVENTS = 10_000


def main() -> None:
    var_dir = h.setup_env("api_audit")
    h.django_ready()
    tenant = h.ensure_tenant(slug="bench-api", name="Bench API")
    h.seed_events(tenant, prefix="aud_benchapi_", count=EVENTS)
    h.close_db()

    base, server, log = h.start_gunicorn(var_dir)
    ours = f"{base}/api/v1/audit?limit=50"
    bare = f"{base}/bench/audit.json?org={tenant.org_id}&limit=50"

    # Both must answer 200 with the same 50 rows, or the comparison means nothing.
    status_o, body_o = h.fetch(ours, tenant.bearer)
    status_b, body_b = h.fetch(bare)
    if status_o != 200 or status_b != 200:
        raise RuntimeError(
            f"ours HTTP {status_o}: {body_o[:300]!r}\nbare HTTP {status_b}: {body_b[:300]!r}\n"
            + h.tail(log)
        )
    ids_o = [e["id"] for e in json.loads(body_o)["items"]]
    ids_b = [e["id"] for e in json.loads(body_b)["items"]]
    if ids_o != ids_b or len(ids_o) != 50:
        raise RuntimeError(f"the two views disagree: {len(ids_o)} vs {len(ids_b)} rows")

    conns = int(os.environ.get("BENCH_CONNECTIONS", "4"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    seconds = float(os.environ.get("BENCH_SECONDS", "6"))
    h.header(
        "api_audit — GET /api/v1/audit?limit=50 vs a bare JsonResponse view (same server, same run)",
        [
            f"server: {h.gunicorn_desc()}, PostgreSQL + Redis",
            f"load:   {h.loadgen_name(conns)}, {rounds} interleaved rounds × {seconds:g} s each",
            f"data:   {EVENTS:,} seeded events in the org; both views return the same 50 rows",
            "NOTE:   the baseline has NO authentication (org taken from ?org=); ours authenticates",
            "        a bearer API key (org OWNER), checks permissions and serialises wire models",
        ],
    )
    baseline, ours_load = h.compare_throughput(
        [
            ("baseline", bare, {}),
            ("ours", ours, tenant.bearer),
        ],
        server=server,
    )
    figures = h.report_throughput(
        baseline,
        ours_load,
        baseline_what="bare JsonResponse keyset view, NO auth",
        ours_what="GET /api/v1/audit, bearer API key",
        goal=GOAL,
    )
    if baseline.bad or ours_load.bad:
        print("  WARNING: some requests failed; see the gunicorn log:\n" + h.tail(log))
    h.save_result("api_audit", {**figures, "loadgen": h.loadgen_name(conns)})


if __name__ == "__main__":
    h.main_guard(main)
