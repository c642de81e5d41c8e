"""Who may call what: every invitation and password endpoint × every kind of principal →
the status.

Columns:
  anon   no credentials                       other  an OWNER of another organization
  owner  org OWNER       admin  org ADMIN      mem    org MEMBER      ann  org ANNOTATOR
  svcA   a service key with the ADMIN role     svcM   a service key with the MEMBER role

404: another organization does not exist for you; 403: your role does not allow it. The
link endpoints need no credentials (the token is the credential); a password is changed
from a browser session only (400 ``session_required`` for any key; sessions in
``test_passwords.py``). Each cell runs in a
savepoint that is rolled back, so every principal meets the same world.
"""

from __future__ import annotations

import pytest

from adminapp.accounts import services
from tests.authz_matrix import (
    account_keys,
    assert_names_every_principal_once,
    assert_row,
    filled,
    status_of,
)
from tests.factories import PASSWORD

API = "/api/v1"
NEW_PASSWORD = "a-long-new-passphrase-42"
PRINCIPALS = ("anon", "other", "owner", "admin", "mem", "ann", "svcA", "svcM")

# fmt: off
MATRIX = [
    # endpoint                                          anon other owner admin mem  ann  svcA svcM
    ("GET    /organizations/{org}/invitations",          401, 404, 200, 200, 403, 403, 200, 403),
    ("POST   /organizations/{org}/invitations",          401, 404, 201, 201, 403, 403, 201, 403),
    ("POST   /organizations/{org}/invitations#owner",    401, 404, 201, 403, 403, 403, 403, 403),
    ("GET    /organizations/{org}/invitations/{inv}",    401, 404, 200, 200, 403, 403, 200, 403),
    ("POST   /organizations/{org}/invitations/{inv}/resend", 401, 404, 200, 200, 403, 403, 200, 403),
    ("POST   /organizations/{org}/invitations/{inv}/revoke", 401, 404, 200, 200, 403, 403, 200, 403),
    ("POST   /invitations/inspect",                       200, 200, 200, 200, 200, 200, 200, 200),
    ("POST   /invitations/accept",                        200, 200, 200, 200, 200, 200, 200, 200),
    ("POST   /me/password",                               401, 400, 400, 400, 400, 400, 400, 400),
    ("POST   /auth/password-reset",                       202, 202, 202, 202, 202, 202, 202, 202),
    ("POST   /auth/password-reset/inspect",               200, 200, 200, 200, 200, 200, 200, 200),
    ("POST   /auth/password-reset/confirm",               204, 204, 204, 204, 204, 204, 204, 204),
]
# fmt: on

BODIES = {
    "POST   /organizations/{org}/invitations": {"email": "fresh@example.com", "role": "MEMBER"},
    "POST   /organizations/{org}/invitations#owner": {"email": "boss@example.com", "role": "OWNER"},
    "POST   /invitations/inspect": {"token": "{token}"},
    "POST   /me/password": {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    "POST   /auth/password-reset": {"email": "{member_email}"},
    "POST   /auth/password-reset/inspect": {"token": "{reset}"},
    "POST   /auth/password-reset/confirm": {"token": "{reset}", "new_password": NEW_PASSWORD},
    "POST   /invitations/accept": {
        "token": "{token}",
        "name": "Fresh Person",
        "password": "a-long-new-passphrase-42",
    },
}


class World:
    def __init__(self, tenant, other_tenant):
        self.tenant = tenant
        self.invitation, self.token = services.invitation_create(
            actor=tenant.principal(),
            org_id=tenant.org.id,
            email="pending@example.com",
            role="MEMBER",
            link_for=lambda token: token,
        )
        self.reset = services.passwords._reset_token(tenant.member)
        self.keys = account_keys(tenant, other_tenant)

    def fill(self, text: str) -> str:
        return text.format(
            org=self.tenant.org.id,
            inv=self.invitation.id,
            token=self.token,
            member_email=self.tenant.member.email,
            reset=self.reset,
        )

    def auth(self, who: str) -> dict[str, str]:
        return {} if who == "anon" else {"HTTP_AUTHORIZATION": f"Bearer {self.keys[who]}"}


@pytest.fixture
def world(tenant, other_tenant) -> World:
    return World(tenant, other_tenant)


def _call(client, world: World, endpoint: str, who: str) -> int:
    method, path = endpoint.split(maxsplit=1)
    kwargs = world.auth(who)
    body = BODIES.get(endpoint)
    if method == "POST":
        kwargs = {
            **kwargs,
            "data": filled(body or {}, world.fill),
            "content_type": "application/json",
        }
    response = getattr(client, method.lower())(API + world.fill(path.split("#")[0]), **kwargs)
    return status_of(response)


def test_the_matrix_names_every_principal_once():
    assert_names_every_principal_once(MATRIX, PRINCIPALS)


@pytest.mark.parametrize("row", MATRIX, ids=[" ".join(row[0].split()) for row in MATRIX])
def test_authorization(client, world, row):
    assert_row(row, PRINCIPALS, lambda endpoint, who: _call(client, world, endpoint, who))
