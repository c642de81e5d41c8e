"""GET /api/v1/permissions/check: org admins ask whether a user (by id or email) or an API
key may do an action; the answer matches what that principal can actually do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from adminapp.accounts.models import ApiKey
from adminapp.core import crypto
from tests.api.helpers import API, api_error

CHECK = f"{API}/permissions/check"
ROLES = ("OWNER", "ADMIN", "MEMBER", "ANNOTATOR")

# The org-level vocabulary and who holds what: Y = allowed.
#                        OWNER ADMIN MEMBER ANNOTATOR
EXPECTED = {
    "org.read":            "Y     Y     Y      Y",
    "member.read":         "Y     Y     Y      -",
    "member.manage":       "Y     Y     -      -",
    "owner.manage":        "Y     -     -      -",
    "api_key.manage_own":  "Y     Y     Y      Y",
    "api_key.manage":      "Y     Y     -      -",
    "audit.read":          "Y     Y     -      -",
    "audit.write_custom":  "Y     Y     Y      Y",
    "job.read_all":        "Y     Y     -      -",
    "permission.check":    "Y     Y     -      -",
}  # fmt: skip
TABLE = [
    (role, action, flag == "Y")
    for action, row in EXPECTED.items()
    for role, flag in zip(ROLES, row.split(), strict=True)
]


def _check(client, tenant, principal, action, resource=None, as_role="ADMIN"):
    params = {"principal": principal, "action": action}
    if resource is not None:
        params["resource"] = resource
    return client.get(CHECK, params, **tenant.auth(as_role))


def _key_id(tenant, role):
    return ApiKey.objects.get(digest=crypto.digest(tenant.keys[role])).id


def _service_key(client, tenant, role):
    response = client.post(
        f"{API}/api-keys",
        {"label": f"svc-{role}", "kind": "SERVICE", "role": role},
        content_type="application/json",
        **tenant.auth("OWNER"),
    )
    assert response.status_code == 201
    return response.json()


@pytest.mark.parametrize(("role", "action", "allowed"), TABLE)
@pytest.mark.parametrize("ref", ["user_id", "email", "key_id"])
def test_answer_matches_the_principals_role(client, tenant, role, action, allowed, ref):
    user = getattr(tenant, role.lower())
    principal = {
        "user_id": user.id,
        "email": user.email.upper(),
        "key_id": _key_id(tenant, role),  # a personal key acts as its user
    }[ref]
    response = _check(client, tenant, principal, action)
    assert response.status_code == 200, response.content
    assert response.json() == {"has_permission": allowed}


@pytest.mark.parametrize(
    ("service_role", "action", "allowed"),
    [
        ("ADMIN", "member.manage", True),
        ("ADMIN", "audit.read", True),
        ("ADMIN", "owner.manage", False),
        ("ADMIN", "api_key.manage_own", False),  # nobody behind it to own a personal key
        ("MEMBER", "member.read", True),
        ("MEMBER", "audit.read", False),
        ("MEMBER", "api_key.manage_own", False),
    ],
)
def test_service_key_answers_for_its_own_role(client, tenant, service_role, action, allowed):
    key = _service_key(client, tenant, service_role)
    assert _check(client, tenant, key["id"], action).json() == {"has_permission": allowed}


def test_answer_agrees_with_what_the_principal_can_actually_do(client, tenant):
    """The check is not a second opinion: it predicts the real outcome."""
    cases = [
        ("MEMBER", "audit.read", f"{API}/audit"),
        ("ADMIN", "audit.read", f"{API}/audit"),
        ("ANNOTATOR", "member.read", f"{API}/organizations/{tenant.org.id}/members"),
        ("MEMBER", "member.read", f"{API}/organizations/{tenant.org.id}/members"),
    ]
    for role, action, url in cases:
        predicted = _check(client, tenant, getattr(tenant, role.lower()).id, action).json()
        actual = client.get(url, **tenant.auth(role)).status_code == 200
        assert predicted["has_permission"] is actual, (role, action)


def test_role_change_is_reflected_immediately(client, tenant):
    assert _check(client, tenant, tenant.member.id, "audit.read").json()["has_permission"] is False
    client.patch(
        f"{API}/organizations/{tenant.org.id}/members/{tenant.member.id}",
        {"role": "ADMIN"},
        content_type="application/json",
        **tenant.auth("OWNER"),
    )
    assert _check(client, tenant, tenant.member.id, "audit.read").json()["has_permission"] is True


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_a_key_that_no_longer_works_has_no_permission(client, tenant, state):
    key = _service_key(client, tenant, "ADMIN")
    if state == "revoked":
        client.post(f"{API}/api-keys/{key['id']}/revoke", **tenant.auth("OWNER"))
    else:
        ApiKey.objects.filter(id=key["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _check(client, tenant, key["id"], "audit.read").json() == {"has_permission": False}
    personal = _key_id(tenant, "ADMIN")
    client.post(f"{API}/api-keys/{personal}/revoke", **tenant.auth("ADMIN"))
    assert _check(client, tenant, personal, "org.read", as_role="OWNER").json() == {
        "has_permission": False
    }


def test_a_deactivated_user_has_no_permission(client, tenant):
    tenant.admin.is_active = False
    tenant.admin.save()
    assert _check(client, tenant, tenant.admin.id, "org.read", as_role="OWNER").json() == {
        "has_permission": False
    }


@pytest.mark.parametrize("resource", ["ORG", "KEY", "USER"])
def test_resource_of_the_callers_org_is_accepted(client, tenant, resource):
    resource_id = {
        "ORG": tenant.org.id,
        "KEY": _key_id(tenant, "MEMBER"),
        "USER": tenant.member.id,
    }[resource]
    response = _check(client, tenant, tenant.member.id, "org.read", resource=resource_id)
    assert response.json() == {"has_permission": True}


@pytest.mark.parametrize("as_role", ["MEMBER", "ANNOTATOR"])
def test_non_admin_caller_is_403(client, tenant, as_role):
    response = _check(client, tenant, tenant.member.id, "org.read", as_role=as_role)
    error = api_error(response, 403, "permission_denied")
    assert "admin" in error["message"]


def test_unknown_action_is_422_listing_the_known_ones(client, tenant):
    error = api_error(
        _check(client, tenant, tenant.member.id, "org.destroy"), 422, "validation_error"
    )
    assert list(error["fields"]) == ["action"]
    assert "audit.read" in error["fields"]["action"][0]


@pytest.mark.parametrize("missing", ["principal", "action"])
def test_missing_parameter_is_422(client, tenant, missing):
    params = {"principal": tenant.member.id, "action": "org.read"}
    del params[missing]
    error = api_error(client.get(CHECK, params, **tenant.auth("ADMIN")), 422, "validation_error")
    assert missing in error["fields"]


@pytest.mark.parametrize("ref", ["user_id", "email", "key_id", "unknown"])
def test_principal_from_another_org_is_404(client, tenant, other_tenant, ref):
    principal = {
        "user_id": other_tenant.member.id,
        "email": other_tenant.member.email,
        "key_id": _key_id(other_tenant, "MEMBER"),
        "unknown": "usr_doesnotexist",
    }[ref]
    api_error(_check(client, tenant, principal, "org.read"), 404, "not_found")


@pytest.mark.parametrize("resource", ["ORG", "KEY", "USER", "UNKNOWN"])
def test_resource_from_another_org_is_404(client, tenant, other_tenant, resource):
    resource_id = {
        "ORG": other_tenant.org.id,
        "KEY": _key_id(other_tenant, "MEMBER"),
        "USER": other_tenant.member.id,
        "UNKNOWN": "thing_123",
    }[resource]
    api_error(
        _check(client, tenant, tenant.member.id, "org.read", resource=resource_id), 404, "not_found"
    )
