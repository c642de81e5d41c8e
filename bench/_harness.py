"""Shared plumbing for the benchmarks in ``bench/`` (not a benchmark itself).

Every benchmark runs against PostgreSQL + Redis in its own database (``adminapp_bench``),
migrated and seeded here with set-based SQL, under ``bench.settings`` (the product's settings
plus the baseline views' URLs). Servers and workers are started as child processes in their
own process groups and stopped by their ids when the benchmark ends, whatever happens.

Environment knobs (all optional):
  BENCH_DATABASE_URL   postgres://postgres@127.0.0.1:5432/adminapp_bench
  BENCH_REDIS_URL      redis://127.0.0.1:6379/12  (broker + cache; a database of its own)
  BENCH_LOADGEN        wrk | python   (default: wrk if installed, else try apt-get, else python)
  BENCH_NO_INSTALL     1 = never run apt-get for wrk
  BENCH_SECONDS        seconds per measured round (default 6)
  BENCH_ROUNDS         measured rounds per target, interleaved (default 5)
  BENCH_CONNECTIONS    concurrent connections (default 4 = 2 per gunicorn worker)
  BENCH_THREADS        gunicorn threads per worker (default 4, as the Dockerfile runs it)
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv the benchmark runs in
RESULTS_DIR = ROOT / "bench" / "results"  # JSON of each run (git-ignored)

DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/adminapp_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
TIME_LIMIT = 170  # seconds; every benchmark must finish in under 3 minutes

# The product table the benchmarks seed; checked against the model after django.setup().
AUDIT_TABLE = "audit_auditevent"
SEED_ACTIONS = (
    "member.add",
    "member.update_role",
    "api_key.create",
    "api_key.revoke",
    "job.create",
    "custom.deploy.finished",
)


class BenchTimeout(Exception):
    pass


class BenchUnavailable(Exception):
    """Something the benchmark needs is not there (yet); printed, exit status 0."""


# --- environment and child processes --------------------------------------------------------
_children: list[subprocess.Popen] = []
_tempdirs: list[Path] = []


def setup_env(name: str) -> Path:
    """Point this process (and every child) at the bench database, Redis and a temp var dir.

    Must run before Django is imported. Returns the var dir (SECRET_KEY, media, static)."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"adminapp-bench-{name}-"))
    _tempdirs.append(var_dir)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "ADMINAPP_ENV": "development",
            "DEBUG": "false",
            "ADMINAPP_VAR_DIR": str(var_dir),
            "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB_URL),
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(TIME_LIMIT)
    return var_dir


def _on_signal(signum, frame):  # noqa: ARG001
    cleanup()
    sys.exit(1)


def _on_alarm(signum, frame):  # noqa: ARG001
    raise BenchTimeout("stopped at its time limit (see the script's signal.alarm)")


def spawn(cmd: list[str], *, log: Path) -> subprocess.Popen:
    """Start a child in its own process group (so stopping it stops its workers too)."""
    fh = open(log, "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
    )
    fh.close()
    _children.append(proc)
    return proc


def stop(proc: subprocess.Popen, *, grace: float = 10.0) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    if proc in _children:
        _children.remove(proc)


def cleanup() -> None:
    signal.alarm(0)
    for proc in list(reversed(_children)):
        stop(proc)
    for path in _tempdirs:
        shutil.rmtree(path, ignore_errors=True)
    _tempdirs.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, *, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - loopback only
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- database -------------------------------------------------------------------------------
def _admin_url(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts._replace(path="/postgres").geturl(), parts.path.lstrip("/")


def ensure_database(*, fresh: bool = False) -> None:
    """Create the bench database if missing (``fresh``: drop it first)."""
    import psycopg
    from psycopg import sql

    admin_url, name = _admin_url(os.environ["DATABASE_URL"])
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        if fresh:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# The apps whose tables the benchmarks use (migrating one also migrates its dependencies).
NEEDED_APPS = ("contenttypes", "auth", "sessions", "accounts", "audit", "jobs")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [repr(exc)])[0][:160]


def django_ready() -> None:
    """Create/migrate the bench database and set Django up in this process.

    The product is young and built concurrently: when its full migration set does not apply
    (another app's work in progress), only the apps the benchmarks use are migrated; when
    even those no longer apply to the kept database (rewritten migrations), it is rebuilt."""
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    try:
        call_command("migrate", interactive=False, verbosity=0)
    except Exception as exc:  # noqa: BLE001 - fall back, loudly
        print(f"  (note: full migrate failed: {_first_line(exc)})")
        print(f"  (migrating only the apps the benchmarks use: {', '.join(NEEDED_APPS)})")
        connections.close_all()
        try:
            for app in NEEDED_APPS:
                call_command("migrate", app, interactive=False, verbosity=0)
        except Exception as exc2:  # noqa: BLE001 - last resort: a fresh database
            print(f"  (they do not apply to the kept database: {_first_line(exc2)}; rebuilding)")
            connections.close_all()
            ensure_database(fresh=True)
            for app in NEEDED_APPS:
                call_command("migrate", app, interactive=False, verbosity=0)
    from adminapp.audit.models import AuditEvent

    assert AuditEvent._meta.db_table == AUDIT_TABLE, AuditEvent._meta.db_table


def collectstatic() -> None:
    """DEBUG=false serves static files from a manifest: build it in the temp var dir."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


# --- seed -----------------------------------------------------------------------------------
@dataclass
class Tenant:
    org_id: str
    user_id: str
    email: str
    api_key: str
    session_cookie: str  # "sessionid=..." of a signed-in session in this org

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def ensure_tenant(*, slug: str, name: str) -> Tenant:
    """An org with an OWNER, a fresh personal API key and a signed-in session in that org."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from adminapp.accounts import principals, services
    from adminapp.accounts.models import AccountRole, ApiKey, Organization, OrgMembership, User
    from adminapp.accounts.principals import SESSION_ORG_KEY
    from adminapp.core.principal import SYSTEM

    email = f"owner@{slug}.bench.example.com"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password=None, name=f"{name} owner")
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        org = services.organization_create(actor=SYSTEM, name=name, owner=user, slug=slug)
    OrgMembership.objects.update_or_create(
        organization=org, user=user, defaults={"account_role": AccountRole.OWNER}
    )
    # One live bench key per org: the previous run's key is of no use (its secret is gone).
    ApiKey.objects.filter(organization=org, label="bench").delete()
    actor = principals.for_user(user, org_id=org.id, role=AccountRole.OWNER)
    _key, secret = services.api_key_create(actor=actor, label="bench")

    # A session exactly as django.contrib.auth.login() + the org switcher leave it.
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SESSION_ORG_KEY] = org.id
    store.save()
    cookie = f"{settings.SESSION_COOKIE_NAME}={store.session_key}"
    return Tenant(
        org_id=org.id, user_id=user.id, email=email, api_key=secret, session_cookie=cookie
    )


def seed_events(tenant: Tenant, *, prefix: str, count: int, chunk: int = 100_000) -> float:
    """``count`` audit events in the tenant's org, set-based (generate_series), idempotent.

    Ids are ``<prefix><12-digit n>``; ``created_at`` walks back from 2025-01-01 one minute
    per two events (so pairs tie on created_at and the id breaks the tie, as in real data).
    Returns the seconds spent inserting (0 when everything was already there)."""
    from django.db import connection, transaction

    assert len(prefix) + 12 <= 40
    spent = 0.0
    with connection.cursor() as cur:
        for start in range(1, count + 1, chunk):
            stop_ = min(start + chunk - 1, count)
            ends = {f"{prefix}{start:012d}", f"{prefix}{stop_:012d}"}
            cur.execute(
                f"SELECT count(*) FROM {AUDIT_TABLE} WHERE id = ANY(%s)",  # noqa: S608
                [list(ends)],
            )
            if cur.fetchone()[0] == len(ends):
                continue  # this chunk is there already (its first and last ids are)
            began = time.perf_counter()
            with transaction.atomic():
                cur.execute("SET LOCAL synchronous_commit = off")
                cur.execute(
                    f"""
                INSERT INTO {AUDIT_TABLE} (id, organization_id, actor_type, actor_id,
                    actor_label, action, target_type, target_id, details, request_id, ip,
                    created_at)
                SELECT %(prefix)s || lpad(i::text, 12, '0'), %(org)s, 'user', %(uid)s,
                    %(email)s, (%(actions)s::text[])[1 + i %% {len(SEED_ACTIONS)}], 'user',
                    'usr_bench' || lpad((i %% 997)::text, 6, '0'),
                    jsonb_build_object('n', i, 'role', 'MEMBER',
                                       'email', 'person' || (i %% 997) || '@example.com'),
                    'req_bench' || lpad(i::text, 12, '0'),
                    ('10.0.' || (i %% 250) || '.' || (1 + i %% 200))::inet,
                    timestamptz '2025-01-01 00:00:00+00' - (i / 2) * interval '1 minute'
                FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS i
                ON CONFLICT (id) DO NOTHING
                """,  # noqa: S608 - table name is a constant
                    {
                        "prefix": prefix,
                        "org": tenant.org_id,
                        "uid": tenant.user_id,
                        "email": tenant.email,
                        "actions": list(SEED_ACTIONS),
                        "start": start,
                        "stop": stop_,
                    },
                )
            spent += time.perf_counter() - began
        if spent:
            cur.execute(f"ANALYZE {AUDIT_TABLE}")
    return spent


def close_db() -> None:
    from django.db import connections

    connections.close_all()


# --- HTTP servers ---------------------------------------------------------------------------
def gunicorn_desc() -> str:
    return f"gunicorn bench.wsgi, 2 workers × {THREADS} threads (as the Dockerfile), DEBUG=false"


THREADS = int(os.environ.get("BENCH_THREADS", "4"))


def start_gunicorn(var_dir: Path, *, workers: int = 2) -> tuple[str, subprocess.Popen, Path]:
    """gunicorn as the Dockerfile runs it (``--threads 4``: the gthread worker, keep-alive),
    with 2 workers for 2 cores; no access log."""
    port = free_port()
    log = var_dir / "gunicorn.log"
    proc = spawn(
        [
            str(BIN / "gunicorn"),
            "bench.wsgi:application",
            "--workers",
            str(workers),
            "--threads",
            str(THREADS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        log=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/healthz", proc=proc)
    except RuntimeError as exc:
        raise RuntimeError(f"gunicorn did not start: {exc}\n{tail(log)}") from exc
    return base, proc, log


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# --- load generation ------------------------------------------------------------------------
@dataclass
class Load:
    label: str
    requests: int = 0
    seconds: float = 0.0
    bad: int = 0  # non-2xx answers and socket errors
    latencies_ms: list[float] = field(default_factory=list)  # per-round p50s (wrk) or samples
    rounds: list[float] = field(default_factory=list)  # req/s of each round
    cpu_seconds: float = 0.0  # server CPU (gunicorn workers + their PostgreSQL backends)
    cpu_rounds: list[float] = field(default_factory=list)  # server CPU ms/request per round

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        """The median over rounds of the server CPU each request cost."""
        return statistics.median(self.cpu_rounds) if self.cpu_rounds else 0.0


# --- server CPU accounting ------------------------------------------------------------------
# Requests/s on a shared 2-core machine swing with whatever else runs; the CPU the server
# spent per request (its gunicorn workers plus the PostgreSQL backends serving them) does not
# depend on how much CPU it was given, so it is reported next to requests/s as a steadier
# second measure of the same comparison.
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime + stime


def _children_of(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                kids.append(int(entry.name))
    return kids


def _bench_db_backends() -> list[int]:
    import psycopg

    try:
        with psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
    except psycopg.Error:
        return []
    return [r[0] for r in rows]


def server_pids(master: subprocess.Popen) -> list[int]:
    """gunicorn's workers and the bench database's backends (the driver holds none)."""
    return _children_of(master.pid) + _bench_db_backends()


def cpu_snapshot(pids: list[int]) -> dict[int, float]:
    return {pid: cpu for pid in pids if (cpu := _proc_cpu(pid)) is not None}


def cpu_delta(before: dict[int, float], pids: list[int]) -> float:
    after = cpu_snapshot(pids)
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)


_WRK: str | None | bool = False  # False = not looked up yet


def wrk_path() -> str | None:
    """wrk if installed; otherwise try Debian's package once (root only), else None."""
    global _WRK
    if _WRK is not False:
        return _WRK  # type: ignore[return-value]
    mode = os.environ.get("BENCH_LOADGEN", "").lower()
    found = None if mode == "python" else shutil.which("wrk")
    may_install = os.environ.get("BENCH_NO_INSTALL") != "1" and os.geteuid() == 0
    if found is None and mode != "python" and may_install and shutil.which("apt-get"):
        print("  (wrk not installed: trying `apt-get install -y wrk`)", flush=True)
        for cmd in (
            ["apt-get", "install", "-y", "-qq", "wrk"],
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "wrk"],
        ):
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                subprocess.run(cmd, capture_output=True, timeout=90, check=False)
            found = shutil.which("wrk")
            if found:
                break
    if found is None and mode == "wrk":
        raise BenchUnavailable("BENCH_LOADGEN=wrk but wrk is not installed")
    _WRK = found
    return found


def loadgen_name(connections: int) -> str:
    if wrk_path():
        return f"wrk -t1 -c{connections}"
    return f"python load generator ({connections} processes, http.client)"


def _run_wrk(
    url: str, headers: dict[str, str], seconds: float, connections: int
) -> tuple[int, float, int, float]:
    cmd = [
        wrk_path(),
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(
        cmd + [url], capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if not m:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    n, secs = int(m.group(1)), float(m.group(2)) / (1000 if m.group(3) == "ms" else 1)
    bad = 0
    if m2 := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        bad += int(m2.group(1))
    if m3 := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        bad += sum(int(x) for x in m3.groups())
    p50 = 0.0
    if m4 := re.search(r"50%\s+([\d.]+)(us|ms|s)", out):
        p50 = float(m4.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m4.group(2)]
    return n, secs, bad, p50


def _py_worker(url: str, headers: dict[str, str], seconds: float, out) -> None:
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    n = bad = 0
    lat: list[float] = []
    start = time.monotonic()
    deadline = start + seconds
    while True:
        t = time.monotonic()
        if t >= deadline:
            break
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if not 200 <= resp.status < 300:
                bad += 1
            if resp.will_close:
                conn.close()
        except (OSError, http.client.HTTPException):
            bad += 1
            conn.close()
        n += 1
        lat.append((time.monotonic() - t) * 1000)
    out.put((n, time.monotonic() - start, bad, statistics.median(lat) if lat else 0.0))


def _run_python(
    url: str, headers: dict[str, str], seconds: float, connections: int
) -> tuple[int, float, int, float]:
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    procs = [
        ctx.Process(target=_py_worker, args=(url, headers, seconds, q)) for _ in range(connections)
    ]
    for p in procs:
        p.start()
    results = [q.get(timeout=seconds + 30) for _ in procs]
    for p in procs:
        p.join(5)
    n = sum(r[0] for r in results)
    secs = max(r[1] for r in results)
    return n, secs, sum(r[2] for r in results), statistics.median(r[3] for r in results)


def hammer(
    url: str, headers: dict[str, str], seconds: float, connections: int
) -> tuple[int, float, int, float]:
    """(requests, seconds, bad, p50 ms) of ``seconds`` of closed-loop load on ``url``."""
    if wrk_path():
        return _run_wrk(url, headers, seconds, connections)
    return _run_python(url, headers, seconds, connections)


def compare_throughput(
    targets: list[tuple[str, str, dict[str, str]]],
    *,
    rounds: int | None = None,
    seconds: float | None = None,
    connections: int | None = None,
    warmup: float = 2.0,
    server: subprocess.Popen | None = None,
) -> list[Load]:
    """Requests/s of each (label, url, headers), measured in interleaved rounds (A B A B …)
    so that drift (CPU frequency, autovacuum, page cache) hits every target alike; with
    ``server`` (the gunicorn master), also the server CPU each request cost."""
    rounds = rounds or int(os.environ.get("BENCH_ROUNDS", "5"))
    seconds = seconds or float(os.environ.get("BENCH_SECONDS", "6"))
    connections = connections or int(os.environ.get("BENCH_CONNECTIONS", "4"))
    loads = [Load(label) for label, _, _ in targets]
    for _label, url, headers in targets:
        hammer(url, headers, warmup, connections)
    pids = server_pids(server) if server is not None else []
    for _ in range(rounds):
        for load, (_label, url, headers) in zip(loads, targets, strict=True):
            before = cpu_snapshot(pids)
            n, secs, bad, p50 = hammer(url, headers, seconds, connections)
            spent = cpu_delta(before, pids)
            load.cpu_seconds += spent
            if pids and n:
                load.cpu_rounds.append(spent * 1000 / n)
            load.requests += n
            load.seconds += secs
            load.bad += bad
            load.latencies_ms.append(p50)
            load.rounds.append(n / secs if secs else 0.0)
    return loads


# --- numbers and output -----------------------------------------------------------------------
def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def load_note() -> str:
    """The machine's load right now: figures taken on a busy machine are noisy."""
    one, _five, _fifteen = os.getloadavg()
    cpus = os.cpu_count() or 1
    busy = "  (BUSY: other work is running; ratios hold better than absolute figures)"
    return f"machine: {cpus} CPUs, load average {one:.2f}" + (busy if one > cpus * 0.75 else "")


def header(title: str, lines: list[str]) -> None:
    print("=" * 88)
    print(title)
    for line in [*lines, load_note()]:
        print("  " + line)
    print("-" * 88, flush=True)


def save_result(name: str, data: dict[str, Any]) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    data = {
        "benchmark": name,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
        **data,
    }
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(data, indent=2, default=str) + "\n")


def main_guard(fn) -> None:
    """Run a benchmark's main(): 0 when it ran (goals met or not) or its target is not
    available yet; 1 when the setup is broken or it ran out of time."""
    try:
        fn()
        code = 0
    except BenchUnavailable as exc:
        print(f"NOT AVAILABLE: {exc}")
        code = 0
    except BenchTimeout as exc:
        print(f"ERROR: {exc}")
        code = 1
    except Exception as exc:  # noqa: BLE001 - report and clean up
        import traceback

        traceback.print_exc()
        print(f"ERROR: {exc}")
        code = 1
    finally:
        cleanup()
    sys.stdout.flush()
    os._exit(code)


def report_throughput(
    baseline: Load, ours: Load, *, baseline_what: str, ours_what: str, goal: float
) -> dict[str, Any]:
    """Print both loads and the ratios; return the figures for save_result().

    The goal is judged on the **server CPU per request** (median of the rounds; baseline /
    ours, so 1.0 = as cheap as the baseline): on a shared machine requests/s swings with
    whatever else runs, CPU per request hardly does. Requests/s is printed beside it."""
    width = max(len(baseline_what), len(ours_what))
    for load, what in ((baseline, baseline_what), (ours, ours_what)):
        rounds_txt = ", ".join(f"{r:.0f}" for r in load.rounds)
        cpu_txt = ", ".join(f"{c:.2f}" for c in load.cpu_rounds)
        p50 = sorted(load.latencies_ms)[len(load.latencies_ms) // 2]
        print(
            f"  {load.label:<9} {what:<{width}}  server CPU {load.cpu_ms_per_request:6.2f} ms/req"
            f" (rounds {cpu_txt})   {load.rps:7.1f} req/s (rounds {rounds_txt}; p50"
            f" {p50:.1f} ms; errors {load.bad})"
        )
    cpu_ratio = (
        baseline.cpu_ms_per_request / ours.cpu_ms_per_request
        if baseline.cpu_rounds and ours.cpu_rounds and ours.cpu_ms_per_request
        else 0.0
    )
    ratio = ours.rps / baseline.rps if baseline.rps else 0.0
    print(
        f"  {'ratio':<9} server CPU per request baseline / ours = {cpu_ratio:.2f}×"
        f"   goal ≥ {goal}×: {verdict(cpu_ratio >= goal)}"
    )
    print(f"  {'':<9} requests/s ours / baseline = {ratio:.2f}× (noisier on a shared machine)")
    return {
        "baseline_rps": round(baseline.rps, 1),
        "ours_rps": round(ours.rps, 1),
        "rps_ratio": round(ratio, 3),
        "baseline_cpu_ms_per_req": round(baseline.cpu_ms_per_request, 3),
        "ours_cpu_ms_per_req": round(ours.cpu_ms_per_request, 3),
        "cpu_ratio": round(cpu_ratio, 3),
        "goal": f"cpu_ratio >= {goal}",
        "met": cpu_ratio >= goal,
    }
