"""Retries, backoff, Retry-After, Idempotency-Key and transport errors, over real sockets
against a scripted HTTP server on loopback."""

from __future__ import annotations

import re
import socket
import time
from datetime import UTC, datetime

import pytest

from adminapp.client import (
    AdminClient,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    UnprocessableEntityError,
    __version__,
)
from tests.client.scripted_server import Reply, ScriptedServer

NOW = "2026-01-02T03:04:05Z"
# What the server answers, field for field (test_the_scripted_replies_are_what_the_api_sends
# compares them with the real API's answers).
ME = {
    "principal_type": "user",
    "user": {"id": "usr_1", "email": "ann@example.com", "name": "Ann"},
    "api_key_id": "key_1",
    "organization": {
        "id": "org_1",
        "name": "Acme",
        "slug": "acme",
        "role": "OWNER",
        "created_at": NOW,
        "require_two_factor": False,
    },
    "role": "OWNER",
    "is_instance_admin": False,
    "permissions": ["audit.read"],
}
JOB = {
    "id": "job_1",
    "kind": "audit_export",
    "label": "Audit log export",
    "state": "QUEUED",
    "outcome": None,
    "counts": {"succeeded": 0, "failed": 0},
    "progress": {"done": 0, "total": None, "stage": "queued", "message": ""},
    "owner": "ann@example.com",
    "has_result": False,
    "has_file": False,
    "makes_file": True,
    "params": {"action": "api_key.", "actor": None, "since": None, "target": None, "until": None},
    "result": None,
    "error": None,
    "abort_requested": False,
    "attempts": 0,
    "created_at": NOW,
    "started_at": None,
    "finished_at": None,
    "heartbeat_at": None,
}
EVENT = {
    "id": "aud_1",
    "actor_type": "user",
    "actor_id": "usr_1",
    "actor_label": "ann@example.com",
    "action": "custom.x",
    "target_type": "",
    "target_id": "",
    "details": {"params": {"n": 1}},
    "request_id": "req_1",
    "ip": "127.0.0.1",
    "created_at": NOW,
}


def error(code: str, message: str = "nope") -> dict:
    return {"error": {"code": code, "message": message, "fields": {}, "request_id": "req_e1"}}


@pytest.fixture
def server():
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


def make_client(server: ScriptedServer, **kwargs) -> AdminClient:
    kwargs.setdefault("api_key", "adm_test")
    return AdminClient(base_url=server.url, **kwargs)


def test_get_is_retried_after_503_and_then_succeeds(server):
    server.script(Reply(503, json=error("unavailable")), Reply(200, json=ME))

    me = make_client(server).me.get()

    assert me.user.email == "ann@example.com"
    assert [r.path for r in server.received] == ["/api/v1/me", "/api/v1/me"]


def test_backoff_grows_between_attempts_until_max_retries_then_raises(server):
    server.script(*[Reply(500, json=error("internal_error", "boom"))] * 4)

    with pytest.raises(InternalServerError) as exc_info:
        make_client(server, max_retries=2).me.get()

    assert len(server.received) == 3  # the call and two retries
    first_gap = server.received[1].at - server.received[0].at
    second_gap = server.received[2].at - server.received[1].at
    assert 0.3 <= first_gap < 0.9  # 0.5 s minus up to 25 % jitter
    assert 0.7 <= second_gap < 1.5  # 1.0 s minus up to 25 % jitter
    err = exc_info.value
    assert (err.status_code, err.code, err.message) == (500, "internal_error", "boom")
    assert err.request_id == "req_e1"


def test_retry_after_is_honoured(server):
    server.script(
        Reply(429, json=error("rate_limited"), headers={"Retry-After": "1"}), Reply(200, json=ME)
    )

    make_client(server).me.get()

    assert len(server.received) == 2
    assert server.received[1].at - server.received[0].at >= 0.95


def test_a_retry_after_too_long_to_sleep_through_is_raised_with_its_value(server):
    server.script(Reply(429, json=error("rate_limited"), headers={"Retry-After": "120"}))

    with pytest.raises(RateLimitError) as exc_info:
        make_client(server).me.get()

    assert len(server.received) == 1
    assert exc_info.value.retry_after == 120


def test_max_retries_zero_never_retries(server):
    server.script(Reply(503, json=error("unavailable")), Reply(200, json=ME))

    with pytest.raises(InternalServerError) as exc_info:
        make_client(server, max_retries=0).me.get()

    assert exc_info.value.status_code == 503
    assert len(server.received) == 1


def test_job_creating_post_reuses_one_idempotency_key_across_retries(server):
    server.script(
        Reply(502, body=b"<html>bad gateway</html>"),
        Reply(503, json=error("unavailable")),
        Reply(202, json=JOB),
    )

    job = make_client(server).audit.export(action="api_key.")

    assert job.id == "job_1"
    assert len(server.received) == 3
    keys = {r.headers.get("idempotency-key") for r in server.received}
    assert len(keys) == 1
    (key,) = keys
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", key)
    assert all(r.json() == {"action": "api_key."} for r in server.received)


def test_caller_given_idempotency_key_is_sent(server):
    server.script(Reply(202, json=JOB))

    make_client(server).audit.export(idempotency_key="export-2026-01")

    assert server.received[0].headers["idempotency-key"] == "export-2026-01"


def test_separate_job_creating_calls_get_separate_keys(server):
    server.script(Reply(202, json=JOB), Reply(202, json=JOB))

    client = make_client(server)
    client.audit.export()
    client.audit.export()

    first, second = (r.headers["idempotency-key"] for r in server.received)
    assert first != second


def test_plain_post_is_not_retried_on_a_server_error(server):
    server.script(Reply(500, json=error("internal_error")), Reply(201, json=EVENT))

    with pytest.raises(InternalServerError):
        make_client(server).audit.record_custom("x", {"n": 1})

    assert len(server.received) == 1
    assert "idempotency-key" not in server.received[0].headers


def test_plain_post_is_retried_when_refused_with_retry_after(server):
    server.script(
        Reply(429, json=error("rate_limited"), headers={"Retry-After": "0"}),
        Reply(201, json=EVENT),
    )

    event = make_client(server).audit.record_custom("x", {"n": 1})

    assert event.id == "aud_1"
    assert len(server.received) == 2


def test_dropped_connection_is_retried_for_get_but_not_for_plain_post(server):
    server.script(Reply(drop=True), Reply(200, json=ME))
    assert make_client(server).me.get().role == "OWNER"
    assert len(server.received) == 2

    server.received.clear()
    server.script(Reply(drop=True), Reply(201, json=EVENT))
    with pytest.raises(APIConnectionError):
        make_client(server).audit.record_custom("x")
    assert len(server.received) == 1


def test_connection_refused_raises_api_connection_error():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = AdminClient(api_key="adm_x", base_url=f"http://127.0.0.1:{port}", max_retries=0)

    with pytest.raises(APIConnectionError) as exc_info:
        client.me.get()

    assert not isinstance(exc_info.value, APITimeoutError)


def test_read_timeout_raises_api_timeout_error(server):
    server.script(Reply(200, json=ME, sleep=1.5))
    client = make_client(server, timeout=0.3, max_retries=0)

    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        client.me.get()

    assert time.monotonic() - started < 1.4
    assert len(server.received) == 1


def test_headers_query_and_body_encoding(server):
    page = {"items": [], "pagination": {"has_more": False, "next_cursor": None}}
    server.script(Reply(200, json=page), Reply(200, json=page), Reply(201, json=EVENT))
    client = make_client(server)

    client.audit.list(actor="ann@example.com", since=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    client.api_keys.list(include_revoked=True, limit=2)
    client.audit.record_custom("deploy.done", {"at": datetime(2026, 1, 2, tzinfo=UTC)})

    audit, keys, custom = server.received
    assert audit.headers["authorization"] == "Bearer adm_test"
    assert audit.headers["user-agent"] == f"adminapp-python/{__version__}"
    assert audit.query == {
        "actor": ["ann@example.com"],
        "since": ["2026-01-02T03:04:05Z"],
        "limit": ["50"],
    }  # None-valued filters are not sent
    assert keys.query == {"include_revoked": ["true"], "limit": ["2"]}
    assert custom.path == "/api/v1/audit/custom/deploy.done"
    assert custom.headers["content-type"] == "application/json"
    assert custom.json() == {"at": "2026-01-02T00:00:00Z"}


def test_ids_are_escaped_into_one_path_segment(server):
    server.script(Reply(404, json=error("not_found")))

    with pytest.raises(NotFoundError):
        make_client(server).api_keys.get("../me")

    assert server.received[0].path == "/api/v1/api-keys/..%2Fme"


def test_no_key_means_no_authorization_header(server, monkeypatch):
    monkeypatch.delenv("ADMINAPP_API_KEY", raising=False)
    server.script(Reply(401, json=error("authentication_required")))

    with pytest.raises(AuthenticationError):
        AdminClient(base_url=server.url).me.get()

    assert "authorization" not in server.received[0].headers


def test_key_and_base_url_come_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("ADMINAPP_API_KEY", "adm_from_env")
    monkeypatch.setenv("ADMINAPP_BASE_URL", server.url + "/")
    server.script(Reply(200, json=ME))

    AdminClient().me.get()

    assert server.received[0].headers["authorization"] == "Bearer adm_from_env"
    assert server.received[0].path == "/api/v1/me"


def test_non_json_error_bodies_still_map_to_the_right_error(server):
    server.script(
        Reply(502, body=b"<html><h1>502 Bad Gateway</h1></html>"),
        Reply(404, body=b""),
        Reply(422, json={"detail": "not our shape"}),
    )
    client = make_client(server, max_retries=0)

    with pytest.raises(InternalServerError) as bad_gateway:
        client.me.get()
    with pytest.raises(NotFoundError) as not_found:
        client.me.get()
    with pytest.raises(UnprocessableEntityError) as odd:
        client.me.get()

    assert bad_gateway.value.code == "internal_error"
    assert "502 Bad Gateway" in bad_gateway.value.message
    assert not_found.value.code == "not_found"
    assert odd.value.code == "validation_error"
    assert odd.value.body == {"detail": "not our shape"}


def test_open_download_streams_the_body(server):
    server.script(Reply(200, body=b"a,b\n" * 50_000, headers={"Content-Type": "text/csv"}))

    with make_client(server).jobs.open_download("job_1") as response:
        assert response.headers["content-type"] == "text/csv"
        chunks = list(response.iter_bytes())

    assert len(chunks) > 1
    assert b"".join(chunks) == b"a,b\n" * 50_000
    assert response.closed


def _shape(value):
    """A JSON value's structure: the keys of objects, the type of everything else."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


@pytest.mark.django_db
def test_the_scripted_replies_are_what_the_api_sends(client, tenant):
    """The scripted server plays the API: its replies have the fields, the kinds of values
    and the job kind the real API answers with (the job is not published: nothing commits
    in this test), so the SDK is tested on what it will meet."""
    from adminapp.jobs import kinds

    owner = tenant.auth("OWNER")
    job = client.post(
        "/api/v1/audit/exports", {"action": "api_key."}, content_type="application/json", **owner
    )
    assert job.status_code == 202, job.content
    me = client.get("/api/v1/me", **owner)
    event = client.post(
        "/api/v1/audit/custom/x", {"n": 1}, content_type="application/json", **owner
    )

    real_kinds = {k.name for k in kinds.all_kinds() if type(k).__module__.startswith("adminapp.")}
    assert JOB["kind"] in real_kinds
    assert (JOB["kind"], JOB["label"]) == (job.json()["kind"], job.json()["label"])
    assert _shape(JOB) == _shape(job.json())
    assert _shape(ME) == _shape(me.json())
    assert _shape(EVENT) == _shape(event.json())
