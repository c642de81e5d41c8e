"""API keys through /api/v1/api-keys: created once with a secret, stored as a digest, listed
and revoked by their owner or an org admin, never visible across people or orgs."""

from __future__ import annotations

import hashlib
import math
import re
import string
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from adminapp.accounts.models import ApiKey
from adminapp.audit.models import AuditEvent
from adminapp.core import crypto
from tests.api.helpers import API, api_error, away_from_window_edge
from tests.factories import add_member

KEYS = f"{API}/api-keys"
SECRET_RE = re.compile(r"^adm_[0-9A-Za-z]{40}$")


def _create(client, tenant, as_role="OWNER", **body):
    body.setdefault("label", "my key")
    return client.post(KEYS, body, content_type="application/json", **tenant.auth(as_role))


def _key_id(tenant, role: str) -> str:
    return ApiKey.objects.get(digest=crypto.digest(tenant.keys[role])).id


# --- creation and storage -----------------------------------------------------------------
def test_create_returns_the_secret_once_in_the_documented_format(client, tenant):
    response = _create(client, tenant, label="deploy bot", description="CI deploys")
    assert response.status_code == 201, response.content
    created = response.json()
    secret = created["secret"]
    assert SECRET_RE.match(secret)
    assert created["prefix"] == secret[:12]
    assert created["label"] == "deploy bot"
    assert created["description"] == "CI deploys"
    assert created["kind"] == "PERSONAL"
    assert created["user"]["id"] == tenant.owner.id
    assert created["is_active"] is True
    assert created["revoked_at"] is None and created["expires_at"] is None

    # Never again: not on GET, not in the list.
    shown = client.get(f"{KEYS}/{created['id']}", **tenant.auth())
    assert shown.status_code == 200
    assert "secret" not in shown.json()
    assert secret not in shown.content.decode()
    listed = client.get(KEYS, **tenant.auth())
    assert created["id"] in [k["id"] for k in listed.json()["items"]]
    assert all("secret" not in k for k in listed.json()["items"])
    assert secret not in listed.content.decode()


def test_new_secret_authenticates(client, tenant):
    secret = _create(client, tenant, "MEMBER").json()["secret"]
    me = client.get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert me.json()["user"]["id"] == tenant.member.id


def test_every_secret_is_different(client, tenant, settings):
    settings.RATE_LIMIT_KEY_CREATE = "100/60"
    secrets = {_create(client, tenant, label=f"k{i}").json()["secret"] for i in range(20)}
    assert len(secrets) == 20
    assert len({s[:12] for s in secrets}) == 20


def test_secrets_are_uniformly_random_base62_about_238_bits_each(client, tenant, settings):
    """40 characters drawn uniformly from 62 carry 40 x log2(62) = ~238 bits. Over 50 real
    keys (2,000 characters) every character turns up, the measured entropy per character is
    within 0.08 bits of log2(62) (a uniform draw measures ~5.93 +/- 0.005 at this size; hex
    would measure 4) and every position varies (a uniform draw shows ~35 distinct characters
    per position in 50 keys, never fewer than 24 in 2,000 simulated runs)."""
    settings.RATE_LIMIT_KEY_CREATE = "100/60"
    secrets = [_create(client, tenant, label=f"k{i}").json()["secret"] for i in range(50)]
    assert all(SECRET_RE.match(s) for s in secrets), secrets
    assert len(set(secrets)) == 50
    bodies = [s.removeprefix("adm_") for s in secrets]
    counts = Counter("".join(bodies))
    assert set(counts) == set(string.digits + string.ascii_letters)
    total = sum(counts.values())
    per_char = -sum(n / total * math.log2(n / total) for n in counts.values())
    assert per_char > math.log2(62) - 0.08, per_char
    distinct = [len({body[i] for body in bodies}) for i in range(40)]
    assert min(distinct) >= 16, distinct


def test_only_the_sha256_digest_of_the_secret_is_stored(client, tenant):
    created = _create(client, tenant).json()
    secret = created["secret"]
    row = ApiKey.objects.filter(id=created["id"]).values().get()
    assert row["digest"] == hashlib.sha256(secret.encode()).hexdigest()
    hidden = secret[12:]  # everything past the displayed prefix
    for column, value in row.items():
        assert hidden not in str(value), column
    # Nor does the audit trail hold it.
    for event in AuditEvent.objects.filter(target_id=created["id"]):
        assert hidden not in str(event.details)


def test_two_keys_may_share_a_label(client, tenant):
    first = _create(client, tenant, label="laptop").json()
    second = _create(client, tenant, label="laptop").json()
    assert first["id"] != second["id"] and first["secret"] != second["secret"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"label": ""}, "label"),
        ({"label": "   "}, "label"),
        ({"label": "x" * 101}, "label"),
        ({"label": "ok", "description": "x" * 501}, "description"),
        ({"label": "ok", "kind": "ROOT"}, "kind"),
        ({"label": "ok", "role": "MEMBER"}, "role"),  # a personal key takes no role
        ({"label": "ok", "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"label": "ok", "expires_at": "2999-01-01T00:00:00"}, "expires_at"),  # no zone
        ({"label": "ok", "expires_at": "9999-12-31T23:00:00-05:00"}, "expires_at"),
    ],
)
def test_invalid_key_input_is_422_naming_the_field_and_creates_nothing(client, tenant, body, field):
    before = ApiKey.objects.count()
    error = api_error(_create(client, tenant, **body), 422, "validation_error")
    assert field in error["fields"]
    assert ApiKey.objects.count() == before


def test_expiry_in_the_future_is_kept(client, tenant):
    expires = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    created = _create(client, tenant, expires_at=expires.isoformat()).json()
    assert created["expires_at"].startswith(expires.strftime("%Y-%m-%dT%H:%M:%S"))
    assert created["is_active"] is True


def test_expired_key_is_listed_as_inactive(client, tenant):
    created = _create(
        client, tenant, expires_at=(timezone.now() + timedelta(hours=1)).isoformat()
    ).json()
    ApiKey.objects.filter(id=created["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    shown = client.get(f"{KEYS}/{created['id']}", **tenant.auth()).json()
    assert shown["is_active"] is False


# --- who may do what ------------------------------------------------------------------------
def test_member_lists_only_their_own_keys(client, tenant):
    items = client.get(KEYS, **tenant.auth("MEMBER")).json()["items"]
    assert {k["id"] for k in items} == {_key_id(tenant, "MEMBER")}


def test_admin_lists_every_key_of_the_org(client, tenant, other_tenant):
    items = client.get(KEYS, **tenant.auth("ADMIN")).json()["items"]
    ids = {k["id"] for k in items}
    assert ids == {_key_id(tenant, role) for role in ("OWNER", "ADMIN", "MEMBER", "ANNOTATOR")}
    assert _key_id(other_tenant, "OWNER") not in ids


@pytest.mark.parametrize("method", ["get", "revoke"])
def test_member_cannot_see_or_revoke_someone_elses_key(client, tenant, method):
    admin_key = _key_id(tenant, "ADMIN")
    if method == "get":
        response = client.get(f"{KEYS}/{admin_key}", **tenant.auth("MEMBER"))
    else:
        response = client.post(f"{KEYS}/{admin_key}/revoke", **tenant.auth("MEMBER"))
    api_error(response, 404, "not_found")
    assert ApiKey.objects.get(id=admin_key).revoked_at is None


@pytest.mark.parametrize("method", ["get", "revoke"])
def test_another_orgs_key_is_404_even_for_its_owner_role(client, tenant, other_tenant, method):
    foreign = _key_id(other_tenant, "MEMBER")
    if method == "get":
        response = client.get(f"{KEYS}/{foreign}", **tenant.auth("OWNER"))
    else:
        response = client.post(f"{KEYS}/{foreign}/revoke", **tenant.auth("OWNER"))
    api_error(response, 404, "not_found")
    assert ApiKey.objects.get(id=foreign).revoked_at is None


@pytest.mark.parametrize("role", ["MEMBER", "ANNOTATOR"])
def test_non_admin_cannot_create_a_service_key(client, tenant, role):
    before = ApiKey.objects.count()
    response = _create(client, tenant, role, kind="SERVICE", role="MEMBER")
    api_error(response, 403, "permission_denied")
    assert ApiKey.objects.count() == before


@pytest.mark.parametrize("role", ["OWNER", "ADMIN"])
def test_admin_creates_a_service_key_that_belongs_to_no_person(client, tenant, role):
    response = client.post(
        KEYS,
        {"label": "etl", "kind": "SERVICE", "role": "ADMIN"},
        content_type="application/json",
        **tenant.auth(role),
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["kind"] == "SERVICE" and created["role"] == "ADMIN" and created["user"] is None
    # A member does not see it; admins do.
    assert created["id"] not in [
        k["id"] for k in client.get(KEYS, **tenant.auth("MEMBER")).json()["items"]
    ]
    assert created["id"] in [
        k["id"] for k in client.get(KEYS, **tenant.auth("ADMIN")).json()["items"]
    ]


@pytest.mark.parametrize("service_role", ["OWNER", "ANNOTATOR", None])
def test_service_key_needs_role_admin_or_member(client, tenant, service_role):
    body = {"label": "svc", "kind": "SERVICE"}
    if service_role:
        body["role"] = service_role
    response = client.post(KEYS, body, content_type="application/json", **tenant.auth("ADMIN"))
    error = api_error(response, 422, "validation_error")
    assert "role" in error["fields"]


def test_annotator_can_create_a_personal_key(client, tenant):
    assert _create(client, tenant, "ANNOTATOR").status_code == 201


def test_service_key_cannot_mint_a_personal_key(client, tenant):
    service = client.post(
        KEYS,
        {"label": "svc", "kind": "SERVICE", "role": "ADMIN"},
        content_type="application/json",
        **tenant.auth(),
    ).json()["secret"]
    response = client.post(
        KEYS,
        {"label": "mine"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {service}",
    )
    api_error(response, 403, "permission_denied")


# --- revoke ---------------------------------------------------------------------------------
def test_revoke_deactivates_the_key_and_hides_it_from_the_default_list(client, tenant):
    created = _create(client, tenant, "MEMBER").json()
    response = client.post(f"{KEYS}/{created['id']}/revoke", **tenant.auth("MEMBER"))
    assert response.status_code == 200
    assert response.json()["is_active"] is False and response.json()["revoked_at"]
    default = client.get(KEYS, **tenant.auth("MEMBER")).json()["items"]
    assert created["id"] not in [k["id"] for k in default]
    everything = client.get(f"{KEYS}?include_revoked=true", **tenant.auth("MEMBER")).json()["items"]
    assert created["id"] in [k["id"] for k in everything]
    api_error(
        client.get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {created['secret']}"),
        401,
        "api_key_revoked",
    )


def test_revoking_twice_is_harmless_and_audited_once(client, tenant):
    key_id = _create(client, tenant).json()["id"]
    first = client.post(f"{KEYS}/{key_id}/revoke", **tenant.auth()).json()
    second = client.post(f"{KEYS}/{key_id}/revoke", **tenant.auth())
    assert second.status_code == 200
    assert second.json()["revoked_at"] == first["revoked_at"]
    assert AuditEvent.objects.filter(action="api_key.revoke", target_id=key_id).count() == 1


def test_admin_can_revoke_a_members_key(client, tenant):
    member_key = _key_id(tenant, "MEMBER")
    assert client.post(f"{KEYS}/{member_key}/revoke", **tenant.auth("ADMIN")).status_code == 200
    api_error(client.get(f"{API}/me", **tenant.auth("MEMBER")), 401, "api_key_revoked")


# --- rate limit -----------------------------------------------------------------------------
def test_key_creation_is_rate_limited_per_principal(client, tenant, settings):
    settings.RATE_LIMIT_KEY_CREATE = "2/60"
    newcomer = add_member(tenant.org, role="MEMBER")  # signs in; has created no key yet
    client.force_login(newcomer)
    away_from_window_edge(60)
    for label in ("a", "b"):
        response = client.post(KEYS, {"label": label}, content_type="application/json")
        assert response.status_code == 201, response.content
    before = ApiKey.objects.count()
    response = client.post(KEYS, {"label": "c"}, content_type="application/json")
    error = api_error(response, 429, "rate_limited")
    assert "Too many" in error["message"]
    assert 1 <= int(response["Retry-After"]) <= 60
    assert ApiKey.objects.count() == before
    # Someone else is not held back by it.
    assert _create(client, tenant, "ADMIN", label="d").status_code == 201


# --- audit ----------------------------------------------------------------------------------
def test_create_and_revoke_are_audited_with_actor_request_id_and_ip(client, tenant):
    created = client.post(
        KEYS,
        {"label": "audited"},
        content_type="application/json",
        HTTP_X_REQUEST_ID="trace-create-1",
        **tenant.auth("MEMBER"),
    )
    key_id = created.json()["id"]
    revoked = client.post(
        f"{KEYS}/{key_id}/revoke", HTTP_X_REQUEST_ID="trace-revoke-1", **tenant.auth("ADMIN")
    )
    assert revoked.status_code == 200

    create_event = AuditEvent.objects.get(action="api_key.create", target_id=key_id)
    assert create_event.organization_id == tenant.org.id
    assert (create_event.actor_type, create_event.actor_id) == ("user", tenant.member.id)
    assert create_event.actor_label == tenant.member.email
    assert create_event.target_type == "api_key"
    assert create_event.request_id == "trace-create-1" == created["X-Request-ID"]
    assert create_event.ip == "127.0.0.1"
    assert create_event.details["label"] == "audited"

    revoke_event = AuditEvent.objects.get(action="api_key.revoke", target_id=key_id)
    assert (revoke_event.actor_type, revoke_event.actor_id) == ("user", tenant.admin.id)
    assert revoke_event.request_id == "trace-revoke-1"
    assert revoke_event.ip == "127.0.0.1"


def test_failed_creation_writes_no_audit_event(client, tenant):
    before = AuditEvent.objects.count()
    _create(client, tenant, "MEMBER", kind="SERVICE", role="MEMBER")  # 403
    _create(client, tenant, "MEMBER", label="")  # 422
    assert AuditEvent.objects.count() == before
