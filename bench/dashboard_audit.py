#!/usr/bin/env python
"""Benchmark: the dashboard's audit log page (a signed-in session; the page calls the SDK
in-process) vs a plain Django view rendering the same 50 rows inside the same layout, in the
same gunicorn, in the same run (goal: server CPU per request baseline / ours ≥ 0.7×;
requests/s beside it).

    .venv/bin/python bench/dashboard_audit.py

The baseline is ``/bench/audit-layout/`` (bench/baseline_urls.py): ``login_required``, the
session's membership and organizations and the keyset query by the ORM, and the dashboard's
own layout and row partial. The dashboard page gets the same from in-process SDK calls (me,
organizations, audit) through the API, and adds the filter form. See bench/README.md.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _harness as h  # noqa: E402

GOAL = 0.7  # server CPU per request, baseline / ours
EVENTS = 10_000
REQUEST_ID = re.compile(rb"req_bench\d{12}")


def dashboard_path() -> str:
    """The dashboard audit page's URL, or BenchUnavailable while it is not built yet."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("web:audit")
    except (NoReverseMatch, ImportError) as exc:
        raise h.BenchUnavailable(
            f"dashboard not available yet (no 'web:audit' URL: {exc}); re-run later"
        ) from exc


def main() -> None:
    var_dir = h.setup_env("dashboard_audit")
    h.django_ready()
    path = dashboard_path()
    h.collectstatic()
    tenant = h.ensure_tenant(slug="bench-api", name="Bench API")
    h.seed_events(tenant, prefix="aud_benchapi_", count=EVENTS)
    h.close_db()

    base, server, log = h.start_gunicorn(var_dir)
    cookie = {"Cookie": tenant.session_cookie}
    ours = f"{base}{path}"
    plain = f"{base}/bench/audit-layout/"

    status_o, body_o = h.fetch(ours, cookie)
    status_p, body_p = h.fetch(plain, cookie)
    if status_o != 200:
        raise h.BenchUnavailable(
            f"dashboard not available yet: GET {path} answered HTTP {status_o}; re-run later\n"
            + h.tail(log, 15)
        )
    if status_p != 200:
        raise RuntimeError(f"baseline HTTP {status_p}: {body_p[:300]!r}\n" + h.tail(log))
    # The same 50 events on both pages (seeded events carry unique request ids; the
    # dashboard shows them, at least in a title attribute).
    rows_p = REQUEST_ID.findall(body_p)
    rows_o = list(dict.fromkeys(REQUEST_ID.findall(body_o)))
    same = "both pages show the same newest 50 events"
    if not rows_o:
        same = "could not check that both pages show the same events (no request ids shown)"
    elif rows_p != rows_o[: len(rows_p)]:
        raise RuntimeError(
            f"the pages show different events ({len(rows_o)} vs {len(rows_p)} seeded rows)"
        )

    conns = int(os.environ.get("BENCH_CONNECTIONS", "4"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    seconds = float(os.environ.get("BENCH_SECONDS", "6"))
    h.header(
        f"dashboard_audit — GET {path} (dashboard, in-process SDK) vs a plain Django view",
        [
            f"server: {h.gunicorn_desc()}, PostgreSQL + Redis",
            f"load:   {h.loadgen_name(conns)}, {rounds} interleaved rounds × {seconds:g} s each",
            f"data:   {EVENTS:,} seeded events; {same}",
            "both:   a signed-in session (sessionid cookie), the dashboard's layout and row partial;",
            "        the baseline fills them by the ORM, ours by in-process SDK calls through the API",
            f"size:   ours {len(body_o):,} bytes, baseline {len(body_p):,} bytes per page",
        ],
    )
    baseline, ours_load = h.compare_throughput(
        [("baseline", plain, cookie), ("ours", ours, cookie)],
        server=server,
    )
    figures = h.report_throughput(
        baseline,
        ours_load,
        baseline_what="plain view, same layout and rows",
        ours_what=f"dashboard {path} (in-process SDK)",
        goal=GOAL,
    )
    if baseline.bad or ours_load.bad:
        print("  WARNING: some requests failed; see the gunicorn log:\n" + h.tail(log))
    h.save_result("dashboard_audit", {**figures, "loadgen": h.loadgen_name(conns)})


if __name__ == "__main__":
    h.main_guard(main)
