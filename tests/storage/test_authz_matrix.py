"""Who may call what in storage: every endpoint × every kind of principal → the status they
get, read like ``tests/spaces/test_authz_matrix.py`` (same principals, same world, plus the
bucket configs and repos of ``storage_world``).

Storage is the organization's: org OWNERs and ADMINs manage it (``storage.manage``), every
MEMBER reads it whatever their space roles (``storage.read``), ANNOTATOR accounts do not
(403), a space token reaches nothing outside its space (404). Another organization's admin
finds none of these configs or repos (404), lists their own (empty) ones, and has no default
config to create a repo in (409 ``no_default_bucket_config``). The configs are gs:// and
az://, so browsing, exports and imports answer 409 ``store_not_supported`` once every
permission is granted, without a network call: an export also needs ``storage.manage``, an
import ``dataset.write`` in the dataset's space.
"""

from __future__ import annotations

import pytest

from tests.authz_matrix import assert_names_every_principal_once, assert_row, filled, status_of
from tests.spaces.factories import API, World
from tests.spaces.test_authz_matrix import PRINCIPALS

B = "/storage/bucket-configs"
R = "/storage/repos"
SURE = "imsure=true&imreallysure=true"

# fmt: off
MATRIX = [
    # endpoint                                         anon other owner admin spAdm mem  ro   ann  c+   c-   tok  exp
    (f"GET    {B}",                                     401, 200, 200, 200, 200, 200, 200, 403, 200, 200, 404, 401),
    (f"POST   {B}",                                     401, 201, 201, 201, 403, 403, 403, 403, 403, 403, 404, 401),
    (f"GET    {B}/primary",                             401, 404, 200, 200, 200, 200, 200, 403, 200, 200, 404, 401),
    (f"PATCH  {B}/primary",                             401, 404, 200, 200, 403, 403, 403, 403, 403, 403, 404, 401),
    (f"DELETE {B}/spare?{SURE}",                        401, 404, 204, 204, 403, 403, 403, 403, 403, 403, 404, 401),
    (f"POST   {B}/spare/default",                       401, 404, 200, 200, 403, 403, 403, 403, 403, 403, 404, 401),
    (f"POST   {B}/primary/check",                       401, 404, 202, 202, 403, 403, 403, 403, 403, 403, 404, 401),
    (f"GET    {B}/primary/repos",                       401, 404, 200, 200, 200, 200, 200, 403, 200, 200, 404, 401),
    (f"GET    {R}",                                     401, 200, 200, 200, 200, 200, 200, 403, 200, 200, 404, 401),
    (f"POST   {R}",                                     401, 409, 201, 201, 403, 403, 403, 403, 403, 403, 404, 401),
    (f"POST   {R}/get-or-create",                       401, 409, 200, 200, 403, 403, 403, 403, 403, 403, 404, 401),
    (f"GET    {R}/climate",                             401, 404, 200, 200, 200, 200, 200, 403, 200, 200, 404, 401),
    (f"DELETE {R}/climate?{SURE}",                      401, 404, 204, 204, 403, 403, 403, 403, 403, 403, 404, 401),
    (f"POST   {R}/old/restore",                         401, 404, 200, 200, 403, 403, 403, 403, 403, 403, 404, 401),
    (f"GET    {R}/climate/objects",                     401, 404, 409, 409, 409, 409, 409, 403, 409, 409, 404, 401),
    (f"POST   {R}/climate/exports",                     401, 404, 409, 409, 403, 403, 403, 403, 403, 403, 404, 401),
    (f"POST   {R}/climate/imports",                     401, 404, 409, 409, 409, 409, 403, 403, 409, 403, 404, 401),
]
# fmt: on

BODIES = {
    f"POST   {B}": {"nickname": "brand-new", "uri": "gs://brand-new"},
    f"PATCH  {B}/primary": {"nickname": "renamed"},
    f"POST   {R}": {"name": "brand-new"},
    f"POST   {R}/get-or-create": {"name": "climate"},
    f"POST   {R}/climate/exports": {"dataset_id": "{dataset}"},
    f"POST   {R}/climate/imports": {"dataset_id": "{dataset}"},
}


def _call(client, world: World, endpoint: str, who: str) -> int:
    method, path = endpoint.split(maxsplit=1)
    kwargs = world.auth(who)
    if endpoint in BODIES:
        body = filled(BODIES[endpoint], lambda text: text.format(dataset=world.dataset.id))
        kwargs = {**kwargs, "data": body, "content_type": "application/json"}
    return status_of(getattr(client, method.lower())(API + path, **kwargs))


def test_the_matrix_names_every_principal_once():
    assert_names_every_principal_once(MATRIX, PRINCIPALS)


@pytest.mark.parametrize("row", MATRIX, ids=[" ".join(row[0].split()) for row in MATRIX])
def test_authorization(client, storage_world, row):
    assert_row(row, PRINCIPALS, lambda endpoint, who: _call(client, storage_world, endpoint, who))
