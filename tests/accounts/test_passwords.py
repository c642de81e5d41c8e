"""Your password: change it (the current one required; this session stays signed in, the
others end), and reset a forgotten one by a mailed link — the same answer whether the email
has an account, a link that works once and expires, a dead link that changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from adminapp.accounts import principals, services
from adminapp.accounts.models import User
from adminapp.audit.models import AuditEvent
from adminapp.core.errors import NotFound
from tests.factories import PASSWORD

API = "/api/v1"
NEW_PASSWORD = "a-long-new-passphrase-42"

pytestmark = pytest.mark.django_db


def post(client, path, body, **kwargs):
    return client.post(API + path, body, content_type="application/json", **kwargs)


def reset_token(user) -> str:
    """The token the mail would carry, made as the service makes it."""
    return services.passwords._reset_token(user)


# --- change -----------------------------------------------------------------------------------
def test_changing_keeps_this_session_and_signs_out_the_others(tenant):
    this, other = Client(), Client()
    this.force_login(tenant.member)
    other.force_login(tenant.member)
    response = post(
        this, "/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 204
    tenant.member.refresh_from_db()
    assert tenant.member.check_password(NEW_PASSWORD)
    assert this.get(f"{API}/me").status_code == 200
    assert other.get(f"{API}/me").status_code == 401
    event = AuditEvent.objects.get(action="user.password_change")
    assert event.organization_id == tenant.org.id and event.target_id == tenant.member.id


def test_a_wrong_current_password_or_a_weak_new_one_is_refused_on_its_field(tenant):
    client = Client()
    client.force_login(tenant.member)
    wrong = post(client, "/me/password", {"current_password": "nope", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["fields"] == {"current_password": ["Incorrect password."]}
    weak = post(client, "/me/password", {"current_password": PASSWORD, "new_password": "abc"})
    assert weak.status_code == 422
    assert weak.json()["error"]["fields"]["new_password"]
    tenant.member.refresh_from_db()
    assert tenant.member.check_password(PASSWORD)


def test_an_api_key_cannot_change_the_password(client, tenant):
    response = post(
        client,
        "/me/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        **tenant.auth("MEMBER"),
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "session_required"


# --- reset ------------------------------------------------------------------------------------
def test_a_reset_request_answers_the_same_whether_the_email_has_an_account(
    tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as known_mail:
        known = post(Client(), "/auth/password-reset", {"email": tenant.member.email.upper()})
    with django_capture_on_commit_callbacks() as unknown_mail:
        unknown = post(Client(), "/auth/password-reset", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(known_mail) == 1 and unknown_mail == []  # a mail queued for the account only
    assert AuditEvent.objects.filter(action="user.password_reset_request").count() == 1


def test_a_reset_link_works_once_and_signs_out_every_session(tenant):
    signed_in = Client()
    signed_in.force_login(tenant.member)
    token = reset_token(tenant.member)
    link = post(Client(), "/auth/password-reset/inspect", {"token": token})
    assert link.status_code == 200 and link.json() == {"email": tenant.member.email}
    weak = post(Client(), "/auth/password-reset/confirm", {"token": token, "new_password": "123"})
    assert weak.status_code == 422  # and the link still works:
    done = post(
        Client(), "/auth/password-reset/confirm", {"token": token, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 204
    assert User.objects.get(id=tenant.member.id).check_password(NEW_PASSWORD)
    assert signed_in.get(f"{API}/me").status_code == 401
    again = post(
        Client(),
        "/auth/password-reset/confirm",
        {"token": token, "new_password": "x" + NEW_PASSWORD},
    )
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "reset_link_invalid"
    assert User.objects.get(id=tenant.member.id).check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="user.password_reset").count() == 1


def test_an_expired_link_is_not_valid(tenant, settings):
    token = reset_token(tenant.member)
    settings.PASSWORD_RESET_TIMEOUT = -1  # every link made so far is past its time
    with pytest.raises(NotFound) as exc:
        services.password_reset_confirm(
            token=token, new_password=NEW_PASSWORD, visitor=principals.for_visitor(org_id=None)
        )
    assert exc.value.code == "reset_link_invalid"
    assert User.objects.get(id=tenant.member.id).check_password(PASSWORD)


@pytest.mark.parametrize("forged", ["", "garbage", "dXNyX25vcGU.abc-def", "{uid}.1-forged"])
def test_a_forged_link_is_not_valid(tenant, forged):
    uid = reset_token(tenant.member).partition(".")[0]
    response = post(
        Client(),
        "/auth/password-reset/confirm",
        {"token": forged.format(uid=uid), "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 404
    assert User.objects.get(id=tenant.member.id).check_password(PASSWORD)
