"""The invitation and password reset journeys in Chromium, with a real worker sending the
mail to a real SMTP server on loopback. An owner invites an email from the dashboard; a new
browser follows the link in the mail, creates the account and lands signed in on the
dashboard; the owner revokes a second invitation after the confirmation, and its link says
it was withdrawn. Someone who forgot their password asks for a link, follows it, chooses a
new password and signs in with it; the used link says so."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from adminapp.accounts.models import Invitation, OrgMembership
from tests import smtp
from tests.browser.helpers import sign_in, wait_htmx_idle
from tests.factories import PASSWORD, make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-long-new-passphrase-42"
smtp_server, mail_worker = smtp.smtp_server, smtp.mail_worker  # the fixtures, used here


def test_invite_by_email_follow_the_mailed_link_and_land_signed_in(
    page, browser, live_server, smtp_server, mail_worker
):
    tenant = make_tenant()
    sign_in(page, tenant.owner.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    page.get_by_role("link", name="Invitations").click()
    expect(page.get_by_text("No pending invitations")).to_be_visible()

    page.get_by_label("Email").fill("not an email")
    page.get_by_role("button", name="Send invitation").click()
    wait_htmx_idle(page)
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()

    page.get_by_label("Email").fill("nia@example.com")
    page.get_by_label("Role").select_option("ADMIN")
    page.get_by_role("button", name="Send invitation").click()
    wait_htmx_idle(page)
    expect(page.locator("#invitations-content").get_by_text("nia@example.com")).to_be_visible()

    mail = smtp_server.wait_for_mail("nia@example.com")
    link = mail.link("/invitations/")
    assert link.startswith(live_server.url)

    invitee = browser.new_context(base_url=live_server.url).new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name=f"Join {tenant.org.name}")).to_be_visible()
    invitee.get_by_label("Your name").fill("Nia Newcomer")
    invitee.get_by_label("Choose a password").fill(NEW_PASSWORD)
    invitee.get_by_label("Password again").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Create account and join").click()
    invitee.wait_for_url(f"{live_server.url}/")
    expect(invitee.get_by_role("heading", name="Overview")).to_be_visible()
    expect(invitee.get_by_text(f"Welcome to {tenant.org.name}.")).to_be_visible()
    assert OrgMembership.objects.get(user__email="nia@example.com").account_role == "ADMIN"

    # The same link again: it says so.
    invitee.context.clear_cookies()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="This invitation was already used")).to_be_visible()

    # A second invitation, revoked after the confirmation; its link is then dead.
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_role("button", name="Send invitation").click()
    wait_htmx_idle(page)
    second = Invitation.objects.get(email="sam@example.com")
    row = page.locator(f"#invitation-{second.id}")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("link", name="Revoke").click()
    expect(row).to_have_count(0)
    second_link = smtp_server.wait_for_mail("sam@example.com").link("/invitations/")
    invitee.goto(second_link)
    expect(invitee.get_by_role("heading", name="This invitation was withdrawn")).to_be_visible()
    invitee.context.close()


def test_forgot_password_follow_the_mailed_link_and_sign_in_with_the_new_one(
    page, live_server, smtp_server, mail_worker
):
    tenant = make_tenant()
    page.goto("/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(tenant.member.email)
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_text("If an account has this email")).to_be_visible()

    link = smtp_server.wait_for_mail(tenant.member.email).link("/password-reset/")
    assert link.startswith(live_server.url)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    page.wait_for_url("**/login/")
    expect(page.get_by_text("Your password was changed. Sign in with it.")).to_be_visible()
    sign_in(page, tenant.member.email, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    page.goto(link)  # used: it says so
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()
