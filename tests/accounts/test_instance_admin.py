"""The instance-admin area's accounts side (issue 12 item 6): every organization with its
member count, created with a first owner (an existing account made OWNER at once, anyone
else invited as OWNER and owning it once they accept); every user, searched, deactivated
and reactivated. Instance admins only: an org owner is refused (403)."""

from __future__ import annotations

import pytest

from adminapp.accounts import principals, services
from adminapp.accounts.models import Invitation, Organization, OrgMembership, User
from adminapp.audit.models import AuditEvent
from tests.api.helpers import API, api_error
from tests.factories import PASSWORD, make_key, make_org, make_user


@pytest.fixture
def admin(db):
    """An instance admin, with a key (acting in an organization of their own)."""
    user = make_user(email="root@example.com", name="Root Admin", superuser=True)
    org = make_org(name="Instance HQ", owner=user)
    user.auth = {"HTTP_AUTHORIZATION": f"Bearer {make_key(user, org)}"}
    user.principal = principals.for_membership(
        OrgMembership.objects.select_related("user").get(user=user, organization=org)
    )
    return user


def _post(client, path, auth, body=None):
    return client.post(f"{API}{path}", body or {}, content_type="application/json", **auth)


def test_organizations_are_listed_with_member_counts_and_searched(client, admin, tenant):
    listed = client.get(f"{API}/instance/organizations", **admin.auth).json()["items"]
    counts = {o["id"]: o["member_count"] for o in listed}
    assert counts[tenant.org.id] == 4
    found = client.get(
        f"{API}/instance/organizations", {"search": "instance h"}, **admin.auth
    ).json()["items"]
    assert [o["name"] for o in found] == ["Instance HQ"]


def test_an_existing_account_becomes_the_first_owner_at_once(client, admin, tenant):
    response = _post(
        client,
        "/instance/organizations",
        admin.auth,
        {"name": "Beta Labs", "owner_email": tenant.member.email.upper()},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["owner"]["id"] == tenant.member.id and body["invitation"] is None
    org = Organization.objects.get(id=body["organization"]["id"])
    assert OrgMembership.objects.get(organization=org).account_role == "OWNER"
    event = AuditEvent.objects.get(organization=org, action="organization.create")
    assert event.actor_id == admin.id


def test_a_new_email_is_invited_as_owner_and_owns_the_org_once_they_accept(client, admin):
    links: list[str] = []
    created = services.organization_create_with_owner(
        actor=admin.principal,
        name="Gamma Inc",
        owner_email="founder@example.com",
        link_for=lambda token: links.append(token) or token,
    )
    assert created.owner is None
    invitation = Invitation.objects.get(id=created.invitation.id)
    assert invitation.role == "OWNER" and invitation.organization_id == created.organization.id
    assert invitation.invited_by_label == "Root Admin"
    assert not OrgMembership.objects.filter(organization=created.organization).exists()
    accepted = _post(
        client,
        "/invitations/accept",
        {},
        {"token": links[0], "name": "Fay Founder", "password": "a-long-new-passphrase-42"},
    )
    assert accepted.status_code == 200
    founder = User.objects.get(email="founder@example.com")
    membership = OrgMembership.objects.get(organization=created.organization)
    assert membership.user == founder and membership.account_role == "OWNER"


def test_the_api_invites_a_new_email(client, admin):
    response = _post(
        client,
        "/instance/organizations",
        admin.auth,
        {"name": "Delta", "owner_email": "d@example.com"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["owner"] is None
    assert body["invitation"]["email"] == "d@example.com"
    assert body["invitation"]["role"] == "OWNER"
    assert body["organization"]["member_count"] == 0


def test_create_refusals_leave_no_organization(client, admin, tenant):
    taken = _post(
        client,
        "/instance/organizations",
        admin.auth,
        {"name": tenant.org.name.lower(), "owner_email": "x@example.com"},
    )
    assert "name" in api_error(taken, 409, "organization_name_taken")["fields"]
    bad = _post(
        client, "/instance/organizations", admin.auth, {"name": "Eps", "owner_email": "nope"}
    )
    assert "owner_email" in api_error(bad, 422, "validation_error")["fields"]
    User.objects.filter(id=tenant.member.id).update(is_active=False)
    gone = _post(
        client,
        "/instance/organizations",
        admin.auth,
        {"name": "Zeta", "owner_email": tenant.member.email},
    )
    api_error(gone, 409, "user_deactivated")
    forbidden = _post(
        client,
        "/instance/organizations",
        tenant.auth("OWNER"),
        {"name": "Eta", "owner_email": "e@example.com"},
    )
    api_error(forbidden, 403, "permission_denied")
    assert not Organization.objects.filter(name__in=["Eps", "Zeta", "Eta"]).exists()
    assert not Invitation.objects.filter(email__in=["x@example.com", "e@example.com"]).exists()


def test_users_are_searched_and_shown_with_their_organizations(client, admin, tenant):
    found = client.get(
        f"{API}/instance/users", {"search": tenant.admin.email}, **admin.auth
    ).json()["items"]
    assert [u["id"] for u in found] == [tenant.admin.id]
    assert found[0]["is_active"] is True and found[0]["is_instance_admin"] is False
    detail = client.get(f"{API}/instance/users/{tenant.admin.id}", **admin.auth).json()
    assert [(o["id"], o["role"]) for o in detail["organizations"]] == [(tenant.org.id, "ADMIN")]
    api_error(client.get(f"{API}/instance/users/usr_missing", **admin.auth), 404, "not_found")


def test_an_instance_admin_deactivates_anyone_but_themselves(client, admin, tenant, other_tenant):
    OrgMembership.objects.create(
        organization=other_tenant.org, user=tenant.member, account_role="MEMBER"
    )
    response = _post(client, f"/instance/users/{tenant.member.id}/deactivate", admin.auth)
    assert response.status_code == 200 and response.json()["is_active"] is False
    member_key = {"HTTP_AUTHORIZATION": f"Bearer {tenant.keys['MEMBER']}"}
    api_error(client.get(f"{API}/me", **member_key), 401, "invalid_api_key")
    # Audited in each organization the user belongs to.
    orgs = set(
        AuditEvent.objects.filter(action="user.deactivate", target_id=tenant.member.id).values_list(
            "organization_id", flat=True
        )
    )
    assert orgs == {tenant.org.id, other_tenant.org.id}
    again = _post(client, f"/instance/users/{tenant.member.id}/reactivate", admin.auth)
    assert again.json()["is_active"] is True
    assert client.get(f"{API}/me", **member_key).status_code == 200
    api_error(
        _post(client, f"/instance/users/{admin.id}/deactivate", admin.auth), 409, "deactivate_self"
    )
    api_error(
        _post(client, f"/instance/users/{tenant.admin.id}/deactivate", tenant.auth("OWNER")),
        403,
        "permission_denied",
    )
    assert User.objects.get(id=tenant.admin.id).is_active


def test_a_deactivated_user_cannot_sign_in(client, admin, tenant):
    _post(client, f"/instance/users/{tenant.admin.id}/deactivate", admin.auth)
    login = client.post(
        f"{API}/auth/login",
        {"email": tenant.admin.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert login.status_code == 401
