"""/healthz says the process answers; /readyz says the database and the broker do too, and
that this process can read the result files its workers write."""

from __future__ import annotations

import socket

import pytest

from adminapp.celery_app import app as celery_app

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_with_a_request_id(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["X-Request-ID"].startswith("req_")
    assert "no-cache" in response.headers["Cache-Control"]


def test_readyz_is_200_when_database_and_broker_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "media": "ok"},
    }


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_unreachable():
    """Point the real Celery app at a Redis that is not there, for this test only."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport, conf.broker_transport_options)
    conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    conf.broker_transport = None
    conf.broker_transport_options = {}
    yield
    conf.broker_url, conf.broker_transport, conf.broker_transport_options = saved


def test_readyz_is_503_and_names_the_broker_when_it_is_unreachable(client, broker_unreachable):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error")
    # The process itself is still alive: a load balancer must not restart it for this.
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_health_endpoints_only_answer_get(client, method):
    assert getattr(client, method)("/healthz").status_code == 405
    assert getattr(client, method)("/readyz").status_code == 405


def test_probes_answer_whatever_the_host_header_says(client, settings):
    """A load balancer probes by IP: the probes must not depend on ALLOWED_HOSTS."""
    settings.ALLOWED_HOSTS = ["portal.example.com"]

    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    # Everything else still refuses an unknown host.
    assert client.get("/api/v1/openapi.json", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_readyz_and_the_deploy_check_refuse_a_media_root_the_workers_do_not_share(
    client, settings, tmp_path
):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from adminapp.jobs import probes

    settings.MEDIA_ROOT = tmp_path / "worker-machine"
    probes.write_probe("celery@worker-2")  # as the worker does when it starts
    settings.MEDIA_ROOT = tmp_path / "web-machine"

    body = client.get("/readyz").json()
    assert body["status"] == "unavailable"
    assert "celery@worker-2" in body["checks"]["media"]
    assert str(tmp_path / "worker-machine") in body["checks"]["media"]
    with pytest.raises(SystemCheckError, match="adminapp.E001"):
        call_command("check", "--deploy", "--fail-level", "ERROR")

    settings.MEDIA_ROOT = tmp_path / "worker-machine"  # one shared folder
    assert client.get("/readyz").json()["checks"]["media"] == "ok"
    probes.remove_probe("celery@worker-2")  # a clean stop
    assert not list((tmp_path / "worker-machine" / ".workers").iterdir())
