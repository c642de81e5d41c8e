"""How a request gets (or fails to get) a principal: bearer keys, sessions with CSRF, sign-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.test import Client
from django.utils import timezone

from adminapp.accounts.models import ApiKey, OrgMembership
from adminapp.core import crypto
from tests.api.helpers import API, api_error, away_from_window_edge
from tests.factories import PASSWORD, make_key, make_user

ME = f"{API}/me"


def _key_row(secret: str) -> ApiKey:
    return ApiKey.objects.get(digest=crypto.digest(secret))


def _csrf_client(user) -> tuple[Client, str]:
    """A browser: signed in, holding Django's csrftoken cookie, enforcing CSRF."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    request = HttpRequest()
    token = get_token(request)
    client.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    return client, token


# --- bearer keys ------------------------------------------------------------------------
def test_request_without_credentials_is_401_authentication_required(client, tenant):
    error = api_error(client.get(ME), 401, "authentication_required")
    assert "Bearer" in error["message"]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer nope", "invalid_api_key"),
        ("Bearer adm_short", "invalid_api_key"),
        ("Bearer ", "invalid_api_key"),
        ("Bearer adm_" + "x" * 300, "invalid_api_key"),
        ("Basic dXNlckBleGFtcGxlLmNvbTpwYXNzd29yZA==", "authentication_required"),
        ("Token adm_0123456789012345678901234567890123456789", "authentication_required"),
    ],
)
def test_malformed_authorization_header_is_401(client, tenant, header, code):
    api_error(client.get(ME, HTTP_AUTHORIZATION=header), 401, code)


def test_well_formed_but_unknown_key_is_401_invalid_api_key(client, tenant):
    unknown = f"adm_{crypto.random_secret(40)}"
    error = api_error(
        client.get(ME, HTTP_AUTHORIZATION=f"Bearer {unknown}"), 401, "invalid_api_key"
    )
    assert error["message"] == "Unknown API key."


def test_valid_personal_key_authenticates_as_its_user(client, tenant):
    response = client.get(ME, **tenant.auth("ADMIN"))
    assert response.status_code == 200
    me = response.json()
    assert me["principal_type"] == "user"
    assert me["user"]["email"] == tenant.admin.email
    assert me["role"] == "ADMIN"
    assert me["organization"]["id"] == tenant.org.id
    assert me["api_key_id"] == _key_row(tenant.keys["ADMIN"]).id


def test_expired_key_is_401_api_key_expired(client, tenant):
    secret = make_key(tenant.member, tenant.org, expires_at=timezone.now() + timedelta(hours=1))
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    # Time passes: the expiry is now behind us.
    ApiKey.objects.filter(digest=crypto.digest(secret)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    api_error(client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}"), 401, "api_key_expired")


def test_revoked_key_is_401_api_key_revoked(client, tenant):
    key_id = _key_row(tenant.keys["MEMBER"]).id
    response = client.post(f"{API}/api-keys/{key_id}/revoke", **tenant.auth("MEMBER"))
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    api_error(client.get(ME, **tenant.auth("MEMBER")), 401, "api_key_revoked")


def test_removed_members_personal_key_stops_working(client, tenant):
    assert client.get(ME, **tenant.auth("MEMBER")).status_code == 200
    response = client.delete(
        f"{API}/organizations/{tenant.org.id}/members/{tenant.member.id}", **tenant.auth("OWNER")
    )
    assert response.status_code == 204
    api_error(client.get(ME, **tenant.auth("MEMBER")), 401, "api_key_revoked")


def test_personal_key_without_a_membership_is_refused_even_if_not_revoked(client, tenant):
    # A membership that disappears by any other road must not leave a working key behind.
    OrgMembership.objects.filter(user=tenant.member, organization=tenant.org).delete()
    assert _key_row(tenant.keys["MEMBER"]).revoked_at is None
    api_error(client.get(ME, **tenant.auth("MEMBER")), 401, "authentication_required")


def test_deactivated_users_key_is_401(client, tenant):
    tenant.member.is_active = False
    tenant.member.save()
    api_error(client.get(ME, **tenant.auth("MEMBER")), 401, "invalid_api_key")


def test_deactivated_users_session_is_401(client, tenant):
    client.force_login(tenant.member)
    assert client.get(ME).status_code == 200
    tenant.member.is_active = False
    tenant.member.save()
    api_error(client.get(ME), 401, "authentication_required")


def test_using_a_key_sets_last_used_at(client, tenant):
    key = _key_row(tenant.keys["MEMBER"])
    assert key.last_used_at is None
    before = timezone.now()
    assert client.get(ME, **tenant.auth("MEMBER")).status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None and key.last_used_at >= before
    shown = client.get(f"{API}/api-keys/{key.id}", **tenant.auth("MEMBER")).json()
    assert shown["last_used_at"] is not None


def test_service_key_acts_with_its_role_as_its_own_principal(client, tenant):
    created = client.post(
        f"{API}/api-keys",
        {"label": "ci", "kind": "SERVICE", "role": "MEMBER"},
        content_type="application/json",
        **tenant.auth("ADMIN"),
    )
    assert created.status_code == 201, created.content
    service = {"HTTP_AUTHORIZATION": f"Bearer {created.json()['secret']}"}

    me = client.get(ME, **service).json()
    assert me["principal_type"] == "service_key"
    assert me["user"] is None
    assert me["api_key_id"] == created.json()["id"]
    assert me["role"] == "MEMBER"
    assert me["organization"]["id"] == tenant.org.id

    # MEMBER: may record custom events, may not read the audit log or manage members.
    assert (
        client.post(f"{API}/audit/custom/deploy", {}, "application/json", **service).status_code
        == 201
    )
    api_error(client.get(f"{API}/audit", **service), 403, "permission_denied")
    api_error(
        client.post(
            f"{API}/organizations/{tenant.org.id}/members",
            {"email": tenant.member.email, "role": "MEMBER"},
            content_type="application/json",
            **service,
        ),
        403,
        "permission_denied",
    )
    event = client.get(f"{API}/audit?action=custom.deploy", **tenant.auth("ADMIN")).json()["items"][
        0
    ]
    assert event["actor_type"] == "service_key"
    assert event["actor_id"] == created.json()["id"]


def test_service_key_with_admin_role_can_do_admin_things(client, tenant):
    created = client.post(
        f"{API}/api-keys",
        {"label": "ops", "kind": "SERVICE", "role": "ADMIN"},
        content_type="application/json",
        **tenant.auth("OWNER"),
    ).json()
    service = {"HTTP_AUTHORIZATION": f"Bearer {created['secret']}"}
    assert client.get(f"{API}/audit", **service).status_code == 200
    assert client.get(f"{API}/organizations/{tenant.org.id}/members", **service).status_code == 200


# --- browser sessions -------------------------------------------------------------------
def test_signed_in_session_can_read_me(tenant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.admin)
    response = client.get(ME)
    assert response.status_code == 200
    me = response.json()
    assert me["principal_type"] == "user"
    assert me["api_key_id"] is None
    assert me["user"]["id"] == tenant.admin.id
    assert me["role"] == "ADMIN"


def test_session_unsafe_request_without_csrf_token_is_rejected(tenant):
    client, _ = _csrf_client(tenant.admin)
    response = client.post(f"{API}/api-keys", {"label": "browser"}, content_type="application/json")
    error = api_error(response, 403, "permission_denied")
    assert "CSRF" in error["message"]
    assert not ApiKey.objects.filter(label="browser").exists()


def test_session_unsafe_request_with_csrf_token_succeeds(tenant):
    client, token = _csrf_client(tenant.admin)
    response = client.post(
        f"{API}/api-keys",
        {"label": "browser"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201, response.content
    assert response.json()["user"]["id"] == tenant.admin.id


def test_bearer_key_needs_no_csrf_token(tenant):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"{API}/api-keys", {"label": "script"}, content_type="application/json", **tenant.auth()
    )
    assert response.status_code == 201, response.content


def test_unsafe_request_with_no_credentials_at_all_is_401_not_a_csrf_error(tenant):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{API}/api-keys", {"label": "x"}, content_type="application/json")
    api_error(response, 401, "authentication_required")


# --- sign-in ----------------------------------------------------------------------------
def test_login_with_right_password_opens_a_session(client, tenant):
    response = client.post(
        f"{API}/auth/login",
        {"email": tenant.member.email.upper(), "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["user"]["id"] == tenant.member.id
    assert response.json()["role"] == "MEMBER"
    # The session cookie now authenticates further calls.
    assert client.get(ME).json()["user"]["id"] == tenant.member.id


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "{member}", "password": "wrong-password-123"},
        {"email": "nobody@example.com", "password": PASSWORD},
    ],
    ids=["wrong-password", "unknown-email"],
)
def test_login_with_wrong_credentials_is_401_invalid_credentials(client, tenant, credentials):
    payload = {**credentials, "email": credentials["email"].format(member=tenant.member.email)}
    response = client.post(f"{API}/auth/login", payload, content_type="application/json")
    error = api_error(response, 401, "invalid_credentials")
    assert error["message"] == "Email or password is incorrect."
    api_error(client.get(ME), 401, "authentication_required")


def test_deactivated_user_cannot_log_in(client, tenant):
    tenant.member.is_active = False
    tenant.member.save()
    response = client.post(
        f"{API}/auth/login",
        {"email": tenant.member.email, "password": PASSWORD},
        content_type="application/json",
    )
    api_error(response, 401, "invalid_credentials")


def test_login_with_missing_fields_is_422(client, tenant):
    response = client.post(
        f"{API}/auth/login", {"email": tenant.member.email}, content_type="application/json"
    )
    error = api_error(response, 422, "validation_error")
    assert "password" in error["fields"]


def test_eleventh_login_attempt_within_a_minute_is_rate_limited(client, tenant):
    assert settings.RATE_LIMIT_LOGIN == "10/60"
    away_from_window_edge(60)
    for _ in range(10):
        response = client.post(
            f"{API}/auth/login",
            {"email": tenant.member.email, "password": "wrong-password-123"},
            content_type="application/json",
        )
        assert response.status_code == 401
    # Even the right password is refused now.
    response = client.post(
        f"{API}/auth/login",
        {"email": tenant.member.email, "password": PASSWORD},
        content_type="application/json",
    )
    api_error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    api_error(client.get(ME), 401, "authentication_required")


def test_login_rate_limit_counts_per_email(client, tenant):
    away_from_window_edge(60)
    for _ in range(11):
        client.post(
            f"{API}/auth/login",
            {"email": tenant.member.email, "password": "wrong-password-123"},
            content_type="application/json",
        )
    response = client.post(
        f"{API}/auth/login",
        {"email": tenant.admin.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200


def test_forged_forwarded_for_does_not_escape_the_login_rate_limit(client, tenant, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    away_from_window_edge(60)
    for n in range(10):
        client.post(
            f"{API}/auth/login",
            {"email": tenant.member.email, "password": "wrong-password-123"},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 198.51.100.7",  # forged first entry, real last
        )
    response = client.post(
        f"{API}/auth/login",
        {"email": tenant.member.email, "password": PASSWORD},
        content_type="application/json",
        HTTP_X_FORWARDED_FOR="10.9.9.99, 198.51.100.7",
    )
    api_error(response, 429, "rate_limited")


def test_logout_ends_the_session(client, tenant):
    client.force_login(tenant.member)
    assert client.post(f"{API}/auth/logout").status_code == 204
    api_error(client.get(ME), 401, "authentication_required")


def test_login_from_a_browser_needs_the_csrf_token(tenant):
    """Login CSRF: another site cannot sign a visitor into an account of its choosing."""
    browser = Client(enforce_csrf_checks=True)
    payload = {"email": tenant.member.email, "password": PASSWORD}
    error = api_error(
        browser.post(f"{API}/auth/login", payload, content_type="application/json"),
        403,
        "permission_denied",
    )
    assert "CSRF" in error["message"]
    api_error(browser.get(ME), 401, "authentication_required")

    request = HttpRequest()
    token = get_token(request)
    browser.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    response = browser.post(
        f"{API}/auth/login", payload, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200, response.content
    assert browser.get(ME).json()["user"]["id"] == tenant.member.id


def test_user_in_no_organization_cannot_sign_in(client, db):
    loner = make_user()
    response = client.post(
        f"{API}/auth/login",
        {"email": loner.email, "password": PASSWORD},
        content_type="application/json",
    )
    api_error(response, 401, "no_organization")
    assert "_auth_user_id" not in client.session


def test_instance_admin_in_no_organization_is_refused_and_not_left_signed_in(client, db):
    admin = make_user(superuser=True)
    response = client.post(
        f"{API}/auth/login",
        {"email": admin.email, "password": PASSWORD},
        content_type="application/json",
    )
    api_error(response, 401, "no_organization")
    assert "_auth_user_id" not in client.session
    api_error(client.get(ME), 401, "authentication_required")


def test_sign_in_and_sign_out_are_audited(client, tenant):
    from adminapp.audit.models import AuditEvent

    login = client.post(
        f"{API}/auth/login",
        {"email": tenant.member.email, "password": PASSWORD},
        content_type="application/json",
    )
    logout = client.post(f"{API}/auth/logout")
    assert (login.status_code, logout.status_code) == (200, 204)
    events = {
        e.action: e
        for e in AuditEvent.objects.filter(
            organization=tenant.org, action__in=["auth.login", "auth.logout"]
        )
    }
    assert set(events) == {"auth.login", "auth.logout"}
    assert events["auth.login"].request_id == login["X-Request-ID"]
    assert events["auth.logout"].request_id == logout["X-Request-ID"]
    for event in events.values():
        assert (event.actor_id, event.target_id, event.ip) == (
            tenant.member.id,
            tenant.member.id,
            "127.0.0.1",
        )


def test_failed_sign_in_writes_no_event_and_no_session(client, tenant):
    from adminapp.audit.models import AuditEvent

    before = AuditEvent.objects.count()
    client.post(
        f"{API}/auth/login",
        {"email": tenant.member.email, "password": "wrong-password-123"},
        content_type="application/json",
    )
    assert AuditEvent.objects.count() == before
    assert "_auth_user_id" not in client.session
