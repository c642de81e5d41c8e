"""Who may call what in plugins: every endpoint × every kind of principal of the spaces'
world, plus ``inst``, an instance admin (a superuser who is an org MEMBER).

Plugins are the instance's, not an organization's: only instance admins (``plugin.manage``)
see and manage them; every other principal with an organization gets 403, a space token 404
(nothing outside its space exists for it). ``GET /plugins/components`` is the exception:
every organization member lists the enabled components (the import choices and macros).
Installs, updates and deletes answer 202 with their job (not run here).
"""

from __future__ import annotations

import pytest

from tests.authz_matrix import assert_names_every_principal_once, assert_row, status_of
from tests.plugins.factories import instance_admin, make_store, plugin_files, stored_version, zip_of
from tests.spaces.factories import API, World, build_world
from tests.spaces.test_authz_matrix import PRINCIPALS as SPACE_PRINCIPALS

PRINCIPALS = (*SPACE_PRINCIPALS, "inst")
P = "/plugins"

# fmt: off
MATRIX = [
    # endpoint                              anon other owner admin spAdm mem  ro   ann  c+   c-   tok  exp  inst
    (f"GET    {P}",                          401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 200),
    (f"GET    {P}/components",               401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 404, 401, 200),
    (f"GET    {P}/components?type=macro",    401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 404, 401, 200),
    (f"GET    {P}/store",                    401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 200),
    (f"POST   {P}/install/store",            401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 202),
    (f"POST   {P}/install/archive",          401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 202),
    (f"POST   {P}/install/git",              401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 202),
    (f"GET    {P}/demo",                     401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 200),
    (f"GET    {P}/nothing-here",             401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 404),
    (f"GET    {P}/demo/download",            401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 200),
    (f"GET    {P}/demo/usages",              401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 200),
    (f"POST   {P}/demo/enable",              401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 200),
    (f"POST   {P}/demo/disable",             401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 200),
    (f"POST   {P}/demo/update",              401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 202),
    (f"POST   {P}/demo/update/archive",      401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 202),
    (f"DELETE {P}/demo",                     401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 202),
    (f"DELETE {P}/demo?force=true",          401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 401, 202),
]
# fmt: on

BODIES = {
    f"POST   {P}/install/store": {"plugin_id": "other"},
    f"POST   {P}/install/git": {"url": "file:///srv/plugins/demo.git"},
    f"POST   {P}/demo/update": {},
}
UPLOADS = {
    f"POST   {P}/install/archive": ("new", "1.0.0"),
    f"POST   {P}/demo/update/archive": ("demo", "3.0.0"),
}


@pytest.fixture
def plugins_world(db, tmp_path, settings) -> World:
    """The spaces' world; ``demo`` 1.0.0 installed from a store that has 2.0.0 and ``other``."""
    world = build_world()
    _, auth = instance_admin(world.tenant)
    world.secrets["inst"] = auth["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    settings.PLUGINS_STORE_URL = str(make_store(tmp_path, ("demo", "2.0.0"), ("other", "1.0.0")))
    settings.PLUGINS_ALLOW_FILE_GIT = True
    stored_version(tmp_path, "demo", "1.0.0", source={"kind": "store", "store": "x"})
    world.zips = {
        endpoint: zip_of(tmp_path / f"{pid}-{version}.zip", plugin_files(pid, version))
        for endpoint, (pid, version) in UPLOADS.items()
    }
    return world


def _call(client, world: World, endpoint: str, who: str) -> int:
    method, path = endpoint.split(maxsplit=1)
    kwargs = world.auth(who)
    if endpoint in BODIES:
        kwargs = {**kwargs, "data": BODIES[endpoint], "content_type": "application/json"}
    if endpoint in UPLOADS:
        with open(world.zips[endpoint], "rb") as fh:
            return status_of(client.post(API + path, {"file": fh}, **kwargs))
    return status_of(getattr(client, method.lower())(API + path, **kwargs))


def test_the_matrix_names_every_principal_once():
    assert_names_every_principal_once(MATRIX, PRINCIPALS)


@pytest.mark.parametrize("row", MATRIX, ids=[" ".join(row[0].split()) for row in MATRIX])
def test_authorization(client, plugins_world, row):
    assert_row(row, PRINCIPALS, lambda endpoint, who: _call(client, plugins_world, endpoint, who))
