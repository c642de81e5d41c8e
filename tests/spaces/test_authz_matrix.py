"""Who may call what: every spaces / membership / role / token endpoint × every kind of
principal → the HTTP status they get. The table is the specification; read it row by row.

Columns (see ``tests/spaces/conftest.py::build_world``):
  anon   no credentials                     other  an ADMIN of another organization
  owner  org OWNER                          admin  org ADMIN
  spAdm  space ADMIN (org MEMBER)           mem    space MEMBER
  ro     space READ_ONLY                    ann    ANNOTATOR (account and space role)
  c+     custom role with every permission  c-     custom role with no permission
  tok    a space token of the space (MEMBER role)
  exp    an expired space token of the space

Reading the codes: 404 means "does not exist for you" (another org's space, a space you are
not a member of, anything outside a space token's space); 403 means "you can see it, but your
role does not allow this".

Each cell runs in a savepoint that is rolled back, so every principal meets the same world.
"""

from __future__ import annotations

import pytest

from tests.authz_matrix import (
    assert_names_every_principal_once,
    assert_row,
    filled,
    status_of,
)
from tests.spaces.factories import API, World

PRINCIPALS = (
    "anonymous",
    "other_org_admin",
    "org_owner",
    "org_admin",
    "space_admin",
    "member",
    "read_only",
    "annotator",
    "custom_with",
    "custom_without",
    "space_token",
    "expired_token",
)

# fmt: off
MATRIX = [
    # endpoint                                        anon other owner admin spAdm mem  ro   ann  c+   c-   tok  exp
    ("GET    /spaces",                                 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("GET    /spaces/all",                             401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("POST   /spaces",                                 401, 201, 201, 201, 403, 403, 403, 403, 403, 403, 404, 401),
    ("GET    /spaces/{space}",                         401, 404, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("GET    /spaces/{space_name}",                    401, 404, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("PATCH  /spaces/{space}",                         401, 404, 200, 200, 200, 403, 403, 403, 200, 403, 403, 401),
    ("DELETE /spaces/{space}",                         401, 404, 202, 202, 202, 403, 403, 403, 202, 403, 403, 401),
    ("GET    /spaces/{hidden}",                        401, 404, 200, 200, 404, 404, 404, 404, 404, 404, 404, 401),
    ("PATCH  /spaces/{hidden}",                        401, 404, 200, 200, 404, 404, 404, 404, 404, 404, 404, 401),
    ("GET    /spaces/{space}/members",                 401, 404, 200, 200, 200, 200, 200, 403, 200, 403, 403, 401),
    ("POST   /spaces/{space}/members",                 401, 404, 201, 201, 201, 403, 403, 403, 201, 403, 403, 401),
    ("DELETE /spaces/{space}/members/{bystander}",     401, 404, 204, 204, 204, 403, 403, 403, 204, 403, 403, 401),
    ("GET    /spaces/{space}/tokens",                  401, 404, 200, 200, 200, 403, 403, 403, 200, 403, 403, 401),
    ("POST   /spaces/{space}/tokens",                  401, 404, 201, 201, 201, 403, 403, 403, 201, 403, 403, 401),
    ("POST   /spaces/{space}/tokens/{token}/deactivate", 401, 404, 200, 200, 200, 403, 403, 403, 200, 403, 403, 401),
    ("DELETE /spaces/{space}/tokens/{token}",          401, 404, 204, 204, 204, 403, 403, 403, 204, 403, 403, 401),
    ("DELETE /spaces/{space}/tokens?permanent=false",  401, 404, 200, 200, 200, 403, 403, 403, 200, 403, 403, 401),
    ("GET    /roles",                                  401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("GET    /roles/permissions",                      401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("GET    /roles/{role}",                           401, 404, 200, 200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("POST   /roles",                                  401, 201, 201, 201, 403, 403, 403, 403, 403, 403, 404, 401),
    ("PATCH  /roles/{role}",                           401, 404, 200, 200, 403, 403, 403, 403, 403, 403, 404, 401),
    ("DELETE /roles/{role}",                           401, 404, 204, 204, 403, 403, 403, 403, 403, 403, 404, 401),
]
# fmt: on

BODIES = {
    "POST   /spaces": {"name": "Brand new"},
    "PATCH  /spaces/{space}": {"description": "Changed"},
    "PATCH  /spaces/{hidden}": {"description": "Changed"},
    "POST   /spaces/{space}/members": {
        "user_id": "{outsider}",
        "role": {"type": "PREDEFINED", "name": "READ_ONLY"},
    },
    "POST   /spaces/{space}/tokens": {"label": "ci"},
    "POST   /roles": {"name": "Auditor", "permissions": ["member.read"]},
    "PATCH  /roles/{role}": {"description": "Changed"},
}


def _fill(text: str, world: World) -> str:
    return text.format(
        space=world.space.id,
        space_name="Research",
        hidden=world.hidden.id,
        bystander=world.bystander.id,
        outsider=world.outsider.id,
        token=world.target_token.id,
        role=world.spare_role.id,
    )


def _call(client, world: World, endpoint: str, who: str) -> int:
    method, path = endpoint.split(maxsplit=1)
    body = BODIES.get(endpoint)
    kwargs = world.auth(who)
    if body is not None:
        body = filled(body, lambda text: _fill(text, world))
        kwargs = {**kwargs, "data": body, "content_type": "application/json"}
    response = getattr(client, method.lower())(API + _fill(path, world), **kwargs)
    return status_of(response)


def test_the_matrix_names_every_principal_once():
    assert_names_every_principal_once(MATRIX, PRINCIPALS)


@pytest.mark.parametrize("row", MATRIX, ids=[" ".join(row[0].split()) for row in MATRIX])
def test_authorization(client, world, row):
    assert_row(row, PRINCIPALS, lambda endpoint, who: _call(client, world, endpoint, who))
