"""Org members: owners and admins manage them; the rules hold through the API and the
services alike, and a refused change leaves nothing behind."""

from __future__ import annotations

import pytest
from django.utils import timezone

from adminapp.accounts import services
from adminapp.accounts.models import ApiKey, OrgMembership, User
from adminapp.audit.models import AuditEvent
from adminapp.core import crypto
from adminapp.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from adminapp.core.ids import new_id
from tests.api.helpers import API, api_error
from tests.factories import PASSWORD, add_member, make_key, make_user
from tests.helpers import without_index


def _members(org_id: str) -> str:
    return f"{API}/organizations/{org_id}/members"


def _add(client, tenant, as_role="ADMIN", org_id=None, headers=None, **body):
    return client.post(
        _members(org_id or tenant.org.id),
        body,
        content_type="application/json",
        **tenant.auth(as_role),
        **(headers or {}),
    )


def _patch(client, tenant, user_id, role, as_role="ADMIN", org_id=None):
    return client.patch(
        f"{_members(org_id or tenant.org.id)}/{user_id}",
        {"role": role},
        content_type="application/json",
        **tenant.auth(as_role),
    )


def _delete(client, tenant, user_id, as_role="ADMIN", org_id=None):
    return client.delete(f"{_members(org_id or tenant.org.id)}/{user_id}", **tenant.auth(as_role))


def _role(tenant, user) -> str | None:
    m = OrgMembership.objects.filter(organization=tenant.org, user=user).first()
    return m.account_role if m else None


# --- list -----------------------------------------------------------------------------------
@pytest.mark.parametrize("as_role", ["OWNER", "ADMIN", "MEMBER"])
def test_members_are_listed_with_their_roles(client, tenant, other_tenant, as_role):
    response = client.get(_members(tenant.org.id), **tenant.auth(as_role))
    assert response.status_code == 200
    listed = {m["user"]["email"]: m["role"] for m in response.json()["items"]}
    assert listed == {
        tenant.owner.email: "OWNER",
        tenant.admin.email: "ADMIN",
        tenant.member.email: "MEMBER",
        tenant.annotator.email: "ANNOTATOR",
    }
    assert response.json()["pagination"] == {"has_more": False, "next_cursor": None}


def test_annotator_cannot_list_members(client, tenant):
    api_error(
        client.get(_members(tenant.org.id), **tenant.auth("ANNOTATOR")), 403, "permission_denied"
    )


def test_member_list_filters_by_email_and_pages(client, tenant):
    response = client.get(
        f"{_members(tenant.org.id)}?email={tenant.admin.email.upper()}", **tenant.auth()
    )
    assert [m["user"]["id"] for m in response.json()["items"]] == [tenant.admin.id]

    seen, cursor = [], None
    while True:
        url = f"{_members(tenant.org.id)}?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, **tenant.auth()).json()
        seen += [m["user"]["id"] for m in page["items"]]
        cursor = page["pagination"]["next_cursor"]
        assert page["pagination"]["has_more"] is (cursor is not None)
        if not cursor:
            break
    assert seen == [tenant.owner.id, tenant.admin.id, tenant.member.id, tenant.annotator.id]


def _joined_at_one_instant(tenant, n: int) -> None:
    """``n`` more members, all joined at the same instant, inserted in the reverse of their
    ids' order (so a database that returns ties in the order it stored them, not by id,
    shows a page order that only the ``id`` tie-break puts right)."""
    ids = sorted((new_id("mem") for _ in range(n)), reverse=True)
    users = [make_user() for _ in range(n)]
    for membership_id, user in zip(ids, users, strict=True):
        OrgMembership.objects.create(
            id=membership_id, organization=tenant.org, user=user, account_role="MEMBER"
        )
    OrgMembership.objects.filter(id__in=ids).update(created_at=timezone.now())


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_members_who_joined_at_the_same_instant_page_without_loss_or_repeat(client, tenant, limit):
    """Oldest first, ties broken by id (Hardening II #32)."""
    _joined_at_one_instant(tenant, 7)
    without_index(OrgMembership, ["organization", "created_at", "id"])
    expected = list(
        OrgMembership.objects.filter(organization=tenant.org)
        .order_by("created_at", "id")
        .values_list("user_id", flat=True)
    )
    seen, cursor = [], None
    while True:
        query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = client.get(_members(tenant.org.id), query, **tenant.auth()).json()
        seen += [m["user"]["id"] for m in page["items"]]
        cursor = page["pagination"]["next_cursor"]
        if not cursor:
            break
    assert seen == expected and len(set(seen)) == 11


def test_member_search_matches_the_name_or_the_email(client, tenant):
    tenant.admin.name = "Grace Hopper"
    tenant.admin.save(update_fields=["name"])
    tenant.member.name = "Ada"
    tenant.member.save(update_fields=["name"])

    def found(term: str) -> list[str]:
        response = client.get(_members(tenant.org.id), {"search": term}, **tenant.auth())
        assert response.status_code == 200, response.content
        return [m["user"]["id"] for m in response.json()["items"]]

    assert found("hopper") == [tenant.admin.id]  # by name, any case
    assert found(tenant.member.email.split("@")[0].upper()) == [tenant.member.id]  # by email
    assert found("  ") == found("") and len(found("")) == 4  # blank: no filter
    assert found("nobody-has-this") == []
    too_long = client.get(_members(tenant.org.id), {"search": "x" * 256}, **tenant.auth())
    assert too_long.status_code == 422


# --- add ------------------------------------------------------------------------------------
def test_admin_adds_a_new_person_who_can_then_sign_in(client, tenant):
    response = _add(
        client, tenant, email="New.Person@Example.com", role="MEMBER", name="New", password=PASSWORD
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["email"] == "new.person@example.com"
    assert body["user"]["name"] == "New"
    assert body["role"] == "MEMBER"
    user = User.objects.get(email="new.person@example.com")
    assert _role(tenant, user) == "MEMBER"
    login = client.post(
        f"{API}/auth/login",
        {"email": "new.person@example.com", "password": PASSWORD},
        content_type="application/json",
    )
    assert login.status_code == 200
    assert login.json()["organization"]["id"] == tenant.org.id


def test_adding_someone_from_another_org_needs_no_password(client, tenant, other_tenant):
    response = _add(client, tenant, email=other_tenant.member.email, role="ANNOTATOR")
    assert response.status_code == 201, response.content
    assert _role(tenant, other_tenant.member) == "ANNOTATOR"
    # Their existing password is untouched.
    other_tenant.member.refresh_from_db()
    assert other_tenant.member.check_password(PASSWORD)


def test_owner_can_grant_owner(client, tenant):
    response = _add(
        client, tenant, "OWNER", email="co-owner@example.com", role="OWNER", password=PASSWORD
    )
    assert response.status_code == 201
    assert response.json()["role"] == "OWNER"


def test_adding_an_existing_member_is_409(client, tenant):
    before = OrgMembership.objects.count()
    error = api_error(
        _add(client, tenant, email=tenant.member.email, role="ADMIN"), 409, "conflict"
    )
    assert error["fields"] == {"email": ["Already a member."]}
    assert _role(tenant, tenant.member) == "MEMBER"
    assert OrgMembership.objects.count() == before


def test_an_empty_email_is_a_422_saying_it_is_required(client, tenant):
    before = OrgMembership.objects.count()
    error = api_error(_add(client, tenant, email="", role="MEMBER"), 422, "validation_error")
    assert error["fields"] == {"email": ["String should have at least 1 character"]}
    assert OrgMembership.objects.count() == before


def test_new_email_without_a_password_is_422_and_creates_no_account(client, tenant):
    error = api_error(
        _add(client, tenant, email="fresh@example.com", role="MEMBER"), 422, "validation_error"
    )
    assert list(error["fields"]) == ["password"]
    assert not User.objects.filter(email="fresh@example.com").exists()


@pytest.mark.parametrize("password", ["short", "password123", "1234567890123", "fresh@example.com"])
def test_weak_password_is_422_and_creates_no_account(client, tenant, password):
    response = _add(client, tenant, email="fresh@example.com", role="MEMBER", password=password)
    error = api_error(response, 422, "validation_error")
    assert list(error["fields"]) == ["password"]
    assert error["fields"]["password"]
    assert not User.objects.filter(email="fresh@example.com").exists()
    assert not AuditEvent.objects.filter(action="member.add").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "role": "MEMBER", "password": PASSWORD}, "email"),
        ({"email": "x@example.com", "role": "KING", "password": PASSWORD}, "role"),
        ({"email": "x@example.com", "password": PASSWORD}, "role"),
        (
            {"email": "x@example.com", "role": "MEMBER", "password": PASSWORD, "admin": True},
            "admin",
        ),
        (
            {"email": "x@example.com", "role": "MEMBER", "name": "n" * 151, "password": PASSWORD},
            "name",
        ),
    ],
)
def test_bad_member_input_is_422_naming_the_field(client, tenant, body, field):
    error = api_error(_add(client, tenant, **body), 422, "validation_error")
    assert field in error["fields"]
    assert not User.objects.filter(email="x@example.com").exists()


# --- update and remove ----------------------------------------------------------------------
def test_admin_changes_a_members_role(client, tenant):
    response = _patch(client, tenant, tenant.member.id, "ADMIN")
    assert response.status_code == 200
    assert response.json()["role"] == "ADMIN"
    assert _role(tenant, tenant.member) == "ADMIN"
    # The new role applies to the member's next request.
    assert client.get(f"{API}/me", **tenant.auth("MEMBER")).json()["role"] == "ADMIN"


def test_admin_removes_a_member(client, tenant):
    assert _delete(client, tenant, tenant.annotator.id).status_code == 204
    assert _role(tenant, tenant.annotator) is None
    assert User.objects.filter(id=tenant.annotator.id).exists()  # the account stays


@pytest.mark.parametrize("as_role", ["MEMBER", "ANNOTATOR"])
def test_member_and_annotator_cannot_change_members(client, tenant, as_role):
    api_error(
        _add(client, tenant, as_role, email="x@example.com", role="MEMBER", password=PASSWORD),
        403,
        "permission_denied",
    )
    api_error(
        _patch(client, tenant, tenant.annotator.id, "ADMIN", as_role), 403, "permission_denied"
    )
    api_error(_delete(client, tenant, tenant.admin.id, as_role), 403, "permission_denied")
    assert not User.objects.filter(email="x@example.com").exists()
    assert _role(tenant, tenant.annotator) == "ANNOTATOR"
    assert _role(tenant, tenant.admin) == "ADMIN"


def test_another_orgs_members_are_404(client, tenant, other_tenant):
    other = other_tenant.org.id
    api_error(client.get(_members(other), **tenant.auth("OWNER")), 404, "not_found")
    api_error(
        _add(
            client,
            tenant,
            "OWNER",
            org_id=other,
            email="x@example.com",
            role="MEMBER",
            password=PASSWORD,
        ),
        404,
        "not_found",
    )
    api_error(
        _patch(client, tenant, other_tenant.member.id, "ADMIN", "OWNER", org_id=other),
        404,
        "not_found",
    )
    api_error(
        _delete(client, tenant, other_tenant.member.id, "OWNER", org_id=other), 404, "not_found"
    )
    assert _role(other_tenant, other_tenant.member) == "MEMBER"


@pytest.mark.parametrize("action", ["patch", "delete"])
def test_user_who_is_not_a_member_is_404(client, tenant, other_tenant, action):
    outsider = other_tenant.member.id
    if action == "patch":
        response = _patch(client, tenant, outsider, "ADMIN")
    else:
        response = _delete(client, tenant, outsider)
    api_error(response, 404, "not_found")


def test_admin_cannot_grant_owner(client, tenant):
    api_error(
        _add(client, tenant, email="x@example.com", role="OWNER", password=PASSWORD),
        403,
        "permission_denied",
    )
    api_error(_patch(client, tenant, tenant.member.id, "OWNER"), 403, "permission_denied")
    assert not User.objects.filter(email="x@example.com").exists()
    assert _role(tenant, tenant.member) == "MEMBER"


def test_admin_cannot_demote_or_remove_an_owner(client, tenant):
    api_error(_patch(client, tenant, tenant.owner.id, "ADMIN"), 403, "permission_denied")
    api_error(_delete(client, tenant, tenant.owner.id), 403, "permission_denied")
    assert _role(tenant, tenant.owner) == "OWNER"


def test_last_owner_cannot_be_demoted_or_removed(client, tenant):
    error = api_error(_patch(client, tenant, tenant.owner.id, "ADMIN", "OWNER"), 409, "last_owner")
    assert "owner" in error["message"]
    api_error(_delete(client, tenant, tenant.owner.id, "OWNER"), 409, "last_owner")
    assert _role(tenant, tenant.owner) == "OWNER"


def test_with_two_owners_one_may_step_down(client, tenant):
    assert _patch(client, tenant, tenant.admin.id, "OWNER", "OWNER").status_code == 200
    assert _patch(client, tenant, tenant.owner.id, "ADMIN", "OWNER").status_code == 200
    assert _role(tenant, tenant.owner) == "ADMIN"
    # Now the former admin is the last owner.
    second_owner_auth = tenant.auth("ADMIN")
    response = client.patch(
        f"{_members(tenant.org.id)}/{tenant.admin.id}",
        {"role": "MEMBER"},
        content_type="application/json",
        **second_owner_auth,
    )
    api_error(response, 409, "last_owner")


def test_removing_a_member_revokes_their_personal_keys_in_that_org_only(
    client, tenant, other_tenant
):
    both = add_member(other_tenant.org, role="MEMBER", user=tenant.member)
    key_elsewhere = make_key(both, other_tenant.org)
    second_key_here = make_key(tenant.member, tenant.org)

    assert _delete(client, tenant, tenant.member.id).status_code == 204

    for secret in (tenant.keys["MEMBER"], second_key_here):
        assert ApiKey.objects.get(digest=crypto.digest(secret)).revoked_at is not None
        api_error(
            client.get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {secret}"), 401, "api_key_revoked"
        )
    me = client.get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {key_elsewhere}")
    assert me.status_code == 200
    assert me.json()["organization"]["id"] == other_tenant.org.id


def test_member_changes_are_audited(client, tenant):
    _add(
        client,
        tenant,
        email="aud@example.com",
        role="MEMBER",
        password=PASSWORD,
        headers={"HTTP_X_REQUEST_ID": "trace-member-add"},
    )
    user = User.objects.get(email="aud@example.com")
    _patch(client, tenant, user.id, "ANNOTATOR")
    _delete(client, tenant, user.id)
    events = {
        e.action: e for e in AuditEvent.objects.filter(organization=tenant.org, target_id=user.id)
    }
    assert set(events) == {"member.add", "member.update_role", "member.remove"}
    assert events["member.add"].details == {
        "email": "aud@example.com",
        "role": "MEMBER",
        "account_created": True,
    }
    assert events["member.add"].request_id == "trace-member-add"
    assert events["member.update_role"].details == {"from": "MEMBER", "to": "ANNOTATOR"}
    for event in events.values():
        assert (event.actor_type, event.actor_id, event.ip) == (
            "user",
            tenant.admin.id,
            "127.0.0.1",
        )
        assert event.target_type == "user"
        assert PASSWORD not in str(event.details)


def test_setting_the_same_role_again_writes_no_event(client, tenant):
    before = AuditEvent.objects.count()
    assert _patch(client, tenant, tenant.member.id, "MEMBER").status_code == 200
    assert AuditEvent.objects.count() == before


# --- the same rules through the services -------------------------------------------------
def test_service_refuses_a_member_adding_people(tenant):
    with pytest.raises(PermissionDenied):
        services.org_member_add(
            actor=tenant.principal("MEMBER"),
            org_id=tenant.org.id,
            email="s@example.com",
            role="MEMBER",
            password=PASSWORD,
        )
    assert not User.objects.filter(email="s@example.com").exists()


def test_service_treats_another_org_as_missing(tenant, other_tenant):
    with pytest.raises(NotFound):
        services.org_member_remove(
            actor=tenant.principal("OWNER"),
            org_id=other_tenant.org.id,
            user_id=other_tenant.member.id,
        )
    assert _role(other_tenant, other_tenant.member) == "MEMBER"


def test_service_refuses_an_unknown_role(tenant):
    with pytest.raises(ValidationFailed) as excinfo:
        services.org_member_update_role(
            actor=tenant.principal("OWNER"),
            org_id=tenant.org.id,
            user_id=tenant.member.id,
            role="EMPEROR",
        )
    assert "role" in excinfo.value.fields


def test_service_keeps_the_last_owner(tenant):
    with pytest.raises(Conflict):
        services.org_member_remove(
            actor=tenant.principal("OWNER"), org_id=tenant.org.id, user_id=tenant.owner.id
        )
    assert _role(tenant, tenant.owner) == "OWNER"


def test_service_add_of_a_weak_password_leaves_no_user(tenant):
    with pytest.raises(ValidationFailed):
        services.org_member_add(
            actor=tenant.principal("ADMIN"),
            org_id=tenant.org.id,
            email="weak@example.com",
            role="MEMBER",
            password="abc",
        )
    assert not User.objects.filter(email="weak@example.com").exists()


def test_existing_user_with_membership_gets_409_and_no_new_account(tenant):
    outsider = make_user()
    services.org_member_add(
        actor=tenant.principal("ADMIN"), org_id=tenant.org.id, email=outsider.email, role="MEMBER"
    )
    with pytest.raises(Conflict):
        services.org_member_add(
            actor=tenant.principal("ADMIN"),
            org_id=tenant.org.id,
            email=outsider.email,
            role="ADMIN",
        )
    assert User.objects.filter(email=outsider.email).count() == 1
    assert _role(tenant, outsider) == "MEMBER"


def test_one_member_can_be_read_by_id(client, tenant, other_tenant):
    url = f"{API}/organizations/{tenant.org.id}/members"
    got = client.get(f"{url}/{tenant.annotator.id}", **tenant.auth("MEMBER"))
    assert got.status_code == 200
    assert (got.json()["user"]["id"], got.json()["role"]) == (tenant.annotator.id, "ANNOTATOR")
    api_error(
        client.get(f"{url}/{other_tenant.member.id}", **tenant.auth("OWNER")), 404, "not_found"
    )
    api_error(
        client.get(f"{url}/{tenant.owner.id}", **tenant.auth("ANNOTATOR")), 403, "permission_denied"
    )
    other = f"{API}/organizations/{other_tenant.org.id}/members/{other_tenant.member.id}"
    api_error(client.get(other, **tenant.auth("OWNER")), 404, "not_found")
