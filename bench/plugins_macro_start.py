#!/usr/bin/env python
"""Benchmark: what starting a plugin's macro costs — the child process and the SDK
handshake — p50 / p95 over many runs (goal: p95 ≤ 500 ms).

    .venv/bin/python bench/plugins_macro_start.py              # 40 runs of each way
    .venv/bin/python bench/plugins_macro_start.py --runs 100

Each run is what a ``plugin_macro`` job does around the macro's own work
(``adminapp/plugins/runtime/jobs.py``), timed in this process on PostgreSQL, against gunicorn
on loopback:

1. **credential**: the job's API key minted (``credential_issue``: the accounts service,
   its audit event) — and revoked at the end (``credential_revoke``), timed apart;
2. **child**: the run's process started (**ours**: forked by this process's zygote,
   ``PLUGINS_ZYGOTE=true``; **baseline**: ``python -I -B runner.py`` exec'd, the SDK imported
   in it, ``PLUGINS_ZYGOTE=false``), its rlimits and Landlock applied, the macro's entry
   loaded — up to its ``hello``;
3. **handshake**: the macro's first SDK call (``ctx.client.me.get()``: ``GET /api/v1/me``
   with the job's key) answered, its ``done`` read and its exit seen — the macro itself does
   nothing else.

"start" = 1 + 2 + 3 (submit-side and queueing costs of any job are not in it: they are the
jobs engine's, measured by ``bench/job_latency.py``). The two ways alternate run by run, so
both see the same load. CPU: the child's own (``wait4`` / ``RUSAGE_CHILDREN``) plus, for
ours, the zygote's fork (``/proc/<zygote>/schedstat``). A zygote is started on a worker
process's first run: that first run's start is measured apart (the zygote stopped before
each of 3 runs).
"""

from __future__ import annotations

import argparse
import resource
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _harness as h  # noqa: E402

GOAL_P95_MS = 500
MACRO = """
def run(ctx):
    me = ctx.client.me.get()
    return {"email": me.user.email}
"""


def _zygote_cpu_ns(pid: int) -> int:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=40)
    args = p.parse_args()
    var_dir = h.setup_env("plugins-macro")
    signal.alarm(h.TIME_LIMIT)
    h.django_ready()
    from django.conf import settings

    settings.RATE_LIMIT_KEY_CREATE = "100000/60"  # the bench mints keys faster than a person
    tenant = h.ensure_tenant(slug="bench-plugins", name="Bench Plugins")

    from adminapp.accounts import principals
    from adminapp.accounts.models import AccountRole, User
    from adminapp.plugins.runtime import credential, spawn
    from adminapp.plugins.runtime.sandbox import Limits, PluginProcess, RunSpec

    plugin = var_dir / "plugin"
    plugin.mkdir()
    (plugin / "main.py").write_text(MACRO)
    (plugin / "quiet.py").write_text("def run(ctx):\n    return {}\n")
    user = User.objects.get(id=tenant.user_id)
    owner = principals.for_user(user, org_id=tenant.org_id, role=AccountRole.OWNER)
    h.close_db()
    base, _gunicorn, _glog = h.start_gunicorn(var_dir)
    h.header(
        f"plugins_macro_start — {args.runs} macro starts each way: credential + child process"
        " + SDK handshake",
        [
            "credential: api_key_create of the owner's personal key (revoke timed apart)",
            "child: ours forked by the worker's zygote; baseline python -I -B runner.py"
            " exec'd → rlimits, Landlock → its hello",
            "handshake: ctx.client.me.get() over HTTP (gunicorn, loopback) → done → exit",
        ],
    )
    ways = {"zygote": True, "exec": False}
    cred: dict[str, list[float]] = {w: [] for w in ways}
    child = {w: [] for w in ways}
    total = {w: [] for w in ways}
    quiet = {w: [] for w in ways}
    cpu = {w: [] for w in ways}
    revoke: list[float] = []

    def one_run(n: int, way: str, *, entry: str = "main.py") -> tuple[float, float, float]:
        """(credential ms, child ms, child CPU ms) of one macro started ``way``."""
        settings.PLUGINS_ZYGOTE = ways[way]
        zygote = spawn.current().pid if ways[way] else None
        zygote_cpu = _zygote_cpu_ns(zygote) if zygote else 0
        children_cpu = _children_cpu()
        t0 = time.perf_counter()
        secret = ""
        if entry == "main.py":
            _key_id, secret = credential.credential_issue(
                principal=owner, job_id=f"job_bench{n}{way}", lifetime_s=60
            )
        t1 = time.perf_counter()
        spec = RunSpec(
            kind="macro",
            plugin_dir=plugin,
            entry=entry,
            label="bench/macro",
            api_key=secret,
            base_url=base,
            limits=Limits(timeout=30),
        )
        with PluginProcess(spec) as proc:
            for _message in proc.messages():
                pass
            t3 = time.perf_counter()
        if proc.started_by != way or not proc.confinement.get("landlock_abi"):
            raise RuntimeError(f"not started {way} or not confined: {proc.started_by}")
        if entry == "main.py":
            if proc.result.get("email") != tenant.email:
                raise RuntimeError(f"the macro did not run as the owner: {proc.result}")
            t4 = time.perf_counter()
            credential.credential_revoke(job_id=f"job_bench{n}{way}")
            revoke.append((time.perf_counter() - t4) * 1000)
        if zygote:
            used = proc.proc.cpu_seconds + (_zygote_cpu_ns(zygote) - zygote_cpu) / 1e9
        else:
            used = _children_cpu() - children_cpu
        return (t1 - t0) * 1000, (t3 - t1) * 1000, used * 1000

    for n in range(args.runs + 2):  # two warm-up runs of each way, not counted
        for way in ways if n % 2 else reversed(ways):
            cred_ms, child_ms, cpu_ms = one_run(n, way)
            if n >= 2:
                cred[way].append(cred_ms)
                child[way].append(child_ms)
                total[way].append(cred_ms + child_ms)
                cpu[way].append(cpu_ms)
    # Child start apart from the handshake: the same child with a macro making no call.
    for n in range(args.runs + 2):
        for way in ways if n % 2 else reversed(ways):
            _cred_ms, child_ms, _cpu_ms = one_run(n, way, entry="quiet.py")
            if n >= 2:
                quiet[way].append(child_ms)
    # A worker process's first run: its zygote started then.
    cold = []
    for n in range(3):
        spawn.shutdown()
        cred_ms, child_ms, _cpu_ms = one_run(1000 + n, "zygote")
        cold.append(cred_ms + child_ms)

    def line(name: str, values: list[float]) -> str:
        return (
            f"  {name:<44} p50 {h.pct(values, 50):6.0f} ms   p95"
            f" {h.pct(values, 95):6.0f} ms   mean {statistics.mean(values):6.0f} ms"
        )

    for way, title in (("exec", "baseline (exec'd)"), ("zygote", "ours (zygote)")):
        print(f"  {title}:")
        print(line("credential (mint)", cred[way]))
        print(line("child, no SDK call (start → exit)", quiet[way]))
        print(line("child + SDK handshake", child[way]))
        print(line("child CPU (+ the zygote's fork)", cpu[way]))
        print(line("START = credential + child + SDK", total[way]))
    print(line("credential revoke (after)", revoke))
    print(line("first run of a worker (zygote started)", cold))
    p50 = {w: h.pct(total[w], 50) for w in ways}
    p95 = {w: h.pct(total[w], 95) for w in ways}
    cpu50 = {w: h.pct(cpu[w], 50) for w in ways}
    print(
        f"  ratio baseline / ours: START p50 {p50['exec'] / p50['zygote']:.1f}×,"
        f" p95 {p95['exec'] / p95['zygote']:.1f}×; child CPU p50 {cpu50['exec']:.0f} ms /"
        f" {cpu50['zygote']:.0f} ms = {cpu50['exec'] / cpu50['zygote']:.1f}×"
    )
    met = p95["zygote"] <= GOAL_P95_MS
    print(f"  goal p95 ≤ {GOAL_P95_MS} ms: {h.verdict(met)}  ({h.load_note()})")
    h.save_result(
        "plugins_macro_start",
        {
            "runs": args.runs,
            "start_p50_ms": round(p50["zygote"], 1),
            "start_p95_ms": round(p95["zygote"], 1),
            "baseline_start_p50_ms": round(p50["exec"], 1),
            "baseline_start_p95_ms": round(p95["exec"], 1),
            "child_cpu_p50_ms": round(cpu50["zygote"], 1),
            "baseline_child_cpu_p50_ms": round(cpu50["exec"], 1),
            "child_only_p50_ms": round(h.pct(quiet["zygote"], 50), 1),
            "child_only_p95_ms": round(h.pct(quiet["zygote"], 95), 1),
            "credential_p50_ms": round(h.pct(cred["zygote"], 50), 1),
            "revoke_p50_ms": round(h.pct(revoke, 50), 1),
            "first_run_p50_ms": round(h.pct(cold, 50), 1),
            "met": met,
        },
    )


if __name__ == "__main__":
    h.main_guard(main)
