"""The invitation pages as a browser without JavaScript (and as htmx) sees them: the
admins' page (invite with inline errors, the open invitations, resend and revoke after a
confirmation, the empty state) and the public page a link opens, for each kind of visitor
and each kind of dead link. Django's test client, the real views, SDK and API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from adminapp.accounts import services
from adminapp.accounts.models import Invitation, OrgMembership, User
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NEW_PASSWORD = "a-long-new-passphrase-42"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def invite(tenant, email="newcomer@example.com", role="MEMBER"):
    return services.invitation_create(
        actor=tenant.principal(),
        org_id=tenant.org.id,
        email=email,
        role=role,
        link_for=lambda token: token,
    )


def accept_url(token: str) -> str:
    return reverse("web:invitation_accept", args=[token])


# --- the admins' page -------------------------------------------------------------------------
def test_the_members_page_leads_admins_to_invitations_and_not_members(tenant):
    assert (
        reverse("web:invitations")
        in signed_in(tenant.admin).get(reverse("web:members")).content.decode()
    )
    assert (
        reverse("web:invitations")
        not in signed_in(tenant.member).get(reverse("web:members")).content.decode()
    )
    assert signed_in(tenant.member).get(reverse("web:invitations")).status_code == 403


def test_an_empty_list_says_so_and_an_invitation_then_shows(tenant):
    client = signed_in(tenant.admin)
    page = client.get(reverse("web:invitations")).content.decode()
    assert "No pending invitations" in page
    assert '<option value="OWNER"' not in page  # an ADMIN is not offered the OWNER role
    response = client.post(
        reverse("web:invitations"), {"email": "new@example.com", "role": "ADMIN"}
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Invited new@example.com as Admin" in page
    assert "new@example.com" in page and "No pending invitations" not in page


@pytest.mark.parametrize(
    ("email", "message"),
    [("not-an-email", "Enter a valid email address."), ("", "This field is required.")],
)
def test_a_malformed_email_is_an_inline_error(tenant, email, message):
    client = signed_in(tenant.owner)
    response = client.post(reverse("web:invitations"), {"email": email, "role": "MEMBER"})
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html and "field--invalid" in html
    assert not Invitation.objects.exists()


def test_inviting_a_member_again_is_an_inline_error_on_the_email(tenant):
    client = signed_in(tenant.owner)
    response = client.post(
        reverse("web:invitations"),
        {"email": tenant.member.email, "role": "MEMBER"},
        **HTMX,
        HTTP_HX_TARGET="invitations-content",
    )
    assert response.status_code == 409
    assert "Already a member." in response.content.decode()


def test_an_admin_posting_the_owner_role_anyway_gets_an_error_next_to_the_role(tenant):
    client = signed_in(tenant.admin)
    response = client.post(
        reverse("web:invitations"), {"email": "boss@example.com", "role": "OWNER"}
    )
    assert response.status_code == 422  # the form does not offer the OWNER role
    assert "Select a valid choice" in response.content.decode()
    assert not Invitation.objects.exists()


def test_resend_and_revoke_ask_first_then_do_it(tenant):
    invitation, old = invite(tenant)
    client = signed_in(tenant.owner)
    confirm = client.get(reverse("web:invitation_resend", args=[invitation.id])).content.decode()
    assert "Send the invitation to newcomer@example.com again?" in confirm
    assert Invitation.objects.get(id=invitation.id).digest == invitation.digest  # not yet
    resent = client.post(reverse("web:invitation_resend", args=[invitation.id]))
    assert resent.status_code == 302
    assert Invitation.objects.get(id=invitation.id).digest != invitation.digest

    confirm = client.get(reverse("web:invitation_revoke", args=[invitation.id])).content.decode()
    assert "Revoke the invitation of newcomer@example.com?" in confirm
    row = client.post(
        reverse("web:invitation_revoke", args=[invitation.id]),
        **HTMX,
        HTTP_HX_TARGET=f"invitation-{invitation.id}",
    )
    assert row.status_code == 200
    assert "Revoked the invitation of newcomer@example.com" in row.content.decode()
    assert Invitation.objects.get(id=invitation.id).revoked_at is not None


# --- the page a link opens --------------------------------------------------------------------
def test_a_newcomer_creates_an_account_and_lands_signed_in_on_the_dashboard(tenant):
    _, token = invite(tenant)
    client = Client(enforce_csrf_checks=True)
    page = client.get(accept_url(token))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Join {tenant.org.name}" in html and "Create account and join" in html
    csrf = client.cookies["csrftoken"].value
    differ = client.post(
        accept_url(token),
        {
            "name": "Nia",
            "password": NEW_PASSWORD,
            "password2": "something-else",
            "csrfmiddlewaretoken": csrf,
        },
    )
    assert differ.status_code == 422
    assert "The two passwords differ." in differ.content.decode()
    weak = client.post(
        accept_url(token),
        {
            "name": "Nia",
            "password": "password",
            "password2": "password",
            "csrfmiddlewaretoken": csrf,
        },
    )
    assert weak.status_code == 422
    assert "too common" in weak.content.decode()
    assert not User.objects.filter(email="newcomer@example.com").exists()
    done = client.post(
        accept_url(token),
        {
            "name": "Nia",
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "csrfmiddlewaretoken": csrf,
        },
    )
    assert done.status_code == 302 and done.url == reverse("web:overview")
    overview = client.get(done.url).content.decode()
    assert f"Welcome to {tenant.org.name}." in overview
    assert OrgMembership.objects.filter(
        user__email="newcomer@example.com", organization=tenant.org
    ).exists()


def test_the_accept_form_needs_its_csrf_token(tenant):
    _, token = invite(tenant)
    client = Client(enforce_csrf_checks=True)
    client.get(accept_url(token))
    response = client.post(
        accept_url(token), {"name": "Nia", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_an_existing_account_is_asked_for_its_password(tenant):
    person = make_user(email="known@example.com")
    _, token = invite(tenant, email="known@example.com")
    client = Client()
    assert "enter its password to join" in client.get(accept_url(token)).content.decode()
    wrong = client.post(accept_url(token), {"password": "not-the-password"})
    assert wrong.status_code == 422 and "Incorrect password." in wrong.content.decode()
    right = client.post(accept_url(token), {"password": PASSWORD})
    assert right.status_code == 302
    assert OrgMembership.objects.filter(user=person, organization=tenant.org).exists()


def test_a_signed_in_invitee_joins_with_one_click_and_someone_else_is_told_to_sign_out(
    tenant, other_tenant
):
    _, token = invite(tenant, email=other_tenant.member.email)
    other = signed_in(other_tenant.admin)
    page = other.get(accept_url(token)).content.decode()
    assert f"You are signed in as {other_tenant.admin.email}" in page
    assert other.post(accept_url(token)).status_code == 200  # the page again, nothing done
    assert not OrgMembership.objects.filter(
        user=other_tenant.admin, organization=tenant.org
    ).exists()
    invitee = signed_in(other_tenant.member)
    assert f"Join {tenant.org.name}</button>" in invitee.get(accept_url(token)).content.decode()
    assert invitee.post(accept_url(token)).status_code == 302
    assert OrgMembership.objects.filter(user=other_tenant.member, organization=tenant.org).exists()


def _dead_links(tenant):
    expired, expired_token = invite(tenant, email="late@example.com")
    Invitation.objects.filter(id=expired.id).update(expires_at=timezone.now() - timedelta(days=1))
    revoked, revoked_token = invite(tenant, email="gone@example.com")
    services.invitation_revoke(
        actor=tenant.principal(), org_id=tenant.org.id, invitation_id=revoked.id
    )
    _, used_token = invite(tenant, email="used@example.com")
    services.invitation_accept(
        token=used_token,
        session_user=None,
        name="Used",
        password=NEW_PASSWORD,
        visitor=services.invitations.principals.for_visitor(org_id=None),
    )
    return {
        "This invitation has expired": (expired_token, 409),
        "This invitation was withdrawn": (revoked_token, 409),
        "This invitation was already used": (used_token, 409),
        "This invitation link is not valid": (f"{expired.id}.forged", 404),
    }


def test_dead_links_say_so_on_view_and_on_post_and_change_nothing(tenant):
    client = Client()
    for title, (token, status) in _dead_links(tenant).items():
        members = OrgMembership.objects.count()
        viewed = client.get(accept_url(token))
        assert viewed.status_code == status
        assert (
            title in viewed.content.decode() and "Nothing was changed." in viewed.content.decode()
        )
        posted = client.post(
            accept_url(token), {"name": "X", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
        assert posted.status_code == status and title in posted.content.decode()
        assert OrgMembership.objects.count() == members


def test_the_invitations_page_is_under_members_in_the_nav(tenant):
    page = signed_in(tenant.owner).get(reverse("web:invitations")).content.decode()
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', page)
    assert current and set(current) == {reverse("web:members")}


def test_refused_links_show_in_the_audit_log_page(tenant):
    invitation, _ = invite(tenant)
    Client().get(accept_url(f"{invitation.id}.forged"))
    page = signed_in(tenant.owner).get(reverse("web:audit"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "invitation.accept_refused" in html and "invitation.create" in html


def test_past_fifty_invitations_the_list_loads_more(tenant):
    for n in range(52):
        invite(tenant, email=f"person{n:02d}@example.com")
    client = signed_in(tenant.owner)
    first = client.get(reverse("web:invitations")).content.decode()
    assert first.count('<tr id="invitation-') == 50 and "person51@example.com" in first
    more = re.search(r'id="invitations-more">\s*<td[^>]*>\s*<a [^>]*href="([^"]+)"', first)
    assert more, "no Load more row"
    rest = client.get(
        reverse("web:invitations") + more.group(1).replace("&amp;", "&"),
        **HTMX,
        HTTP_HX_TARGET="invitations-more",
    ).content.decode()
    assert rest.count('<tr id="invitation-') == 2
    assert "person00@example.com" in rest and "person01@example.com" in rest
    assert "<html" not in rest  # just the rows
