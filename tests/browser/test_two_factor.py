"""Two-factor sign-in in Chromium: a member opens Profile & security from the account menu,
sets up two-factor by typing the page's secret into an authenticator (pyotp here), keeps the
recovery codes, signs out, and signs in again with the password and then a code. axe checks
the setup, recovery-code and second-step pages in the light and the dark scheme."""

from __future__ import annotations

import time

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from adminapp.accounts.models import RecoveryCode
from tests.browser.helpers import sign_in
from tests.factories import PASSWORD, make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _blocking_violations(page) -> list[str]:
    found = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        # The colours' transitions (0.12 s on buttons) end before axe reads them.
        page.wait_for_function(
            "() => document.getAnimations().every(a => a.playState !== 'running')"
        )
        found += [
            f"{scheme} {page.url} {v['id']} ({v['impact']}): {v['help']} "
            + "; ".join(
                " ".join(n["target"]) + " " + n.get("failureSummary", "")[:200]
                for n in v["nodes"][:3]
            )
            for v in Axe().run(page).response["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
    page.emulate_media(color_scheme="light")
    return found


def test_set_up_two_factor_sign_out_and_sign_in_with_a_code(page, live_server):
    tenant = make_tenant()
    sign_in(page, tenant.member.email, PASSWORD)
    page.get_by_label("Account menu").click()
    page.get_by_role("link", name="Profile & security").click()
    expect(page.get_by_role("heading", name="Profile & security")).to_be_visible()

    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    violations = _blocking_violations(page)
    secret = page.locator("#two-factor-secret").inner_text()
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from the app").fill("000000" if totp.now() != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and RecoveryCode.objects.filter(user=tenant.member).count() == 10
    violations += _blocking_violations(page)
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_text("Recovery codes left: 10")).to_be_visible()

    page.get_by_label("Account menu").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")

    page.get_by_label("Email").fill(tenant.member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/login/two-factor/")
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    violations += _blocking_violations(page)
    page.get_by_label("Code", exact=True).fill(totp.at(time.time() + totp.interval))
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    assert not violations, "\n".join(violations)
