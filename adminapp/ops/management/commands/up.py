"""``manage.py up``: the one command that runs the portal on this machine.

It migrates, seeds the demo data, prints where to sign in, then runs the web server (gunicorn),
a Celery worker and Celery beat together under honcho's process manager. Ctrl-C (or SIGTERM)
stops all three; if one of them dies, honcho stops the others and ``up`` exits non-zero.

With no configuration this is the embedded default (SQLite and a filesystem broker under
``var/``); with ``DATABASE_URL`` / ``REDIS_URL`` set, the same three processes use those.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

READY_TIMEOUT = 120.0
# How long a stop waits before SIGKILL: an idle worker on the filesystem broker needs ~7 s to
# shut down warm (it hands its prefetched messages back); honcho's default is 5 s.
STOP_GRACE_SECONDS = 15


class _SignalLeaderFirst:
    """honcho signals each program's whole process group. A Celery worker whose pool children
    get SIGTERM directly can hang in shutdown, so ask the leader (gunicorn master, celery main)
    to stop and let it stop its own children; a kill after the grace period takes the group."""

    def terminate(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)

    def kill(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def _program(name: str) -> list[str]:
    """The console script next to this interpreter (the venv's bin/), else ``python -m``."""
    script = Path(sys.executable).parent / name
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", name]


def _bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _browse_url(host: str, port: int) -> str:
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - listening everywhere; browse locally
        host = "127.0.0.1"
    return f"http://{_bind_address(host, port)}/"


def process_commands(*, host: str, port: int, var_dir: Path) -> dict[str, list[str]]:
    """The three processes ``up`` runs (also what a Procfile or compose.yaml would run)."""
    celery = [*_program("celery"), "-A", "adminapp.celery_app"]
    return {
        "web": [
            *_program("gunicorn"),
            "adminapp.wsgi",
            "--bind",
            _bind_address(host, port),
            "--workers",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
            # Gunicorn 25+ opens a control socket in ~ by default; two instances would share it.
            "--no-control-socket",
        ],
        "worker": [
            *celery,
            "worker",  # no -Q: every queue (the reaper's and each kind of job work)
            "--concurrency",
            "2",
            "-l",
            "info",
        ],
        "beat": [*celery, "beat", "-l", "info", "-s", str(var_dir / "celerybeat-schedule")],
    }


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {_bind_address(host, port)}: {exc.strerror}. "
                "Is the portal already running? Pick another port with --port."
            ) from None


class Command(BaseCommand):
    help = (
        "Run the portal: migrate, seed the demo data, then start the web server, a Celery "
        "worker and Celery beat together. Ctrl-C stops them all."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--no-seed", action="store_true", help="Do not create or complete the demo data."
        )

    def handle(self, *args, host: str, port: int, no_seed: bool, **options) -> None:
        from honcho import manager as honcho_manager

        _check_port_free(host, port)
        verbosity = options.get("verbosity", 1)
        self.stdout.write("Applying migrations…")
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        login = None
        login_text: list[str] = []
        if not no_seed:
            from adminapp.ops.management.commands.seed_demo import (
                demo_password,
                login_lines,
                seed_demo,
            )

            password, source = demo_password()
            login = seed_demo(password=password, password_source=source)
            login_text = login_lines(login)
        # The processes below are forked; none of them may share this one's connections.
        connections.close_all()

        url = _browse_url(host, port)
        banner = self._banner(url=url, login_text=login_text)
        self.stdout.write(banner)
        self.stdout.flush()

        env = os.environ.copy()
        env["PYTHONUNBUFFERED"] = "1"
        env.setdefault("DJANGO_SETTINGS_MODULE", "adminapp.settings")
        honcho_manager.KILL_WAIT = STOP_GRACE_SECONDS
        manager = honcho_manager.Manager()
        manager._procmgr = _SignalLeaderFirst()
        for name, argv in process_commands(
            host=host, port=port, var_dir=Path(settings.VAR_DIR)
        ).items():
            # honcho runs each through a shell; exec so signals reach the program itself.
            manager.add_process(
                name, "exec " + shlex.join(argv), env=env, cwd=str(settings.BASE_DIR)
            )
        threading.Thread(target=self._announce_when_ready, args=(url, login), daemon=True).start()
        manager.loop()
        if manager.returncode:
            sys.exit(manager.returncode)

    def _banner(self, *, url: str, login_text: list[str]) -> str:
        db = settings.DATABASES["default"]
        database = (
            f"SQLite {db['NAME']}"
            if db["ENGINE"].endswith("sqlite3")
            else f"{db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or 'localhost'}/{db['NAME']}"
        )
        broker = settings.CELERY_BROKER_URL
        if broker.startswith("filesystem://"):
            broker = f"filesystem {Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in']).parent}"
        else:
            broker = broker.split("@")[-1]  # never print a password from the URL
        rule = "=" * 72
        lines = [
            rule,
            f"  adminapp is starting at {url}",
            f"  Database:  {database}",
            f"  Broker:    {broker}",
            "  Processes: web (gunicorn), worker (celery), beat (celery). Ctrl-C stops all.",
        ]
        lines.append(f"  Mail:      {_mail_destination()}")
        if login_text:
            lines += ["", "  Sign in:", *login_text]
        lines.append(rule)
        return "\n".join(lines)

    def _announce_when_ready(self, url: str, login) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            return
        who = f" and sign in as {login.email} / {login.password}" if login else ""
        self.stdout.write(self.style.SUCCESS(f"Ready: open {url}{who}"))
        self.stdout.flush()


def _mail_destination() -> str:
    """Where the mail the app sends goes: an SMTP server, or files under var/mail/."""
    if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        return f"files in {settings.EMAIL_FILE_PATH} (set EMAIL_HOST to send it)"
    return f"SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
