"""Who may call what: every two-factor, session, profile and two-factor-policy endpoint ×
every kind of principal → the status.

Columns:
  anon   no credentials                       other  an OWNER of another organization
  owner  org OWNER       admin  org ADMIN      mem    org MEMBER      ann  org ANNOTATOR
  svcA   a service key with the ADMIN role     svcM   a service key with the MEMBER role

Two-factor and sessions belong to a browser session: any key gets 400 ``session_required``
(sessions in ``test_two_factor.py`` / ``test_sessions.py``). The profile is a person's: a
service key gets 400 ``user_required``. Only an owner sets the organization's rule (the
owner here uses two-factor, which turning it on needs); another organization is a 404.
Sign-in's second step needs no credentials (the challenge is). Each cell runs in a savepoint
that is rolled back, so every principal meets the same world.
"""

from __future__ import annotations

import time

import pyotp
import pytest

from adminapp.accounts.services import mfa
from tests.authz_matrix import (
    account_keys,
    assert_names_every_principal_once,
    assert_row,
    filled,
    status_of,
)

API = "/api/v1"
PRINCIPALS = ("anon", "other", "owner", "admin", "mem", "ann", "svcA", "svcM")

# fmt: off
MATRIX = [
    # endpoint                                          anon other owner admin mem  ann  svcA svcM
    ("POST   /auth/login/two-factor",                     200, 200, 200, 200, 200, 200, 200, 200),
    ("GET    /me/two-factor",                             401, 400, 400, 400, 400, 400, 400, 400),
    ("POST   /me/two-factor/setup",                       401, 400, 400, 400, 400, 400, 400, 400),
    ("GET    /me/two-factor/setup",                       401, 400, 400, 400, 400, 400, 400, 400),
    ("POST   /me/two-factor/confirm",                     401, 400, 400, 400, 400, 400, 400, 400),
    ("POST   /me/two-factor/disable",                     401, 400, 400, 400, 400, 400, 400, 400),
    ("POST   /me/two-factor/recovery-codes",              401, 400, 400, 400, 400, 400, 400, 400),
    ("GET    /me/sessions",                               401, 400, 400, 400, 400, 400, 400, 400),
    ("POST   /me/sessions/end-others",                    401, 400, 400, 400, 400, 400, 400, 400),
    ("DELETE /me/sessions/{session}",                     401, 400, 400, 400, 400, 400, 400, 400),
    ("PATCH  /me/profile",                                401, 200, 200, 200, 200, 200, 400, 400),
    ("PUT    /organizations/{org}/two-factor-policy",     401, 404, 200, 403, 403, 403, 403, 403),
]
# fmt: on

BODIES = {
    "POST   /auth/login/two-factor": {"challenge": "{challenge}", "code": "{code}"},
    "POST   /me/two-factor/confirm": {"code": "123456"},
    "POST   /me/two-factor/disable": {"password": "x"},
    "POST   /me/two-factor/recovery-codes": {"code": "123456"},
    "PATCH  /me/profile": {"name": "Renamed"},
    "PUT    /organizations/{org}/two-factor-policy": {"required": True},
}


class World:
    def __init__(self, tenant, other_tenant):
        self.tenant = tenant
        owner = tenant.principal()
        setup = mfa.enrolment_start(actor=owner)
        self.totp = pyotp.TOTP(setup["secret"])
        mfa.enrolment_confirm(actor=owner, code=self.totp.now())
        self.challenge = mfa.challenge_issue(tenant.owner)
        self.keys = account_keys(tenant, other_tenant)

    def fill(self, text: str) -> str:
        return text.format(
            org=self.tenant.org.id,
            session="ses_missing",
            challenge=self.challenge,
            # The next step's code: each cell's use is rolled back with its savepoint.
            code=self.totp.at(time.time() + self.totp.interval),
        )

    def auth(self, who: str) -> dict[str, str]:
        return {} if who == "anon" else {"HTTP_AUTHORIZATION": f"Bearer {self.keys[who]}"}


@pytest.fixture
def world(tenant, other_tenant, settings) -> World:
    settings.RATE_LIMIT_TWO_FACTOR = "100/60"  # one code per principal, eight principals
    return World(tenant, other_tenant)


def _call(client, world: World, endpoint: str, who: str) -> int:
    method, path = endpoint.split(maxsplit=1)
    kwargs = world.auth(who)
    if method in ("POST", "PUT", "PATCH"):
        kwargs = {
            **kwargs,
            "data": filled(BODIES.get(endpoint) or {}, world.fill),
            "content_type": "application/json",
        }
    response = getattr(client, method.lower())(API + world.fill(path), **kwargs)
    return status_of(response)


def test_the_matrix_names_every_principal_once():
    assert_names_every_principal_once(MATRIX, PRINCIPALS)


@pytest.mark.parametrize("row", MATRIX, ids=[" ".join(row[0].split()) for row in MATRIX])
def test_authorization(client, world, row):
    assert_row(row, PRINCIPALS, lambda endpoint, who: _call(client, world, endpoint, who))
