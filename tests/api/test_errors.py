"""The API framework: one error body for every failure, request ids, limits, OpenAPI and docs."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from tests.api.helpers import API, api_error

ADMIN = "ADMIN"


def _post_json(client, path, body, **extra):
    return client.post(path, body, content_type="application/json", **extra)


# --- the error body on every kind of failure --------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "role", "body", "status", "code"),
    [
        ("get", "/me", None, None, 401, "authentication_required"),
        ("get", "/audit", "MEMBER", None, 403, "permission_denied"),
        ("get", "/api-keys/key_doesnotexist", ADMIN, None, 404, "not_found"),
        ("get", "/nope", ADMIN, None, 404, "not_found"),
        ("delete", "/api-keys", ADMIN, None, 405, "method_not_allowed"),
        ("post", "/api-keys", ADMIN, "{not json", 422, "invalid_json"),
        ("post", "/api-keys", ADMIN, {"label": 7}, 422, "validation_error"),
        ("get", "/api-keys?limit=0", ADMIN, None, 422, "validation_error"),
    ],
)
def test_every_failure_has_the_error_body_and_matching_request_id(
    client, tenant, method, path, role, body, status, code
):
    auth = tenant.auth(role) if role else {}
    if body is None:
        response = getattr(client, method)(f"{API}{path}", **auth)
    else:
        data = body if isinstance(body, str) else json.dumps(body)
        response = getattr(client, method)(
            f"{API}{path}", data, content_type="application/json", **auth
        )
    error = api_error(response, status, code)
    assert error["request_id"].startswith("req_")


def test_every_success_has_a_request_id_header(client, tenant):
    response = client.get(f"{API}/me", **tenant.auth())
    assert response.status_code == 200
    assert re.fullmatch(r"req_[0-9a-f]{32}", response["X-Request-ID"])


def test_caller_provided_request_id_is_echoed(client, tenant):
    response = client.get(
        f"{API}/api-keys/key_missing", HTTP_X_REQUEST_ID="trace-12345678", **tenant.auth()
    )
    error = api_error(response, 404, "not_found")
    assert error["request_id"] == "trace-12345678"
    ok = client.get(f"{API}/me", HTTP_X_REQUEST_ID="trace-12345678", **tenant.auth())
    assert ok["X-Request-ID"] == "trace-12345678"


@pytest.mark.parametrize("bad", ["short", "has spaces in it", "x" * 65, "semi;colon;id"])
def test_unusable_caller_request_id_is_replaced(client, tenant, bad):
    response = client.get(f"{API}/me", HTTP_X_REQUEST_ID=bad, **tenant.auth())
    assert response.status_code == 200
    assert response["X-Request-ID"].startswith("req_")


def test_unknown_endpoint_is_json_404(client, tenant):
    error = api_error(client.get(f"{API}/nope", **tenant.auth()), 404, "not_found")
    assert error["fields"] == {}


def test_unknown_endpoint_is_404_even_without_credentials(client):
    api_error(client.get(f"{API}/nope/deeper"), 404, "not_found")


def test_wrong_method_is_json_405_with_allow(client, tenant):
    response = client.delete(f"{API}/api-keys", **tenant.auth())
    api_error(response, 405, "method_not_allowed")
    assert {m.strip() for m in response["Allow"].split(",")} == {"GET", "POST"}


def test_malformed_json_is_422_invalid_json(client, tenant):
    response = _post_json(client, f"{API}/api-keys", '{"label": "x",', **tenant.auth())
    error = api_error(response, 422, "invalid_json")
    assert error["message"].startswith("Malformed JSON")
    assert list(error["fields"]) == ["body"]


def test_wrong_types_are_422_with_a_message_per_field(client, tenant):
    response = _post_json(
        client,
        f"{API}/api-keys",
        {"label": 123, "kind": "SUPERUSER", "expires_at": "next tuesday"},
        **tenant.auth(),
    )
    error = api_error(response, 422, "validation_error")
    assert set(error["fields"]) == {"label", "kind", "expires_at"}
    assert all(error["fields"][f] for f in error["fields"])
    assert "PERSONAL" in " ".join(error["fields"]["kind"])


def test_wrong_query_type_is_422_naming_the_parameter(client, tenant):
    error = api_error(
        client.get(f"{API}/api-keys?limit=many", **tenant.auth()), 422, "validation_error"
    )
    assert list(error["fields"]) == ["limit"]


def test_unknown_field_is_422_unknown_field(client, tenant):
    response = _post_json(
        client, f"{API}/api-keys", {"label": "x", "colour": "red"}, **tenant.auth()
    )
    error = api_error(response, 422, "validation_error")
    assert error["fields"] == {"colour": ["Unknown field."]}


def test_body_that_is_not_an_object_is_422(client, tenant):
    response = _post_json(client, f"{API}/api-keys", [1, 2, 3], **tenant.auth())
    api_error(response, 422, "validation_error")


def test_a_missing_body_is_422_naming_the_body_not_an_internal_name(client, tenant):
    response = client.post(f"{API}/api-keys", b"", content_type="application/json", **tenant.auth())
    error = api_error(response, 422, "validation_error")
    assert error["fields"] == {"body": ["Field required"]}
    assert "payload" not in error["message"]


def test_an_empty_object_is_422_naming_each_required_field(client, tenant):
    response = _post_json(client, f"{API}/api-keys", {}, **tenant.auth())
    error = api_error(response, 422, "validation_error")
    assert error["fields"] == {"label": ["Field required"]}


def test_body_over_the_limit_is_413_and_nothing_is_written(client, tenant, settings):
    from adminapp.accounts.models import ApiKey

    settings.API_MAX_BODY_BYTES = 1000
    before = ApiKey.objects.count()
    body = json.dumps({"label": "big", "description": "x" * 1200})
    error = api_error(
        _post_json(client, f"{API}/api-keys", body, **tenant.auth()), 413, "payload_too_large"
    )
    assert "1000" in error["message"]
    assert ApiKey.objects.count() == before


def test_body_under_the_limit_is_accepted(client, tenant, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = json.dumps({"label": "small", "description": "x" * 400})
    assert len(body) < 1000
    assert _post_json(client, f"{API}/api-keys", body, **tenant.auth()).status_code == 201


@pytest.mark.parametrize("debug", [False, True])
def test_server_error_is_json_internal_error_without_a_traceback(
    client, tenant, settings, caplog, debug
):
    """A real failure below the API (the audit table is gone, as with an unapplied
    migration) reaches the caller as the error body, never as a traceback or SQL."""
    settings.DEBUG = debug
    auth = tenant.auth()
    with transaction.atomic():
        connection.check_constraints()  # PostgreSQL: no deferred checks pending on the table
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE audit_auditevent")
        with caplog.at_level(logging.ERROR, logger="adminapp.api"):
            response = client.get(f"{API}/audit", HTTP_X_REQUEST_ID="trace-500-abcdef", **auth)
        transaction.set_rollback(True)
    error = api_error(response, 500, "internal_error")
    assert error["request_id"] == "trace-500-abcdef"
    text = response.content.decode()
    for leak in ("Traceback", "audit_auditevent", "Error", 'File "', "SELECT"):
        assert leak not in text
    # The operator can find it: the log names the request id and carries the traceback.
    logged = [r for r in caplog.records if r.name == "adminapp.api"]
    assert logged and "trace-500-abcdef" in logged[0].getMessage()
    assert logged[0].exc_info is not None


# --- OpenAPI and docs ---------------------------------------------------------------------
def test_openapi_schema_lists_the_endpoints(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["version"] == "1"
    paths = set(schema["paths"])
    for path in (
        "/api/v1/me",
        "/api/v1/auth/login",
        "/api/v1/organizations",
        "/api/v1/organizations/{org_id}/members",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{key_id}/revoke",
        "/api/v1/permissions/check",
        "/api/v1/audit",
        "/api/v1/audit/custom/{event_type}",
        "/api/v1/audit/exports",
        "/api/v1/jobs",
        "/api/v1/jobs/{job_id}",
    ):
        assert path in paths, path
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_docs_page_is_served_without_a_cdn(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/" in html
    assert "openapi.json" in html
    assert not re.search(r"<script[^>]+src=[\"']https?://", html)
    assert not re.search(r"<link[^>]+href=[\"']https?://", html)


@pytest.mark.parametrize(
    "body",
    [
        '{"k": NaN}',
        '{"k": Infinity}',
        '{"k": -Infinity}',
        '{"k": 1e400}',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["nan", "infinity", "minus-infinity", "float-overflow", "deep-nesting"],
)
def test_json_that_no_column_can_store_is_422_invalid_json(client, tenant, body):
    from adminapp.audit.models import AuditEvent

    before = AuditEvent.objects.count()
    response = _post_json(client, f"{API}/audit/custom/probe", body, **tenant.auth())
    api_error(response, 422, "invalid_json")
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api-keys", {"label": "a\u0000b"}, "label"),
        ("post", "/audit/custom/probe", {"note": {"deep": ["ok", "a\u0000"]}}, "note.deep.1"),
        ("post", "/audit/custom/probe", {"k\u0000": 1}, "k\\u0000"),
        ("post", "/auth/login", {"email": "a\u0000b@example.com", "password": "x"}, "email"),
        ("get", "/audit?actor=a%00b", None, "actor"),
        ("get", "/permissions/check?principal=a%00b&action=org.read", None, "principal"),
        ("get", "/organizations/ORG/members?email=%00", None, "email"),
    ],
)
def test_nul_character_in_text_is_422_naming_the_field(client, tenant, method, path, body, field):
    """PostgreSQL cannot store or compare NUL; such input is refused before any query."""
    from adminapp.accounts.models import ApiKey
    from adminapp.audit.models import AuditEvent

    counts = (ApiKey.objects.count(), AuditEvent.objects.count())
    url = f"{API}{path.replace('ORG', tenant.org.id)}"
    if body is None:
        response = client.get(url, **tenant.auth())
    else:
        response = _post_json(client, url, json.dumps(body), **tenant.auth())
    error = api_error(response, 422, "validation_error")
    assert list(error["fields"]) == [field]
    assert (ApiKey.objects.count(), AuditEvent.objects.count()) == counts


def test_nul_character_in_an_id_is_404(client, tenant):
    api_error(client.get(f"{API}/api-keys/key_%00", **tenant.auth()), 404, "not_found")


# --- JSON no reader could render (Hardening I #7) and text no column can hold (#8) ----------
@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"n": 2**64}, "n", "64 bits"),
        ({"n": -(2**63) - 1}, "n", "64 bits"),
        ({"a": {"b": [2**70]}}, "a.b.0", "64 bits"),
        (json.loads("[" * 80 + "]" * 80), None, "deeper than 64"),
        ({"x": "\udc80"}, "x", "lone surrogates"),
        ({"\ud800key": 1}, "\\ud800key", "lone surrogates"),
    ],
    ids=["int-over", "int-under", "nested-int", "depth", "surrogate", "surrogate-key"],
)
def test_a_custom_event_no_page_could_render_is_422_and_the_log_stays_readable(
    client, tenant, body, field, words
):
    from adminapp.audit.models import AuditEvent

    before = AuditEvent.objects.count()
    url = f"{API}/audit/custom/poison"
    error = api_error(
        _post_json(client, url, json.dumps(body), **tenant.auth("MEMBER")), 422, "validation_error"
    )
    assert words in error["message"]
    if field is not None:
        assert list(error["fields"]) == [field]
    assert AuditEvent.objects.count() == before
    assert client.get(f"{API}/audit", **tenant.auth("OWNER")).status_code == 200
    dashboard = Client()  # signed in: the dashboard does not take API keys
    dashboard.force_login(tenant.owner)
    assert dashboard.get(reverse("web:overview")).status_code == 200
    assert dashboard.get(reverse("web:audit")).status_code == 200


def test_values_stored_before_the_parser_refused_them_still_render(client, tenant):
    from adminapp.audit.models import AuditEvent

    deep: object = 1
    for _ in range(300):
        deep = [deep]
    AuditEvent.objects.create(
        organization=tenant.org, actor_type="user", action="custom.old", details={"n": 2**70}
    )
    AuditEvent.objects.create(
        organization=tenant.org, actor_type="user", action="custom.old", details={"deep": deep}
    )
    response = client.get(f"{API}/audit?action=custom.old", **tenant.auth("OWNER"))
    assert response.status_code == 200
    assert {str(2**70)} <= {str(e["details"].get("n")) for e in response.json()["items"]}


def test_a_lone_surrogate_in_a_name_is_422_naming_the_field_not_a_500(client, tenant):
    for path, body, field in (
        ("/spaces", {"name": "Robot \udc80 Arms"}, "name"),
        ("/roles", {"name": "Curator", "description": "\ud83d"}, "description"),
        ("/api-keys", {"label": "k\udfff"}, "label"),
    ):
        error = api_error(
            _post_json(client, f"{API}{path}", json.dumps(body), **tenant.auth("OWNER")),
            422,
            "validation_error",
        )
        assert list(error["fields"]) == [field], path


def test_a_chunked_body_is_411_saying_to_send_a_length_not_a_misleading_422(client, tenant):
    response = client.post(
        f"{API}/spaces",
        b'{"name": "Chunked"}',
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **tenant.auth("OWNER"),
    )
    error = api_error(response, 411, "length_required")
    assert "Content-Length" in error["message"]
