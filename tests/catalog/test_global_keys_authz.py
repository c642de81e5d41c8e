"""Who may call what under /global-keys: every endpoint × every kind of principal → the HTTP
status they get, read like ``tests/spaces/test_authz_matrix.py`` (same principals, same
world, plus a keyed row in the space and one in the hidden space, and a finished assign job
of each organization to revert).

A job may be started by whoever holds its permission in at least one space —
``global_key.assign`` (ADMIN and MEMBER space roles, a MEMBER space token) for assign, clear
and revert, ``dataset.read`` (every predefined role) for lookup; the rest are 403. An org
admin of another organization acts in its own organization (202). Space-level rights are
then checked per row by the job (ACCESS_DENIED, or null for a lookup: tested below). A job
to revert is found like any job (your own; org admins see all): anyone else's, and another
organization's, is 404. ``exists`` is a read anyone signed in may make; it answers false for
keys held by rows they cannot read.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from adminapp.catalog.models import DataRow
from adminapp.catalog.services.global_keys import global_keys_assign
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job, JobItem
from adminapp.jobs.selectors import job_items_all
from tests.authz_matrix import (
    assert_names_every_principal_once,
    assert_row,
    filled,
    status_of,
)
from tests.catalog.factories import make_dataset, make_rows
from tests.spaces.factories import API, World, build_world, make_space
from tests.spaces.test_authz_matrix import PRINCIPALS

# fmt: off
MATRIX = [
    # endpoint                                        anon other owner admin spAdm mem  ro   ann  c+   c-   tok  exp
    ("POST   /global-keys/assign",                     401, 202, 202, 202, 202, 202, 403, 403, 202, 403, 202, 401),
    ("POST   /global-keys/assign/file",                401, 202, 202, 202, 202, 202, 403, 403, 202, 403, 202, 401),
    ("POST   /global-keys/clear",                      401, 202, 202, 202, 202, 202, 403, 403, 202, 403, 202, 401),
    ("POST   /global-keys/clear/file",                 401, 202, 202, 202, 202, 202, 403, 403, 202, 403, 202, 401),
    ("POST   /global-keys/lookup",                     401, 202, 202, 202, 202, 202, 202, 202, 202, 403, 202, 401),
    ("POST   /global-keys/lookup/file",                401, 202, 202, 202, 202, 202, 202, 202, 202, 403, 202, 401),
    ("POST   /global-keys/exists",                     401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("POST   /global-keys/revert {job}",               401, 404, 202, 202, 404, 404, 403, 403, 404, 403, 404, 401),
    ("POST   /global-keys/revert {other_job}",         401, 202, 404, 404, 404, 404, 403, 403, 404, 403, 404, 401),
]
# fmt: on

FILES = {
    "POST   /global-keys/assign/file": ("pairs.csv", "data_row_id,global_key\n{row},new-key\n"),
    "POST   /global-keys/clear/file": ("keys.csv", "global_key\nrobot-1\n"),
    "POST   /global-keys/lookup/file": ("keys.jsonl", '"robot-1"\n'),
}
BODIES = {
    "POST   /global-keys/assign": {"items": [{"data_row_id": "{row}", "global_key": "new-key"}]},
    "POST   /global-keys/clear": {"global_keys": ["robot-1"]},
    "POST   /global-keys/lookup": {"global_keys": ["robot-1", "hidden-1"]},
    "POST   /global-keys/exists": {"global_keys": ["robot-1", "hidden-1"]},
    "POST   /global-keys/revert {job}": {"job_id": "{job}"},
    "POST   /global-keys/revert {other_job}": {"job_id": "{other_job}"},
}


@dataclass
class KeysWorld:
    world: World
    row: DataRow  # in the space, key "robot-1"
    hidden_row: DataRow  # in the hidden space, key "hidden-1"
    job: str  # a finished assign job of the org's admin
    other_job: str  # a finished assign job of the other org's admin


@pytest.fixture
def keys_world(db) -> KeysWorld:
    world = build_world()
    row, spare = make_rows(dataset=make_dataset(space=world.space), n=2, keys=["robot-1", None])
    (hidden_row,) = make_rows(dataset=make_dataset(space=world.hidden), n=1, keys=["hidden-1"])
    (theirs,) = make_rows(dataset=make_dataset(space=make_space(world.other, "Theirs")), n=1)
    job = global_keys_assign(
        actor=world.tenant.principal("ADMIN"),
        items=[{"data_row_id": spare.id, "global_key": "spare-1"}],
    )
    other_job = global_keys_assign(
        actor=world.other.principal("ADMIN"),
        items=[{"data_row_id": theirs.id, "global_key": "theirs-1"}],
    )
    for j in (job, other_job):
        job_run(job_id=j.id)
    return KeysWorld(world, row, hidden_row, job.id, other_job.id)


def _fill(text: str, kw: KeysWorld) -> str:
    return text.format(row=kw.row.id, job=kw.job, other_job=kw.other_job)


def _call(client, kw: KeysWorld, endpoint: str, who: str) -> int:
    method, path = endpoint.split(maxsplit=1)
    path = path.split()[0]
    kwargs = kw.world.auth(who)
    if endpoint in FILES:
        name, content = FILES[endpoint]
        upload = SimpleUploadedFile(name, _fill(content, kw).encode())
        kwargs = {**kwargs, "data": {"file": upload}}
    elif endpoint in BODIES:
        body = filled(BODIES[endpoint], lambda text: _fill(text, kw))
        kwargs = {**kwargs, "data": body, "content_type": "application/json"}
    response = getattr(client, method.lower())(API + path, **kwargs)
    return status_of(response)


def test_the_matrix_names_every_principal_once():
    assert_names_every_principal_once(MATRIX, PRINCIPALS)


@pytest.mark.parametrize("row", MATRIX, ids=[" ".join(row[0].split()) for row in MATRIX])
def test_authorization(client, keys_world, row):
    assert_row(row, PRINCIPALS, lambda endpoint, who: _call(client, keys_world, endpoint, who))


def _run(client, kw: KeysWorld, who: str, path: str, body: dict) -> list[JobItem]:
    response = client.post(
        API + path, data=body, content_type="application/json", **kw.world.auth(who)
    )
    assert response.status_code == 202, response.content
    job_run(job_id=response.json()["id"])
    return list(job_items_all(job=Job.objects.get(id=response.json()["id"])))


def test_a_space_token_acts_within_its_space_only(client, keys_world):
    kw = keys_world
    assigned = _run(
        client,
        kw,
        "space_token",
        "/global-keys/assign",
        {
            "items": [
                {"data_row_id": kw.row.id, "global_key": "by-token"},
                {"data_row_id": kw.hidden_row.id, "global_key": "sneaky"},
            ]
        },
    )
    looked = _run(
        client, kw, "space_token", "/global-keys/lookup", {"global_keys": ["by-token", "hidden-1"]}
    )
    exists = client.post(
        API + "/global-keys/exists",
        data={"global_keys": ["by-token", "hidden-1"]},
        content_type="application/json",
        **kw.world.auth("space_token"),
    ).json()

    assert [(i.status, i.error_code) for i in assigned] == [
        ("SUCCESS", ""),
        ("ERROR", "ACCESS_DENIED"),
    ]
    assert DataRow.objects.get(id=kw.hidden_row.id).global_key == "hidden-1"
    assert [i.data["data_row_id"] for i in looked] == [kw.row.id, None]
    assert exists == {"results": [True, False]}


def test_read_only_looks_up_what_it_can_read_and_an_admin_everything(client, keys_world):
    kw = keys_world
    body = {"global_keys": ["robot-1", "hidden-1"]}

    read_only = _run(client, kw, "read_only", "/global-keys/lookup", body)
    admin = _run(client, kw, "org_admin", "/global-keys/lookup", body)

    assert [i.data["data_row_id"] for i in read_only] == [kw.row.id, None]
    assert [i.data["data_row_id"] for i in admin] == [kw.row.id, kw.hidden_row.id]
