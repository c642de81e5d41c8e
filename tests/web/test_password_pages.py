"""The password pages without JavaScript: change yours from the account menu; ask for a
reset link (the page answers the same for any email), receive it by mail from a real worker
through a real SMTP server, follow it, choose a new password and sign in with it; a used
link then says so."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from adminapp.accounts.models import User
from tests import smtp
from tests.factories import PASSWORD

NEW_PASSWORD = "a-long-new-passphrase-42"
smtp_server, mail_worker = smtp.smtp_server, smtp.mail_worker  # the fixtures, used here


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_change_your_password_from_the_account_menu(tenant):
    client = signed_in(tenant.member)
    overview = client.get(reverse("web:overview")).content.decode()
    assert reverse("web:password_change") in overview
    differ = client.post(
        reverse("web:password_change"),
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password2": "other"},
    )
    assert differ.status_code == 422 and "The two passwords differ." in differ.content.decode()
    wrong = client.post(
        reverse("web:password_change"),
        {"current_password": "wrong", "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 422 and "Incorrect password." in wrong.content.decode()
    done = client.post(
        reverse("web:password_change"),
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert done.status_code == 302
    page = client.get(done.url).content.decode()  # still signed in
    assert "Your password was changed." in page
    assert User.objects.get(id=tenant.member.id).check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_the_reset_page_answers_the_same_for_any_email(tenant):
    known = Client().post(reverse("web:password_reset"), {"email": tenant.member.email})
    unknown = Client().post(reverse("web:password_reset"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert "If an account has this email" in known.content.decode()
    assert _without_tokens(known) == _without_tokens(unknown)


def _without_tokens(response) -> str:
    """The page with its per-request values (CSRF token, CSP nonce) blanked."""
    return re.sub(r"[A-Za-z0-9+/=_-]{20,}", "…", response.content.decode())


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_follow_the_mailed_reset_link_choose_a_password_and_sign_in(
    tenant, smtp_server, mail_worker
):
    client = Client()
    assert reverse("web:password_reset") in client.get(reverse("web:login")).content.decode()
    client.post(reverse("web:password_reset"), {"email": tenant.admin.email})
    mail = smtp_server.wait_for_mail(tenant.admin.email)
    assert "Reset your adminapp password" in mail.message["Subject"]
    path = mail.link("/password-reset/").removeprefix("http://testserver")

    page = client.get(path)
    assert page.status_code == 200 and tenant.admin.email in page.content.decode()
    done = client.post(path, {"new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url == reverse("web:login")
    signed = client.post(
        reverse("web:login"), {"email": tenant.admin.email, "password": NEW_PASSWORD}
    )
    assert signed.status_code == 302 and signed.url == reverse("web:overview")

    used = Client().get(path)
    assert used.status_code == 404
    assert "This link is not valid" in used.content.decode()
    assert "Nothing was changed." in used.content.decode()
