"""Who may call what in the catalog: every dataset / data-row endpoint × every kind of
principal → the HTTP status they get, read like ``tests/spaces/test_authz_matrix.py`` (same
principals, same world, plus a dataset with rows in the space and one in the hidden space).

``dataset.read`` is granted by every predefined space role (READ_ONLY and ANNOTATOR read),
``dataset.write`` by ADMIN and MEMBER (and a MEMBER space token); the custom role with no
permission sees the space but none of its datasets (403). Outside a caller's spaces, and in
another organization, a dataset or a row does not exist (404); a row read by global key is
404 whenever it cannot be read. Deleting many rows is a job for anyone who may write data
somewhere (another organization's admin included): its items then say DATA_ROW_NOT_FOUND for
ids that are not theirs (``tests/catalog/test_bulk_delete.py``).
"""

from __future__ import annotations

import pytest

from tests.authz_matrix import (
    assert_names_every_principal_once,
    assert_row,
    filled,
    status_of,
)
from tests.catalog.factories import CatalogWorld
from tests.spaces.factories import API
from tests.spaces.test_authz_matrix import PRINCIPALS

# fmt: off
MATRIX = [
    # endpoint                                        anon other owner admin spAdm mem  ro   ann  c+   c-   tok  exp
    ("GET    /datasets?space={space}",                 401, 404, 200, 200, 200, 200, 200, 200, 200, 403, 200, 401),
    ("GET    /datasets?space=Research",                401, 404, 200, 200, 200, 200, 200, 200, 200, 403, 200, 401),
    ("POST   /datasets",                               401, 404, 201, 201, 201, 201, 403, 403, 201, 403, 201, 401),
    ("GET    /datasets/{dataset}",                     401, 404, 200, 200, 200, 200, 200, 200, 200, 403, 200, 401),
    ("PATCH  /datasets/{dataset}",                     401, 404, 200, 200, 200, 200, 403, 403, 200, 403, 200, 401),
    ("DELETE /datasets/{dataset}",                     401, 404, 202, 202, 202, 202, 403, 403, 202, 403, 202, 401),
    ("GET    /datasets/{dataset}/data-rows",           401, 404, 200, 200, 200, 200, 200, 200, 200, 403, 200, 401),
    ("POST   /datasets/{dataset}/data-rows",           401, 404, 200, 200, 200, 200, 403, 403, 200, 403, 200, 401),
    ("GET    /datasets/{hidden_dataset}",              401, 404, 200, 200, 404, 404, 404, 404, 404, 404, 404, 401),
    ("PATCH  /datasets/{hidden_dataset}",              401, 404, 200, 200, 404, 404, 404, 404, 404, 404, 404, 401),
    ("POST   /datasets/{hidden_dataset}/data-rows",    401, 404, 200, 200, 404, 404, 404, 404, 404, 404, 404, 401),
    ("GET    /data-rows/by-global-key?global_key=robot-1", 401, 404, 200, 200, 200, 200, 200, 200, 200, 404, 200, 401),
    ("GET    /data-rows/by-global-key?global_key=Hidden-1", 401, 404, 200, 200, 404, 404, 404, 404, 404, 404, 404, 401),
    ("GET    /data-rows/{row}",                        401, 404, 200, 200, 200, 200, 200, 200, 200, 403, 200, 401),
    ("PATCH  /data-rows/{row}",                        401, 404, 200, 200, 200, 200, 403, 403, 200, 403, 200, 401),
    ("DELETE /data-rows/{row}",                        401, 404, 204, 204, 204, 204, 403, 403, 204, 403, 204, 401),
    ("POST   /data-rows/delete",                       401, 202, 202, 202, 202, 202, 403, 403, 202, 403, 202, 401),
]
# fmt: on

BODIES = {
    "POST   /datasets": {"space": "{space}", "name": "Brand new"},
    "PATCH  /datasets/{dataset}": {"description": "Changed"},
    "PATCH  /datasets/{hidden_dataset}": {"description": "Changed"},
    "POST   /datasets/{dataset}/data-rows": {"rows": [{"row_data": "https://example.com/a"}]},
    "POST   /datasets/{hidden_dataset}/data-rows": {"rows": [{"row_data": "https://e.com/b"}]},
    "PATCH  /data-rows/{row}": {"external_id": "changed"},
    "POST   /data-rows/delete": {"data_row_ids": ["{row}"]},
}


def _fill(text: str, cw: CatalogWorld) -> str:
    return text.format(
        space=cw.world.space.id,
        dataset=cw.dataset.id,
        hidden_dataset=cw.hidden_dataset.id,
        row=cw.row.id,
    )


def _call(client, cw: CatalogWorld, endpoint: str, who: str) -> int:
    method, path = endpoint.split(maxsplit=1)
    body = BODIES.get(endpoint)
    kwargs = cw.world.auth(who)
    if body is not None:
        body = filled(body, lambda text: _fill(text, cw))
        kwargs = {**kwargs, "data": body, "content_type": "application/json"}
    response = getattr(client, method.lower())(API + _fill(path, cw), **kwargs)
    return status_of(response)


def test_the_matrix_names_every_principal_once():
    assert_names_every_principal_once(MATRIX, PRINCIPALS)


@pytest.mark.parametrize("row", MATRIX, ids=[" ".join(row[0].split()) for row in MATRIX])
def test_authorization(client, catalog_world, row):
    assert_row(row, PRINCIPALS, lambda endpoint, who: _call(client, catalog_world, endpoint, who))
