"""The Security page and two-factor sign-in without JavaScript: the profile's name, setting
up two-factor from the QR code's secret (codes computed with pyotp), recovery codes shown
once, signing in with the second step, signing other sessions out, and an organization's
rule sending a member without two-factor to the Security page."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from adminapp.accounts.models import UserSession
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
SECURITY = reverse("web:security")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def enrol_in_browser(client: Client) -> tuple[pyotp.TOTP, list[str]]:
    started = client.post(reverse("web:two_factor_start"))
    assert started.status_code == 302 and started["Location"] == reverse("web:two_factor_setup")
    page = client.get(reverse("web:two_factor_setup"))
    html = page.content.decode()
    assert "<svg" in html and "no-store" in page["Cache-Control"]
    secret = re.search(r'id="two-factor-secret">([A-Z2-7]+)<', html).group(1)
    totp = pyotp.TOTP(secret)
    wrong = client.post(reverse("web:two_factor_setup"), {"code": "12345"})
    assert wrong.status_code == 422 and "Incorrect code." in wrong.content.decode()
    done = client.post(reverse("web:two_factor_setup"), {"code": totp.now()})
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", done.content.decode())
    assert len(codes) == 10
    return totp, codes


def test_the_profile_name_is_saved_and_the_email_shown(tenant):
    client = signed_in(tenant.member)
    page = client.get(SECURITY).content.decode()
    assert tenant.member.email in page and "Set up two-factor sign-in" in page
    saved = client.post(SECURITY, {"name": "Grace Hopper"}, follow=True)
    assert "Your profile was saved." in saved.content.decode()
    tenant.member.refresh_from_db()
    assert tenant.member.name == "Grace Hopper"
    bad = client.post(SECURITY, {"name": "x\x07y"})
    assert bad.status_code == 422


def test_set_up_two_factor_then_sign_in_with_a_code(tenant):
    totp, codes = enrol_in_browser(signed_in(tenant.member))
    browser = Client()
    first = browser.post(
        reverse("web:login"),
        {"email": tenant.member.email, "password": PASSWORD, "next": SECURITY},
    )
    assert first.status_code == 302 and first["Location"] == reverse("web:login_two_factor")
    assert browser.get(reverse("web:overview")).status_code == 302  # not signed in yet
    wrong = browser.post(reverse("web:login_two_factor"), {"code": "abcde-fghij"})
    assert wrong.status_code == 401 and "That code is not right." in wrong.content.decode()
    code = totp.at(time.time() + totp.interval)  # setting up spent the current one
    done = browser.post(reverse("web:login_two_factor"), {"code": code})
    assert done.status_code == 302 and done["Location"] == SECURITY
    page = browser.get(SECURITY).content.decode()
    assert "Recovery codes left: <strong>10</strong>" in page
    # A recovery code signs in too.
    other = Client()
    other.post(reverse("web:login"), {"email": tenant.member.email, "password": PASSWORD})
    assert other.post(reverse("web:login_two_factor"), {"code": codes[0]}).status_code == 302
    assert other.get(reverse("web:overview")).status_code == 200


def test_the_second_step_without_a_password_first_goes_back_to_sign_in():
    response = Client().get(reverse("web:login_two_factor"))
    assert response.status_code == 302 and response["Location"] == reverse("web:login")


def test_turn_off_with_the_password(tenant):
    client = signed_in(tenant.member)
    enrol_in_browser(client)
    wrong = client.post(reverse("web:two_factor_disable"), {"password": "nope"})
    assert wrong.status_code == 422
    off = client.post(reverse("web:two_factor_disable"), {"password": PASSWORD}, follow=True)
    assert "Two-factor sign-in is off." in off.content.decode()


def test_sign_out_another_session_and_everywhere_else(tenant):
    here, phone, tablet = Client(), Client(), Client()
    for client in (here, phone, tablet):
        client.post(reverse("web:login"), {"email": tenant.member.email, "password": PASSWORD})
    page = here.get(SECURITY).content.decode()
    assert page.count("This session") == 1 and "Sign out everywhere else" in page
    phone_row = UserSession.objects.filter(user=tenant.member).order_by("created_at")[1]
    ended = here.post(reverse("web:session_end", args=[phone_row.id]), follow=True)
    assert "That session is signed out." in ended.content.decode()
    assert phone.get(reverse("web:overview")).status_code == 302
    rest = here.post(reverse("web:sessions_end_others"), follow=True)
    assert "Signed out everywhere else (1 session)." in rest.content.decode()
    assert tablet.get(reverse("web:overview")).status_code == 302
    assert here.get(reverse("web:overview")).status_code == 200


def test_an_organization_that_requires_it_sends_members_to_set_it_up(tenant):
    owner = signed_in(tenant.owner)
    org_page = owner.get(reverse("web:organization")).content.decode()
    assert "Require two-factor sign-in</button>" in org_page
    refused = owner.post(reverse("web:organization_two_factor"), {"required": "1"}, follow=True)
    assert "Turn on two-factor sign-in for yourself first" in refused.content.decode()
    enrol_in_browser(owner)
    on = owner.post(reverse("web:organization_two_factor"), {"required": "1"}, follow=True)
    assert "Members must now use two-factor sign-in." in on.content.decode()
    member_view = signed_in(tenant.member).get(reverse("web:organization")).content.decode()
    assert "Only the organization's owners can change this." not in member_view  # stopped

    member = Client()
    signed = member.post(reverse("web:login"), {"email": tenant.member.email, "password": PASSWORD})
    assert signed["Location"] == reverse("web:overview")
    sent = member.get(reverse("web:overview"))
    assert sent.status_code == 302 and sent["Location"] == SECURITY
    page = member.get(SECURITY).content.decode()
    assert f"{tenant.org.name} requires two-factor sign-in" in page
    enrol_in_browser(member)
    assert member.get(reverse("web:overview")).status_code == 200
