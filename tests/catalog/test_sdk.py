"""``client.datasets`` and ``client.data_rows`` over real HTTP against a live server on
loopback (STYLE 18): the keyword arguments scripts rely on, the results and the errors."""

from __future__ import annotations

import pytest

from adminapp.client import (
    AdminClient,
    ConflictError,
    CursorPage,
    Job,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableEntityError,
)
from adminapp.client._errors import APIStatusError
from adminapp.client.types import DataRowIn, JobOutcome

pytestmark = [pytest.mark.live]


@pytest.fixture
def sdk(live_server, tenant):
    clients: list[AdminClient] = []

    def make(role: str = "ADMIN") -> AdminClient:
        client = AdminClient(api_key=tenant.keys[role], base_url=live_server.url)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_datasets_from_create_to_delete(sdk):
    client = sdk("ADMIN")
    space = client.spaces.create(name="Research")
    made = [
        client.datasets.create(space="Research", name=f"Set {i}", description="d") for i in range(3)
    ]
    assert (made[0].space_id, made[0].row_count, made[0].description) == (space.id, 0, "d")
    with pytest.raises(ConflictError):
        client.datasets.create(space=space.id, name="SET 1")

    page = client.datasets.list(space=space.id, limit=2)
    assert isinstance(page, CursorPage) and page.has_more
    assert [d.id for d in client.datasets.list(space="Research", limit=2)] == [
        d.id for d in reversed(made)
    ]
    assert [d.name for d in client.datasets.list(space=space.id, name="set 0")] == ["Set 0"]

    renamed = client.datasets.update(made[0].id, name="Renamed")
    assert client.datasets.get(made[0].id).name == renamed.name == "Renamed"

    job = client.datasets.delete(made[0].id)
    assert isinstance(job, Job) and job.kind == "dataset_delete"
    with pytest.raises(NotFoundError):
        client.datasets.get(made[0].id)


def test_data_rows_create_reports_each_row_and_the_rest_are_read_back(sdk):
    client = sdk("ADMIN")
    client.spaces.create(name="Research")
    dataset = client.datasets.create(space="Research", name="Images")
    result = client.data_rows.create(
        dataset=dataset.id,
        rows=[
            {"row_data": "https://e.com/0.jpg", "global_key": "cam-0"},
            DataRowIn(row_data="https://e.com/1.jpg", global_key="CAM-0"),
            DataRowIn(row_data="https://e.com/2.jpg", global_key="cam 2\t", external_id="e2"),
        ],
        on_invalid="sanitize",
    )
    assert result.status == JobOutcome.PARTIAL_SUCCESS
    assert [(r.index, r.global_key, r.sanitized) for r in result.results] == [
        (0, "cam-0", False),
        (2, "cam 2", True),
    ]
    assert [(e.index, e.code) for e in result.errors] == [(1, "DUPLICATE_IN_REQUEST")]
    assert result.errors[0].input["global_key"] == "CAM-0"

    rows = list(client.data_rows.list(dataset=dataset, limit=1))
    assert [r.id for r in rows] == [r.id for r in result.results]
    assert [r.id for r in client.data_rows.list(dataset=dataset.id, global_key="CAM 2")] == [
        result.results[1].id
    ]
    assert len(client.data_rows.list(dataset=dataset.id, global_key_prefix="Cam").items) == 2
    assert client.data_rows.list(dataset=dataset.id, has_global_key=False).items == []
    assert client.data_rows.get_by_global_key("CAM-0").id == result.results[0].id
    assert client.data_rows.get(rows[1].id).external_id == "e2"

    updated = client.data_rows.update(rows[1].id, metadata={"w": 1}, external_id="e-2")
    assert (updated.metadata, updated.external_id, updated.global_key) == (
        {"w": 1},
        "e-2",
        "cam 2",
    )
    client.data_rows.delete(rows[0].id)
    with pytest.raises(NotFoundError):
        client.data_rows.get_by_global_key("cam-0")
    assert client.datasets.get(dataset.id).row_count == 1

    with pytest.raises(UnprocessableEntityError):
        client.data_rows.create(dataset=dataset.id, rows=[{"row_data": ""}])
    with pytest.raises(APIStatusError) as exc:
        client.data_rows.create(dataset=dataset.id, rows=[{"row_data": "r"}] * 1001)
    assert (exc.value.status_code, exc.value.code) == (413, "too_many_items")
    with pytest.raises(ValueError):
        client.data_rows.update(rows[1].id)


def test_an_annotator_reads_rows_but_cannot_write_them(sdk, tenant):
    admin = sdk("ADMIN")
    admin.spaces.create(name="Research")
    admin.spaces.add_user("Research", user_id=tenant.annotator.id, role="ANNOTATOR")
    dataset = admin.datasets.create(space="Research", name="Images")
    admin.data_rows.create(dataset=dataset.id, rows=[{"row_data": "x", "global_key": "k"}])
    annotator = sdk("ANNOTATOR")
    assert annotator.data_rows.get_by_global_key("K").dataset_id == dataset.id
    with pytest.raises(PermissionDeniedError):
        annotator.data_rows.create(dataset=dataset.id, rows=[{"row_data": "y"}])
    with pytest.raises(PermissionDeniedError):
        annotator.datasets.delete(dataset.id)
    assert annotator.datasets.get(dataset.id).row_count == 1


def test_many_rows_are_deleted_by_a_job_the_sdk_waits_for(sdk, tenant, celery_worker_process):
    client = sdk("ADMIN")
    space = client.spaces.create(name="Bulk")
    dataset = client.datasets.create(space=space.id, name="Many")
    made = client.data_rows.create(dataset=dataset, rows=[{"row_data": f"r{i}"} for i in range(5)])
    doomed = [row.id for row in made.results[:3]]
    job = client.data_rows.delete_many(doomed + ["dr_nope"], wait=True, timeout=60)
    assert (job.state, job.outcome) == ("SUCCEEDED", "PARTIAL_SUCCESS")
    assert job.result == {"deleted": 3, "not_deleted": 1}
    [error] = job.items(status="ERROR")
    assert (error.key, error.error_code) == ("dr_nope", "DATA_ROW_NOT_FOUND")
    assert client.datasets.get(dataset.id).row_count == 2
