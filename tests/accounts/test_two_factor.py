"""Two-factor sign-in over the API: setting it up (the secret encrypted at rest, recovery codes
kept as digests and shown once), signing in in two steps, codes that work once, wrong codes
rate limited and audited, turning it off, and an organization's rule that its members use
it (sessions are stopped until they do; API keys are not). TOTP codes are computed here with
``pyotp`` from the secret the API showed, as an authenticator app would."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.test import Client

from adminapp.accounts.models import RecoveryCode, TwoFactor
from adminapp.audit.models import AuditEvent
from adminapp.core import crypto
from tests.factories import PASSWORD

API = "/api/v1"
NEW_PASSWORD = "a-long-new-passphrase-42"

pytestmark = pytest.mark.django_db


def post(client, path, body=None, **kwargs):
    return client.post(API + path, body or {}, content_type="application/json", **kwargs)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def enrol(user) -> tuple[pyotp.TOTP, list[str]]:
    """Turn two-factor on for ``user`` through the API; their authenticator and codes."""
    client = signed_in(user)
    setup = post(client, "/me/two-factor/setup").json()
    totp = pyotp.TOTP(setup["secret"])
    confirmed = post(client, "/me/two-factor/confirm", {"code": totp.now()})
    assert confirmed.status_code == 200, confirmed.content
    return totp, confirmed.json()["codes"]


def next_step_code(totp: pyotp.TOTP) -> str:
    """A code of a step not yet used: the next one (accepted within the drift window)."""
    return totp.at(time.time() + totp.interval)


def challenge_for(user, client=None) -> str:
    response = post(client or Client(), "/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 401, response.content
    error = response.json()["error"]
    assert error["code"] == "mfa_required"
    return error["details"]["challenge"]


# --- setting it up ----------------------------------------------------------------------------
def test_setup_shows_a_qr_code_and_the_secret_which_is_stored_encrypted(tenant):
    client = signed_in(tenant.member)
    setup = post(client, "/me/two-factor/setup")
    assert setup.status_code == 200
    body = setup.json()
    assert body["qr_svg"].startswith("<svg") and "<script" not in body["qr_svg"]
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    row = TwoFactor.objects.get(user=tenant.member)
    assert body["secret"] not in row.secret_encrypted
    assert crypto.decrypt(row.secret_encrypted) == body["secret"]
    assert row.confirmed_at is None
    # Not on until confirmed: signing in still takes the password only.
    plain = post(Client(), "/auth/login", {"email": tenant.member.email, "password": PASSWORD})
    assert plain.status_code == 200
    # The setup page can show the same secret again until it is confirmed.
    assert client.get(f"{API}/me/two-factor/setup").json()["secret"] == body["secret"]


def test_confirming_needs_the_right_code_and_gives_ten_recovery_codes_kept_as_digests(tenant):
    client = signed_in(tenant.member)
    secret = post(client, "/me/two-factor/setup").json()["secret"]
    wrong = post(client, "/me/two-factor/confirm", {"code": "000000"})
    if pyotp.TOTP(secret).verify("000000", valid_window=1):  # pragma: no cover - 1 in 10^5
        pytest.skip("the random secret's current code is 000000")
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "invalid_code"
    assert wrong.json()["error"]["fields"] == {"code": ["Incorrect code."]}
    assert client.get(f"{API}/me/two-factor").json()["enabled"] is False

    confirmed = post(client, "/me/two-factor/confirm", {"code": pyotp.TOTP(secret).now()})
    codes = confirmed.json()["codes"]
    assert len(codes) == len(set(codes)) == 10
    stored = set(RecoveryCode.objects.filter(user=tenant.member).values_list("digest", flat=True))
    assert not stored & set(codes)
    assert stored == {crypto.digest(code.replace("-", "")) for code in codes}
    status = client.get(f"{API}/me/two-factor").json()
    assert status["enabled"] is True and status["recovery_codes_left"] == 10
    assert AuditEvent.objects.filter(
        action="user.two_factor_enable", target_id=tenant.member.id
    ).exists()
    again = post(client, "/me/two-factor/setup")
    assert again.status_code == 409 and again.json()["error"]["code"] == "two_factor_enabled"


def test_an_api_key_cannot_set_up_two_factor(client, tenant):
    response = post(client, "/me/two-factor/setup", **tenant.auth("MEMBER"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "session_required"


# --- signing in ---------------------------------------------------------------------------------
def test_sign_in_asks_for_the_code_after_the_password_and_opens_no_session_before(tenant):
    totp, _ = enrol(tenant.member)
    browser = Client()
    challenge = challenge_for(tenant.member, browser)
    assert browser.get(f"{API}/me").status_code == 401  # the password alone signs nobody in

    code = next_step_code(totp)  # enrolling spent the current one
    done = post(browser, "/auth/login/two-factor", {"challenge": challenge, "code": code})
    assert done.status_code == 200, done.content
    assert done.json()["user"]["email"] == tenant.member.email
    assert browser.get(f"{API}/me").status_code == 200
    assert AuditEvent.objects.filter(action="auth.login", actor_id=tenant.member.id).exists()


def test_a_code_works_once(tenant):
    totp, _ = enrol(tenant.member)
    code = next_step_code(totp)
    first = post(
        Client(),
        "/auth/login/two-factor",
        {"challenge": challenge_for(tenant.member), "code": code},
    )
    assert first.status_code == 200
    replay = post(
        Client(),
        "/auth/login/two-factor",
        {"challenge": challenge_for(tenant.member), "code": code},
    )
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "invalid_code"


def test_a_recovery_code_signs_in_once(tenant):
    _, codes = enrol(tenant.member)
    first = post(
        Client(),
        "/auth/login/two-factor",
        {"challenge": challenge_for(tenant.member), "code": codes[3].upper()},
    )
    assert first.status_code == 200
    again = post(
        Client(),
        "/auth/login/two-factor",
        {"challenge": challenge_for(tenant.member), "code": codes[3]},
    )
    assert again.status_code == 401
    status = signed_in(tenant.member).get(f"{API}/me/two-factor").json()
    assert status["recovery_codes_left"] == 9


def test_wrong_codes_are_audited_and_rate_limited(tenant, settings):
    settings.RATE_LIMIT_TWO_FACTOR = "3/300"
    totp, _ = enrol(tenant.member)
    challenge = challenge_for(tenant.member)
    wrong = "".join("1" if c != "1" else "2" for c in totp.now())  # never the current code
    for _ in range(2):  # enrol's confirmation was the first of three
        response = post(Client(), "/auth/login/two-factor", {"challenge": challenge, "code": wrong})
        assert response.status_code == 401
    limited = post(Client(), "/auth/login/two-factor", {"challenge": challenge, "code": totp.now()})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0
    failed = AuditEvent.objects.filter(action="auth.two_factor_failed", target_id=tenant.member.id)
    assert failed.count() == 2
    assert failed.first().organization_id == tenant.org.id


def test_a_forged_challenge_or_one_from_before_a_password_change_is_refused(tenant):
    totp, _ = enrol(tenant.member)
    challenge = challenge_for(tenant.member)
    forged = post(
        Client(),
        "/auth/login/two-factor",
        {"challenge": challenge + "x", "code": next_step_code(totp)},
    )
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "mfa_challenge_invalid"
    tenant.member.set_password(NEW_PASSWORD)
    tenant.member.save()
    code = next_step_code(totp)
    stale = post(Client(), "/auth/login/two-factor", {"challenge": challenge, "code": code})
    assert stale.status_code == 401
    assert stale.json()["error"]["code"] == "mfa_challenge_invalid"


def test_api_keys_are_unaffected_by_two_factor(client, tenant):
    enrol(tenant.member)
    assert client.get(f"{API}/me", **tenant.auth("MEMBER")).status_code == 200


# --- turning it off ---------------------------------------------------------------------------
def test_turning_off_needs_a_code_or_the_password(tenant):
    totp, _ = enrol(tenant.member)
    client = signed_in(tenant.member)
    refused = post(client, "/me/two-factor/disable", {"password": "not-my-password"})
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {"password": ["Incorrect."]}
    assert TwoFactor.objects.filter(user=tenant.member).exists()
    done = post(client, "/me/two-factor/disable", {"code": next_step_code(totp)})
    assert done.status_code == 204
    assert not TwoFactor.objects.filter(user=tenant.member).exists()
    assert not RecoveryCode.objects.filter(user=tenant.member).exists()
    plain = post(Client(), "/auth/login", {"email": tenant.member.email, "password": PASSWORD})
    assert plain.status_code == 200
    assert AuditEvent.objects.filter(action="user.two_factor_disable").exists()


def test_new_recovery_codes_replace_the_old_ones(tenant):
    totp, old = enrol(tenant.member)
    client = signed_in(tenant.member)
    new = post(client, "/me/two-factor/recovery-codes", {"code": next_step_code(totp)})
    assert new.status_code == 200
    fresh = new.json()["codes"]
    assert len(fresh) == 10 and not set(fresh) & set(old)
    stale = post(
        Client(),
        "/auth/login/two-factor",
        {"challenge": challenge_for(tenant.member), "code": old[0]},
    )
    assert stale.status_code == 401


# --- the organization's rule --------------------------------------------------------------------
def test_an_owner_requires_two_factor_only_once_they_use_it_themselves(tenant):
    owner = signed_in(tenant.owner)
    path = f"{API}/organizations/{tenant.org.id}/two-factor-policy"
    first = owner.put(path, {"required": True}, content_type="application/json")
    assert first.status_code == 409
    enrol(tenant.owner)
    on = owner.put(path, {"required": True}, content_type="application/json")
    assert on.status_code == 200 and on.json()["require_two_factor"] is True
    assert AuditEvent.objects.filter(
        action="org.two_factor_policy", organization_id=tenant.org.id
    ).exists()
    refused = Client().put(
        path, {"required": False}, content_type="application/json", **tenant.auth("ADMIN")
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    stopped = signed_in(tenant.admin).get(f"{API}/spaces")  # no two-factor yet
    assert stopped.json()["error"]["code"] == "two_factor_setup_required"


def test_when_required_a_member_without_it_is_stopped_until_set_up_but_keys_work(client, tenant):
    tenant.org.require_two_factor = True
    tenant.org.save()
    session = signed_in(tenant.member)
    stopped = session.get(f"{API}/spaces")
    assert stopped.status_code == 403
    assert stopped.json()["error"]["code"] == "two_factor_setup_required"
    assert session.get(f"{API}/me").status_code == 200
    status = session.get(f"{API}/me/two-factor").json()
    assert status["required_by"] == [tenant.org.name]
    # The same member's API key goes on working.
    assert client.get(f"{API}/spaces", **tenant.auth("MEMBER")).status_code == 200

    setup = post(session, "/me/two-factor/setup").json()
    post(session, "/me/two-factor/confirm", {"code": pyotp.TOTP(setup["secret"]).now()})
    assert session.get(f"{API}/spaces").status_code == 200
    # And it cannot be turned off while the organization requires it.
    off = post(session, "/me/two-factor/disable", {"password": PASSWORD})
    assert off.status_code == 409 and off.json()["error"]["code"] == "two_factor_required"


def test_accepting_an_invitation_with_the_password_alone_joins_without_signing_in(
    tenant, other_tenant
):
    from adminapp.accounts.models import OrgMembership
    from adminapp.accounts.services import invitation_create

    enrol(other_tenant.member)
    _, token = invitation_create(
        actor=tenant.principal(),
        org_id=tenant.org.id,
        email=other_tenant.member.email,
        role="MEMBER",
        link_for=lambda token: token,
    )
    browser = Client()
    joined = post(browser, "/invitations/accept", {"token": token, "password": PASSWORD})
    assert joined.status_code == 200, joined.content
    assert OrgMembership.objects.filter(user=other_tenant.member, organization=tenant.org).exists()
    assert browser.get(f"{API}/me").status_code == 401  # the code is still to come
