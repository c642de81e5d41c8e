"""``manage.py up``, the README's run command: one process that migrates, seeds, prints the
login and runs web + worker + beat on the embedded default until it is stopped."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from adminapp.client import AdminClient

ROOT = Path(__file__).resolve().parent.parent.parent
# The embedded default: no server-backed database, broker or cache.
_NOT_EMBEDDED = {
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DEMO_ADMIN_PASSWORD",
    "ADMINAPP_BROKER_DIR",  # the test run's (tests/settings.py); up keeps its own in var/
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _embedded_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _NOT_EMBEDDED}
    env.update(ADMINAPP_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="adminapp.settings")
    return env


def _manage(*args: str, env: dict[str, str], timeout: float = 120):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _started_pids(log: str) -> dict[str, int]:
    return {name: int(pid) for name, pid in re.findall(r"\| (\w+) started \(pid=(\d+)\)", log)}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def up(tmp_path):
    """``manage.py up`` on a free port in a var/ of its own; stopped (hard) afterwards."""
    var_dir = tmp_path / "var"
    env = _embedded_env(var_dir)
    port = _free_port()
    log_path = tmp_path / "up.log"
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "up", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    class Up:
        base_url = f"http://127.0.0.1:{port}"

        def __init__(self) -> None:
            self.proc, self.env, self.var_dir = proc, env, var_dir

        def log(self) -> str:
            return log_path.read_text()

        def wait_ready(self, timeout: float = 120) -> requests.Response:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"manage.py up exited with {proc.returncode}:\n{self.log()}")
                with contextlib.suppress(requests.RequestException):
                    response = requests.get(f"{self.base_url}/readyz", timeout=5)
                    if response.status_code == 200:
                        return response
                if time.monotonic() > deadline:
                    pytest.fail(f"/readyz was not 200 within {timeout}s:\n{self.log()}")
                time.sleep(0.3)

    handle = Up()
    yield handle
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    for pid in _started_pids(handle.log()).values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


@pytest.mark.worker
@pytest.mark.live
def test_up_serves_the_portal_runs_a_job_and_stops_on_ctrl_c(up):
    ready = up.wait_ready()
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok", "media": "ok"}

    # It printed where to go and how to sign in, and the password is the kept one.
    password = (up.var_dir / "demo_admin_password").read_text().strip()
    log = up.log()
    assert f"{up.base_url}/" in log
    assert "admin@example.com" in log and password in log

    # The dashboard answers, with its static files; the API documents itself.
    session = requests.Session()
    page = session.get(f"{up.base_url}/", timeout=10)
    assert page.status_code == 200 and "/login" in page.url
    assert requests.get(f"{up.base_url}/api/v1/openapi.json", timeout=10).status_code == 200
    signed_in = session.post(
        f"{up.base_url}/api/v1/auth/login",
        json={"email": "admin@example.com", "password": password},
        headers={"X-CSRFToken": session.cookies["csrftoken"]},
        timeout=10,
    )
    assert signed_in.status_code == 200, signed_in.text

    # A real job on the embedded worker, driven through the SDK over HTTP.
    made = _manage("seed_demo", "--api-key", "test", env=up.env)
    assert made.returncode == 0, made.stderr
    secret = re.search(r"^ADMINAPP_API_KEY=(\S+)$", made.stdout, re.M).group(1)
    client = AdminClient(api_key=secret, base_url=up.base_url)
    job = client.audit.export().wait(timeout=120)
    assert job.state == "SUCCEEDED", job
    assert "organization.create" in client.jobs.download(job.id).decode()

    # Ctrl-C stops web, worker and beat, and up itself.
    pids = _started_pids(up.log())
    assert set(pids) == {"web", "worker", "beat"}
    up.proc.send_signal(signal.SIGINT)
    up.proc.wait(40)
    log = up.log()
    for name in pids:
        assert f"{name} stopped" in log
    assert not [name for name, pid in pids.items() if _alive(pid)]


def test_up_refuses_a_port_that_is_taken(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        result = _manage("up", "--port", str(port), env=_embedded_env(tmp_path), timeout=60)

    assert result.returncode != 0
    assert "Cannot listen on" in result.stderr and "--port" in result.stderr
