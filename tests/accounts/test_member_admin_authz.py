"""Who may call what: every endpoint of members' administration, the organization's rename
and the instance-admin area × every kind of principal → the status.

Columns:
  anon   no credentials                       other  an OWNER of another organization
  owner  org OWNER       admin  org ADMIN      mem    org MEMBER      ann  org ANNOTATOR
  svcA   a service key with the ADMIN role     svcM   a service key with the MEMBER role
  root   an instance admin (the OWNER of an organization of their own)

404: another organization (and its members) does not exist for you; 403: your role does not
allow it. The instance area is for instance admins alone: 403 for everyone else, whatever
their role. Each cell runs in a savepoint that is rolled back, so every principal meets the
same world.
"""

from __future__ import annotations

import pytest

from tests.authz_matrix import (
    account_keys,
    assert_names_every_principal_once,
    assert_row,
    filled,
    status_of,
)
from tests.factories import make_key, make_org, make_user

API = "/api/v1"
PRINCIPALS = ("anon", "other", "owner", "admin", "mem", "ann", "svcA", "svcM", "root")

# fmt: off
MATRIX = [
    # endpoint                                             anon other owner admin mem  ann  svcA svcM root
    ("GET    /organizations/{org}/members?sort=name",         401, 404, 200, 200, 200, 403, 200, 200, 404),
    ("PATCH  /organizations/{org}",                           401, 404, 200, 403, 403, 403, 403, 403, 404),
    ("POST   /organizations/{org}/transfer-ownership",        401, 404, 200, 403, 403, 403, 403, 403, 404),
    ("POST   /organizations/{org}/members/{ann}/deactivate",  401, 404, 200, 200, 403, 403, 200, 403, 404),
    ("POST   /organizations/{org}/members/{ann}/reactivate",  401, 404, 200, 200, 403, 403, 200, 403, 404),
    ("GET    /spaces/memberships/{mem}",                      401, 404, 200, 200, 200, 403, 200, 403, 404),
    ("GET    /api-keys?user_id={mem}",                        401, 200, 200, 200, 200, 200, 200, 200, 200),
    ("GET    /instance/organizations",                        401, 403, 403, 403, 403, 403, 403, 403, 200),
    ("POST   /instance/organizations",                        401, 403, 403, 403, 403, 403, 403, 403, 201),
    ("GET    /instance/users",                                401, 403, 403, 403, 403, 403, 403, 403, 200),
    ("GET    /instance/users/{mem}",                          401, 403, 403, 403, 403, 403, 403, 403, 200),
    ("POST   /instance/users/{ann}/deactivate",               401, 403, 403, 403, 403, 403, 403, 403, 200),
    ("POST   /instance/users/{ann}/reactivate",               401, 403, 403, 403, 403, 403, 403, 403, 200),
]
# fmt: on

BODIES = {
    "PATCH  /organizations/{org}": {"name": "Renamed Org"},
    "POST   /organizations/{org}/transfer-ownership": {"user_id": "{mem}"},
    "POST   /instance/organizations": {"name": "Brand New", "owner_email": "new@example.com"},
}


class World:
    def __init__(self, tenant, other_tenant):
        self.tenant = tenant
        root = make_user(superuser=True)
        self.keys = account_keys(tenant, other_tenant)
        self.keys["root"] = make_key(root, make_org(owner=root))

    def fill(self, text: str) -> str:
        return text.format(
            org=self.tenant.org.id, mem=self.tenant.member.id, ann=self.tenant.annotator.id
        )

    def auth(self, who: str) -> dict[str, str]:
        return {} if who == "anon" else {"HTTP_AUTHORIZATION": f"Bearer {self.keys[who]}"}


@pytest.fixture
def world(tenant, other_tenant) -> World:
    return World(tenant, other_tenant)


def _call(client, world: World, endpoint: str, who: str) -> int:
    method, path = endpoint.split(maxsplit=1)
    kwargs = world.auth(who)
    if method in ("POST", "PATCH"):
        body = filled(BODIES.get(endpoint) or {}, world.fill)
        kwargs = {**kwargs, "data": body, "content_type": "application/json"}
    response = getattr(client, method.lower())(API + world.fill(path), **kwargs)
    return status_of(response)


def test_the_matrix_names_every_principal_once():
    assert_names_every_principal_once(MATRIX, PRINCIPALS)


@pytest.mark.parametrize("row", MATRIX, ids=[" ".join(row[0].split()) for row in MATRIX])
def test_authorization(client, world, row):
    assert_row(row, PRINCIPALS, lambda endpoint, who: _call(client, world, endpoint, who))
