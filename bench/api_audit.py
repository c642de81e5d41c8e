#!/usr/bin/env python
"""Benchmark: ``GET /api/v1/audit?limit=50`` under gunicorn vs a bare Django JsonResponse view
doing the same work, in the same server, in the same run (goal: server CPU per request
baseline / ours ≥ 0.85×; requests/s beside it).

    .venv/bin/python bench/api_audit.py

The baseline (``/bench/audit.json`` in bench/baseline_urls.py) does the same bearer key
lookup and the same keyset query and returns a ``JsonResponse``; ours goes through the
middleware, Ninja, permission checks and the wire models. See bench/README.md.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _harness as h  # noqa: E402

GOAL = 0.85  # server CPU per request, baseline / ours
EVENTS = 10_000


def main() -> None:
    var_dir = h.setup_env("api_audit")
    h.django_ready()
    tenant = h.ensure_tenant(slug="bench-api", name="Bench API")
    h.seed_events(tenant, prefix="aud_benchapi_", count=EVENTS)
    h.close_db()

    base, server, log = h.start_gunicorn(var_dir)
    ours = f"{base}/api/v1/audit?limit=50"
    bare = f"{base}/bench/audit.json?limit=50"

    # Both must answer 200 with the same 50 rows, or the comparison means nothing.
    status_o, body_o = h.fetch(ours, tenant.bearer)
    status_b, body_b = h.fetch(bare, tenant.bearer)
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
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    seconds = float(os.environ.get("BENCH_SECONDS", "6"))
    h.header(
        "api_audit — GET /api/v1/audit?limit=50 vs a bare JsonResponse view (same server, same run)",
        [
            f"server: {h.gunicorn_desc()}, PostgreSQL + Redis",
            f"load:   {h.loadgen_name(conns)}, {rounds} interleaved rounds × {seconds:g} s each",
            f"data:   {EVENTS:,} seeded events in the org; both views return the same 50 rows",
            "both:   the same bearer API key (org OWNER), looked up by the same query; ours also",
            "        runs the middleware, Ninja, permission checks and the wire models",
        ],
    )
    baseline, ours_load = h.compare_throughput(
        [
            ("baseline", bare, tenant.bearer),
            ("ours", ours, tenant.bearer),
        ],
        server=server,
    )
    figures = h.report_throughput(
        baseline,
        ours_load,
        baseline_what="bare JsonResponse view, same key lookup + keyset query",
        ours_what="GET /api/v1/audit, bearer API key",
        goal=GOAL,
    )
    if baseline.bad or ours_load.bad:
        print("  WARNING: some requests failed; see the gunicorn log:\n" + h.tail(log))
    h.save_result("api_audit", {**figures, "loadgen": h.loadgen_name(conns)})


if __name__ == "__main__":
    h.main_guard(main)
