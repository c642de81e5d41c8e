"""Your browser sessions: each sign-in is listed (device, IP, last seen, this one marked),
last-seen is refreshed at most once a minute, and you can sign out one other session or
everywhere else; a password change ends the others' rows too. And the profile's name."""

from __future__ import annotations

import pytest
from django.test import Client

from adminapp.accounts.models import UserSession
from adminapp.accounts.services import sessions
from adminapp.audit.models import AuditEvent
from tests.factories import PASSWORD

API = "/api/v1"
pytestmark = pytest.mark.django_db


def sign_in(user, agent: str, password: str = PASSWORD) -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    response = client.post(
        f"{API}/auth/login",
        {"email": user.email, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return client


def test_each_sign_in_is_listed_with_its_device_and_this_one_marked(tenant):
    laptop = sign_in(tenant.member, "Firefox on Linux")
    sign_in(tenant.member, "Safari on iPhone")
    sign_in(tenant.admin, "Someone else's browser")
    listed = laptop.get(f"{API}/me/sessions").json()["items"]
    assert {s["user_agent"] for s in listed} == {"Firefox on Linux", "Safari on iPhone"}
    current = [s for s in listed if s["current"]]
    assert [s["user_agent"] for s in current] == ["Firefox on Linux"]
    assert all(s["ip"] == "127.0.0.1" for s in listed)


def test_signing_out_one_session_ends_it_and_not_this_one(tenant):
    laptop = sign_in(tenant.member, "laptop")
    phone = sign_in(tenant.member, "phone")
    phone_id = next(
        s["id"] for s in laptop.get(f"{API}/me/sessions").json()["items"] if not s["current"]
    )
    assert laptop.delete(f"{API}/me/sessions/{phone_id}").status_code == 204
    assert phone.get(f"{API}/me").status_code == 401
    assert laptop.get(f"{API}/me").status_code == 200
    assert AuditEvent.objects.filter(action="auth.session_end").exists()
    # This session is ended with "sign out", and another user's session is not yours.
    this_id = laptop.get(f"{API}/me/sessions").json()["items"][0]["id"]
    own = laptop.delete(f"{API}/me/sessions/{this_id}")
    assert own.status_code == 400 and own.json()["error"]["code"] == "current_session"
    sign_in(tenant.admin, "admin")
    admins = UserSession.objects.get(user=tenant.admin)
    assert laptop.delete(f"{API}/me/sessions/{admins.id}").status_code == 404


def test_sign_out_everywhere_else(tenant):
    laptop = sign_in(tenant.member, "laptop")
    others = [sign_in(tenant.member, f"device {i}") for i in range(2)]
    admin = sign_in(tenant.admin, "admin")
    ended = laptop.post(f"{API}/me/sessions/end-others")
    assert ended.status_code == 200 and ended.json() == {"ended": 2}
    assert all(c.get(f"{API}/me").status_code == 401 for c in others)
    assert laptop.get(f"{API}/me").status_code == 200
    assert admin.get(f"{API}/me").status_code == 200
    assert [s["current"] for s in laptop.get(f"{API}/me/sessions").json()["items"]] == [True]


def test_signing_out_drops_the_row(tenant):
    laptop = sign_in(tenant.member, "laptop")
    assert UserSession.objects.filter(user=tenant.member).count() == 1
    laptop.post(f"{API}/auth/logout")
    assert not UserSession.objects.filter(user=tenant.member).exists()


def test_last_seen_is_refreshed_at_most_once_a_minute(tenant):
    laptop = sign_in(tenant.member, "laptop")
    row = UserSession.objects.get(user=tenant.member)
    long_ago = row.last_seen_at.replace(year=2020)
    UserSession.objects.filter(id=row.id).update(last_seen_at=long_ago)
    laptop.get("/")  # within the minute of signing in: no write
    assert UserSession.objects.get(id=row.id).last_seen_at == long_ago
    session = laptop.session
    session[sessions.SEEN_KEY] -= sessions.TOUCH_EVERY
    session.save()
    laptop.get("/")
    assert UserSession.objects.get(id=row.id).last_seen_at > long_ago


def test_a_password_change_ends_the_other_sessions_rows_and_keeps_this_one(tenant):
    laptop = sign_in(tenant.member, "laptop")
    sign_in(tenant.member, "phone")
    changed = laptop.post(
        f"{API}/me/password",
        {"current_password": PASSWORD, "new_password": "a-long-new-passphrase-42"},
        content_type="application/json",
    )
    assert changed.status_code == 204
    listed = laptop.get(f"{API}/me/sessions").json()["items"]
    assert [s["user_agent"] for s in listed] == ["laptop"] and listed[0]["current"]
    # Its row follows the session's new key: ending it from elsewhere still works.
    other = sign_in(tenant.member, "desk", "a-long-new-passphrase-42")
    ended = other.post(f"{API}/me/sessions/end-others").json()
    assert ended == {"ended": 1}
    assert laptop.get(f"{API}/me").status_code == 401


def test_api_keys_have_no_sessions(client, tenant):
    response = client.get(f"{API}/me/sessions", **tenant.auth("MEMBER"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "session_required"


def test_the_profile_name_is_editable_and_cleaned(tenant):
    laptop = sign_in(tenant.member, "laptop")
    saved = laptop.patch(
        f"{API}/me/profile", {"name": "  Ada Lovelace "}, content_type="application/json"
    )
    assert saved.status_code == 200 and saved.json()["name"] == "Ada Lovelace"
    assert laptop.get(f"{API}/me").json()["user"]["name"] == "Ada Lovelace"
    bad = laptop.patch(f"{API}/me/profile", {"name": "a\x00b"}, content_type="application/json")
    assert bad.status_code == 422
    assert AuditEvent.objects.filter(action="user.profile_update").count() == 1
