"""Who may run a plugin's macro: every kind of principal → the status they get, read like
``tests/spaces/test_authz_matrix.py`` (same principals, same world).

Installed plugins are the instance's; a macro runs in the caller's organization, so the org
OWNERs and ADMINs of any organization start it (202, ``plugin.macro.run``) — another org's
admin included, in their own org — and everyone else with an account is refused (403);
space tokens reach nothing outside their space (404); no or dead credentials are a 401.
A macro or plugin that does not exist is a 404 for those who may run macros.
"""

from __future__ import annotations

import pytest

from tests.authz_matrix import assert_names_every_principal_once, assert_row, status_of
from tests.plugins.runtime.helpers import install, macro_plugin
from tests.spaces.factories import API, World, build_world
from tests.spaces.test_authz_matrix import PRINCIPALS

# fmt: off
MATRIX = [
    # endpoint                                  anon other owner admin spAdm mem  ro   ann  c+   c-   tok  exp
    ("POST /plugins/tools/macros/m/run",         401, 202, 202, 202, 403, 403, 403, 403, 403, 403, 404, 401),
    ("POST /plugins/tools/macros/none/run",      401, 404, 404, 404, 403, 403, 403, 403, 403, 403, 404, 401),
    ("POST /plugins/absent/macros/m/run",        401, 404, 404, 404, 403, 403, 403, 403, 403, 403, 404, 401),
]
# fmt: on


@pytest.fixture
def plugin_world(db, tmp_path) -> World:
    world = build_world()
    install(tmp_path, macro_plugin(tmp_path / "tools", "def run(ctx):\n    return {}\n"))
    return world


def _call(client, world: World, endpoint: str, who: str) -> int:
    method, path = endpoint.split(maxsplit=1)
    response = getattr(client, method.lower())(
        API + path, {"params": {}}, content_type="application/json", **world.auth(who)
    )
    return status_of(response)


def test_the_matrix_names_every_principal_once():
    assert_names_every_principal_once(MATRIX, PRINCIPALS)


@pytest.mark.parametrize("row", MATRIX, ids=[" ".join(row[0].split()) for row in MATRIX])
def test_authorization(client, plugin_world, row):
    assert_row(row, PRINCIPALS, lambda endpoint, who: _call(client, plugin_world, endpoint, who))
