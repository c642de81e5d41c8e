"""Invitations, through the services and the API: who may invite whom, the single-use link
(only its digest stored), resend and revoke, and accepting with a new account, an existing
one or a signed-in session; every refused link leaves everything as it was and is audited."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from adminapp.accounts import principals, services
from adminapp.accounts.models import Invitation, OrgMembership, User
from adminapp.audit.models import AuditEvent
from adminapp.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests.factories import PASSWORD, make_user

API = "/api/v1"
NEW_PASSWORD = "a-long-new-passphrase-42"

pytestmark = pytest.mark.django_db


def link_for(token: str) -> str:
    return f"http://testserver/invitations/{token}/"


def invite(tenant, email="newcomer@example.com", role="MEMBER", by="OWNER"):
    return services.invitation_create(
        actor=tenant.principal(by), org_id=tenant.org.id, email=email, role=role, link_for=link_for
    )


def visitor():
    return principals.for_visitor(org_id=None)


def accept(token, **kwargs):
    kwargs.setdefault("session_user", None)
    return services.invitation_accept(token=token, visitor=visitor(), **kwargs)


def post(client, path, body, **kwargs):
    return client.post(API + path, body, content_type="application/json", **kwargs)


def actions(org_id) -> list[str]:
    return list(
        AuditEvent.objects.filter(organization_id=org_id)
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )


# --- inviting -----------------------------------------------------------------------------
def test_an_admin_invites_an_email_and_the_api_never_shows_the_link(client, tenant):
    response = post(
        client,
        f"/organizations/{tenant.org.id}/invitations",
        {"email": " Newcomer@Example.com ", "role": "MEMBER"},
        **tenant.auth("ADMIN"),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "newcomer@example.com"
    assert body["status"] == "PENDING"
    assert body["invited_by"] == tenant.admin.name
    expires = Invitation.objects.get(id=body["id"]).expires_at
    assert timedelta(days=6, hours=23) < expires - timezone.now() <= timedelta(days=7)
    assert "token" not in body and "digest" not in body
    assert "invitation.create" in actions(tenant.org.id)


def test_only_a_digest_of_the_link_secret_is_stored(tenant):
    invitation, token = invite(tenant)
    secret = token.partition(".")[2]
    row = Invitation.objects.filter(id=invitation.id).values().get()
    assert secret not in str(row)
    assert row["digest"] == hashlib.sha256(secret.encode()).hexdigest()


def test_an_admin_cannot_invite_an_owner_but_an_owner_can(client, tenant):
    url = f"/organizations/{tenant.org.id}/invitations"
    refused = post(
        client, url, {"email": "boss@example.com", "role": "OWNER"}, **tenant.auth("ADMIN")
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "owner_invite_forbidden"
    assert not Invitation.objects.filter(email="boss@example.com").exists()
    ok = post(client, url, {"email": "boss@example.com", "role": "OWNER"}, **tenant.auth("OWNER"))
    assert ok.status_code == 201


def test_members_cannot_invite_and_another_org_is_not_found(client, tenant, other_tenant):
    url = f"/organizations/{tenant.org.id}/invitations"
    member = post(client, url, {"email": "x@example.com"}, **tenant.auth("MEMBER"))
    assert member.status_code == 403
    other = post(client, url, {"email": "x@example.com"}, **other_tenant.auth("OWNER"))
    assert other.status_code == 404
    assert not Invitation.objects.exists()


def test_inviting_a_member_is_a_conflict_on_the_email(client, tenant):
    response = post(
        client,
        f"/organizations/{tenant.org.id}/invitations",
        {"email": tenant.member.email.upper()},
        **tenant.auth("OWNER"),
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "already_member"
    assert error["fields"]["email"]
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("email", ["not-an-email", "a@", "two@@example.com", ""])
def test_a_malformed_email_is_refused_on_the_field(client, tenant, email):
    response = post(
        client, f"/organizations/{tenant.org.id}/invitations", {"email": email}, **tenant.auth()
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["email"]
    assert not Invitation.objects.exists()


def test_a_second_invitation_to_a_pending_email_is_a_conflict_but_an_expired_one_is_replaced(
    tenant,
):
    first, _ = invite(tenant)
    with pytest.raises(Conflict) as exc:
        invite(tenant, email="NEWCOMER@example.com")
    assert exc.value.code == "already_invited"
    Invitation.objects.filter(id=first.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    second, _ = invite(tenant)
    first.refresh_from_db()
    assert first.revoked_at is not None and second.id != first.id


def test_open_invitations_are_listed_newest_first_in_keyset_pages(client, tenant):
    made = [invite(tenant, email=f"p{i}@example.com")[0] for i in range(5)]
    services.invitation_revoke(
        actor=tenant.principal(), org_id=tenant.org.id, invitation_id=made[0].id
    )
    url = f"{API}/organizations/{tenant.org.id}/invitations"
    first = client.get(url, {"limit": 2}, **tenant.auth("ADMIN")).json()
    assert [i["email"] for i in first["items"]] == ["p4@example.com", "p3@example.com"]
    assert first["pagination"]["has_more"] is True
    rest = client.get(
        url, {"limit": 2, "cursor": first["pagination"]["next_cursor"]}, **tenant.auth("ADMIN")
    ).json()
    assert [i["email"] for i in rest["items"]] == ["p2@example.com", "p1@example.com"]
    assert rest["pagination"]["has_more"] is False  # p0 was revoked


# --- resend and revoke ----------------------------------------------------------------------
def test_a_resend_mails_a_new_link_and_the_old_one_stops_working(client, tenant):
    invitation, old = invite(tenant)
    Invitation.objects.filter(id=invitation.id).update(
        expires_at=timezone.now() + timedelta(days=1)
    )
    resent, new = services.invitation_resend(
        actor=tenant.principal("ADMIN"),
        org_id=tenant.org.id,
        invitation_id=invitation.id,
        link_for=link_for,
    )
    assert new != old
    assert resent.expires_at - timezone.now() > timedelta(days=6)
    with pytest.raises(NotFound) as exc:
        accept(old, name="New Person", password=NEW_PASSWORD)
    assert exc.value.code == "invitation_invalid"
    assert accept(new, name="New Person", password=NEW_PASSWORD).account_created
    assert actions(tenant.org.id)[-4:] == [
        "invitation.create",
        "invitation.resend",
        "invitation.accept_refused",
        "invitation.accept",
    ]


def test_the_api_resends_and_revokes(client, tenant):
    invitation, token = invite(tenant)
    base = f"/organizations/{tenant.org.id}/invitations/{invitation.id}"
    resent = post(client, f"{base}/resend", {}, **tenant.auth("ADMIN"))
    assert resent.status_code == 200 and resent.json()["status"] == "PENDING"
    revoked = post(client, f"{base}/revoke", {}, **tenant.auth("ADMIN"))
    assert revoked.status_code == 200 and revoked.json()["status"] == "REVOKED"
    again = post(client, f"{base}/resend", {}, **tenant.auth("ADMIN"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invitation_revoked"


def test_a_revoked_link_says_so_and_changes_nothing(tenant):
    invitation, token = invite(tenant)
    services.invitation_revoke(
        actor=tenant.principal(), org_id=tenant.org.id, invitation_id=invitation.id
    )
    with pytest.raises(Conflict) as exc:
        accept(token, name="New Person", password=NEW_PASSWORD)
    assert exc.value.code == "invitation_revoked"
    assert not User.objects.filter(email="newcomer@example.com").exists()
    refused = AuditEvent.objects.filter(action="invitation.accept_refused").get()
    assert refused.organization_id == tenant.org.id
    assert refused.details["reason"] == "revoked"


def test_an_accepted_invitation_cannot_be_revoked(tenant):
    invitation, token = invite(tenant)
    accept(token, name="New Person", password=NEW_PASSWORD)
    with pytest.raises(Conflict):
        services.invitation_revoke(
            actor=tenant.principal(), org_id=tenant.org.id, invitation_id=invitation.id
        )


def test_an_admin_cannot_resend_or_revoke_an_owner_invitation(tenant):
    invitation, _ = invite(tenant, role="OWNER")
    for call in (services.invitation_resend, services.invitation_revoke):
        extra = {"link_for": link_for} if call is services.invitation_resend else {}
        with pytest.raises(PermissionDenied):
            call(
                actor=tenant.principal("ADMIN"),
                org_id=tenant.org.id,
                invitation_id=invitation.id,
                **extra,
            )


# --- accepting ------------------------------------------------------------------------------
def test_accepting_creates_the_account_signs_in_and_the_link_works_once(client, tenant):
    _, token = invite(tenant, role="ADMIN")
    preview = post(client, "/invitations/inspect", {"token": token})
    assert preview.status_code == 200
    assert preview.json()["organization_name"] == tenant.org.name
    assert preview.json()["account_exists"] is False

    response = post(
        client, "/invitations/accept", {"token": token, "name": "Nia New", "password": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["account_created"] is True
    user = User.objects.get(email="newcomer@example.com")
    assert user.name == "Nia New" and user.check_password(NEW_PASSWORD)
    assert OrgMembership.objects.get(user=user).account_role == "ADMIN"
    me = client.get(f"{API}/me").json()  # the session is signed in, in that organization
    assert me["user"]["email"] == "newcomer@example.com"
    assert me["organization"]["id"] == tenant.org.id

    client.logout()
    again = post(
        client, "/invitations/accept", {"token": token, "name": "Eve", "password": NEW_PASSWORD}
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invitation_used"
    assert OrgMembership.objects.filter(user=user).count() == 1
    assert actions(tenant.org.id)[-2:] == ["invitation.accept", "invitation.accept_refused"]


def test_a_weak_password_is_refused_on_the_field_and_nothing_is_created(client, tenant):
    _, token = invite(tenant)
    response = post(
        client, "/invitations/accept", {"token": token, "name": "Nia", "password": "12345678"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["password"]
    assert not User.objects.filter(email="newcomer@example.com").exists()
    retried = post(
        client, "/invitations/accept", {"token": token, "name": "Nia", "password": NEW_PASSWORD}
    )
    assert retried.status_code == 200  # the link still works


def test_a_new_account_needs_a_name(tenant):
    _, token = invite(tenant)
    with pytest.raises(ValidationFailed) as exc:
        accept(token, name="  ", password=NEW_PASSWORD)
    assert "name" in exc.value.fields


def test_an_existing_account_joins_with_its_password_and_a_wrong_one_is_audited(client, tenant):
    person = make_user(email="known@example.com")
    _, token = invite(tenant, email="known@example.com")
    assert post(client, "/invitations/inspect", {"token": token}).json()["account_exists"] is True
    wrong = post(client, "/invitations/accept", {"token": token, "password": "not-it-at-all"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["fields"]["password"] == ["Incorrect password."]
    assert not OrgMembership.objects.filter(user=person, organization=tenant.org).exists()
    assert actions(tenant.org.id)[-1] == "invitation.accept_refused"
    right = post(client, "/invitations/accept", {"token": token, "password": PASSWORD})
    assert right.status_code == 200 and right.json()["account_created"] is False
    assert OrgMembership.objects.filter(user=person, organization=tenant.org).exists()


def test_a_signed_in_user_joins_as_themselves_and_not_as_someone_else(client, tenant, other_tenant):
    _, token = invite(tenant, email=other_tenant.member.email)
    client.force_login(other_tenant.admin)
    wrong = post(client, "/invitations/accept", {"token": token})
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "invitation_wrong_account"
    client.force_login(other_tenant.member)
    joined = post(client, "/invitations/accept", {"token": token})
    assert joined.status_code == 200
    assert OrgMembership.objects.filter(user=other_tenant.member, organization=tenant.org).exists()
    assert client.get(f"{API}/me").json()["organization"]["id"] == tenant.org.id


def test_an_expired_link_says_so_and_changes_nothing(client, tenant):
    invitation, token = invite(tenant)
    Invitation.objects.filter(id=invitation.id).update(expires_at=timezone.now())
    response = post(
        client, "/invitations/accept", {"token": token, "name": "Late", "password": NEW_PASSWORD}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invitation_expired"
    assert not User.objects.filter(email="newcomer@example.com").exists()
    listed = client.get(f"{API}/organizations/{tenant.org.id}/invitations", **tenant.auth()).json()
    assert listed["items"][0]["status"] == "EXPIRED"


@pytest.mark.parametrize("forged", ["garbage", "inv_nope.secret", "", "{id}.wrong-secret"])
def test_a_forged_link_is_not_valid_and_is_audited(client, tenant, forged):
    invitation, _ = invite(tenant)
    token = forged.format(id=invitation.id)
    inspected = post(client, "/invitations/inspect", {"token": token})
    assert inspected.status_code == 404
    assert inspected.json()["error"]["code"] == "invitation_invalid"
    response = post(
        client, "/invitations/accept", {"token": token, "name": "Mallory", "password": NEW_PASSWORD}
    )
    assert response.status_code == 404
    assert not User.objects.filter(email="newcomer@example.com").exists()
    refused = AuditEvent.objects.filter(action="invitation.accept_refused")
    assert refused.count() == 2
    assert all(e.details["reason"] == "invalid" for e in refused)


def test_someone_who_joined_meanwhile_gets_a_conflict(tenant):
    person = make_user(email="newcomer@example.com")
    _, token = invite(tenant)
    OrgMembership.objects.create(organization=tenant.org, user=person, account_role="MEMBER")
    with pytest.raises(Conflict) as exc:
        accept(token, password=PASSWORD)
    assert exc.value.code == "already_member"


def test_a_browser_must_send_the_csrf_token_and_a_script_is_not_signed_in(tenant):
    from django.test import Client

    _, token = invite(tenant)
    body = {"token": token, "name": "Nia", "password": NEW_PASSWORD}
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["csrftoken"] = "x" * 32  # a cookie of ours, and no X-CSRFToken header
    refused = post(browser, "/invitations/accept", body)
    assert refused.status_code == 403
    assert not User.objects.filter(email="newcomer@example.com").exists()

    script = Client(enforce_csrf_checks=True)  # no cookie at all
    accepted = post(script, "/invitations/accept", body)
    assert accepted.status_code == 200
    assert "sessionid" not in accepted.cookies
    assert script.get(f"{API}/me").status_code == 401
