"""The dashboard's in-process SDK acts as the signed-in user and nothing a browser sends can
change that; it gives the same answers and errors as HTTP, without request signals."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from adminapp.accounts.models import ApiKey
from adminapp.api.inprocess import InProcessTransport, client_for_request
from adminapp.client import AuthenticationError
from adminapp.core.http import INPROCESS_ATTR
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.client.inprocess_urls")]


def test_in_process_client_acts_as_the_signed_in_user_in_the_session_org(client, tenant):
    client.force_login(tenant.admin)

    data = client.get("/_test/whoami").json()

    assert data["email"] == tenant.admin.email
    assert data["org"] == tenant.org.id
    assert data["role"] == "ADMIN"
    assert data["principal_type"] == "user"
    assert data["api_key_id"] is None
    assert data["same_client"] is True  # one client per request


def test_forged_credentials_on_the_outer_request_do_not_change_who_acts(
    client, tenant, other_tenant
):
    client.force_login(tenant.member)

    response = client.get(
        f"/_test/whoami?as_user={tenant.owner.id}&{INPROCESS_ATTR}=1&org={other_tenant.org.id}",
        HTTP_AUTHORIZATION=f"Bearer {other_tenant.keys['OWNER']}",
        HTTP_X_ADMINAPP_USER=tenant.owner.email,
        HTTP_X_ADMINAPP_INPROCESS="True",
    )

    data = response.json()
    assert data["email"] == tenant.member.email
    assert data["role"] == "MEMBER"
    assert data["org"] == tenant.org.id
    assert data["api_key_id"] is None  # the forged bearer key was not used


def test_anonymous_outer_request_is_unauthenticated_even_with_a_valid_bearer_key(client, tenant):
    data = client.get("/_test/whoami", HTTP_AUTHORIZATION=f"Bearer {tenant.keys['OWNER']}").json()

    assert data["error_class"] == "AuthenticationError"
    assert data["status"] == 401
    assert data["code"] == "authentication_required"


def test_http_request_with_a_header_named_like_the_inprocess_attribute_is_401(client, tenant):
    response = client.get(
        f"/api/v1/me?{INPROCESS_ATTR}=1",
        headers={"X-Adminapp-Inprocess": "True"},
        **{"HTTP_" + INPROCESS_ATTR.upper(): "True", INPROCESS_ATTR: True},
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_required"


def test_inner_request_is_built_only_from_the_sdk_call_not_the_outer_request(tenant):
    outer = RequestFactory().get(
        "/anything?as_user=usr_x",
        HTTP_AUTHORIZATION=f"Bearer {tenant.keys['OWNER']}",
        HTTP_COOKIE="sessionid=forged",
        HTTP_X_ADMINAPP_USER="someone@example.com",
        HTTP_HOST="admin.example.com",
        REMOTE_ADDR="10.1.2.3",
    )
    outer.session = SessionStore()
    outer.user = tenant.member
    outer.request_id = "req_outer123"

    inner = InProcessTransport(outer).build_request(
        "POST",
        "/audit/custom/x",
        params={"limit": "2"},
        json={"a": 1},
        headers={"Authorization": "Bearer adm_forged", "Idempotency-Key": "idem-1"},
    )

    assert inner.path == "/api/v1/audit/custom/x"
    assert dict(inner.GET) == {"limit": ["2"]}
    assert inner.body == b'{"a":1}'
    assert inner.COOKIES == {}
    assert "Authorization" not in inner.headers
    assert "X-Adminapp-User" not in inner.headers
    assert inner.headers["Idempotency-Key"] == "idem-1"
    assert inner.META["HTTP_HOST"] == "admin.example.com"
    assert inner.META["REMOTE_ADDR"] == "10.1.2.3"
    assert inner.user is outer.user and inner.session is outer.session
    assert inner.request_id == "req_outer123"
    assert getattr(inner, INPROCESS_ATTR) is True


def test_inner_call_fires_no_request_signals_and_keeps_the_db_connection(client, tenant):
    client.force_login(tenant.owner)

    data = client.get("/_test/whoami").json()

    assert data["signals"] == []
    assert data["db"] == 1


def test_errors_are_the_same_classes_codes_and_request_id_as_over_http(
    client, tenant, other_tenant
):
    client.force_login(tenant.owner)
    other_key = ApiKey.objects.filter(organization=other_tenant.org).first()

    data = client.get(
        f"/_test/call?op=get_key&key_id={other_key.id}", HTTP_X_REQUEST_ID="req_trace_0001"
    ).json()

    assert data["error_class"] == "NotFoundError"
    assert data["code"] == "not_found"
    assert data["request_id"] == "req_trace_0001"  # the outer request's id


def test_validation_errors_carry_fields(client, tenant):
    client.force_login(tenant.owner)

    data = client.get("/_test/call?op=create_key&label=" + "x" * 101).json()

    assert data["error_class"] == "UnprocessableEntityError"
    assert data["code"] == "validation_error"
    assert "label" in data["fields"]


def test_unknown_path_and_wrong_method_get_the_standard_error_body(client, tenant):
    client.force_login(tenant.owner)

    missing = client.get("/_test/call?op=raw&method=GET&path=/no-such-thing").json()
    wrong_method = client.get("/_test/call?op=raw&method=DELETE&path=/me").json()
    escape = client.get("/_test/call?op=raw&method=GET&path=/../../healthz").json()

    assert (missing["status"], missing["code"]) == (404, "not_found")
    assert (wrong_method["status"], wrong_method["code"]) == (405, "method_not_allowed")
    assert (escape["status"], escape["code"]) == (404, "not_found")


def test_in_process_sign_in_opens_the_outer_session_and_rotates_csrf(client, tenant):
    response = client.get(f"/_test/call?op=login&email={tenant.admin.email}&password={PASSWORD}")

    assert response.json()["result"] == {"email": tenant.admin.email, "again": tenant.admin.email}
    assert "sessionid" in response.cookies
    assert "csrftoken" in response.cookies
    # The browser's next request is signed in.
    assert client.get("/_test/whoami").json()["email"] == tenant.admin.email


def test_client_for_request_uses_no_api_key_and_never_retries(monkeypatch, tenant):
    monkeypatch.setenv("ADMINAPP_API_KEY", tenant.keys["OWNER"])
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.user = AnonymousUser()

    sdk = client_for_request(request)

    assert sdk.api_key is None
    assert sdk.max_retries == 0
    with pytest.raises(AuthenticationError) as exc_info:
        sdk.me.get()
    assert exc_info.value.code == "authentication_required"


def test_a_signed_out_users_post_is_unauthenticated_not_a_csrf_failure(tenant):
    request = RequestFactory().post("/")
    request.session = SessionStore()
    request.user = AnonymousUser()

    with pytest.raises(AuthenticationError) as exc_info:
        client_for_request(request).api_keys.create(label="x")

    assert exc_info.value.status_code == 401


@pytest.fixture
def finished_export(tenant, settings, tmp_path):
    """A SUCCEEDED export job of ``tenant``'s admin with its CSV file on disk."""
    from adminapp.jobs.models import Job, JobItem

    settings.MEDIA_ROOT = str(tmp_path)
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "audit-test.csv").write_text("id,action\naud_1,custom.x\n")
    job = Job.objects.create(
        organization=tenant.org,
        kind="audit_export",
        state="SUCCEEDED",
        owner_id=tenant.admin.id,
        owner_label=tenant.admin.email,
        result={"rows": 1},
        result_file="exports/audit-test.csv",
    )
    JobItem.objects.create(job=job, seq=1, status="SUCCESS", key="aud_1")
    return job


def test_files_stream_in_process_without_request_signals(client, tenant, finished_export):
    client.force_login(tenant.admin)

    data = client.get(f"/_test/download?job_id={finished_export.id}").json()

    assert data["content"] == "id,action\naud_1,custom.x\n"
    assert data["content_type"] == "text/csv"
    assert data["items_csv"].splitlines()[1].startswith("1,SUCCESS,aud_1")
    assert data["signals"] == []


def test_a_result_file_can_be_streamed_through_to_the_browser(client, tenant, finished_export):
    client.force_login(tenant.admin)

    response = client.get(f"/_test/passthrough?job_id={finished_export.id}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"id,action\naud_1,custom.x\n"
    assert "audit-test.csv" in response["Content-Disposition"]


def test_another_users_job_is_not_found_in_process(client, tenant, finished_export):
    client.force_login(tenant.member)  # not an org admin, not the job's owner

    data = client.get(f"/_test/download?job_id={finished_export.id}").json()

    assert (data["error_class"], data["code"]) == ("NotFoundError", "not_found")


class StampingMiddleware:
    """A stand-in for an API middleware added later: it marks every answer it sees."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Stamped"] = "yes"
        return response


def test_the_api_middleware_is_one_list_that_http_and_the_dashboard_both_pass_through(
    settings, client, tenant
):
    from django.conf import settings as live

    assert live.MIDDLEWARE[-len(live.API_MIDDLEWARE) :] == live.API_MIDDLEWARE
    stamp = "tests.client.test_inprocess.StampingMiddleware"
    settings.API_MIDDLEWARE = [*live.API_MIDDLEWARE, stamp]
    settings.MIDDLEWARE = [*live.MIDDLEWARE, stamp]

    over_http = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {tenant.keys['OWNER']}")
    request = RequestFactory().get("/")
    request.user = tenant.owner
    request.session = SessionStore()
    in_process = client_for_request(request).request("GET", "/me")

    assert over_http["X-Stamped"] == "yes"
    assert in_process.headers["X-Stamped"] == "yes"
