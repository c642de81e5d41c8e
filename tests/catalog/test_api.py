"""/api/v1/datasets and /api/v1/data-rows: each endpoint, its answers and its errors."""

from __future__ import annotations

import pytest

from adminapp.catalog.models import DataRow
from tests.catalog.factories import API, make_dataset, make_rows
from tests.spaces.factories import make_space


@pytest.fixture
def space(tenant):
    return make_space(tenant, "Research")


@pytest.fixture
def dataset(space):
    return make_dataset(space=space, name="Images")


def call(client, tenant, method, path, body=None, role="ADMIN"):
    kwargs = dict(tenant.auth(role))
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(client, method)(f"{API}{path}", **kwargs)


def test_datasets_are_created_listed_read_updated_and_deleted(client, tenant, space):
    r = call(client, tenant, "post", "/datasets", {"space": "Research", "name": "Images"})
    assert r.status_code == 201, r.content
    dataset = r.json()
    assert (dataset["space_id"], dataset["name"], dataset["row_count"]) == (space.id, "Images", 0)

    r = call(client, tenant, "get", f"/datasets?space={space.id}&name=imag")
    assert [d["id"] for d in r.json()["items"]] == [dataset["id"]]
    assert r.json()["pagination"] == {"has_more": False, "next_cursor": None}

    r = call(client, tenant, "patch", f"/datasets/{dataset['id']}", {"description": "All"})
    assert (r.status_code, r.json()["description"]) == (200, "All")
    r = call(client, tenant, "post", "/datasets", {"space": space.id, "name": "IMAGES"})
    assert r.status_code == 409 and "name" in r.json()["error"]["fields"]

    r = call(client, tenant, "delete", f"/datasets/{dataset['id']}")
    assert (r.status_code, r.json()["kind"]) == (202, "dataset_delete")
    assert call(client, tenant, "get", f"/datasets/{dataset['id']}").status_code == 404


def test_rows_are_created_with_per_row_outcomes(client, tenant, dataset):
    make_rows(dataset=make_dataset(space=dataset.space, name="Old"), n=1, keys=["taken"])
    rows = [
        {"row_data": "https://e.com/0.jpg", "global_key": "a", "metadata": {"w": 640}},
        {"row_data": "https://e.com/1.jpg", "global_key": "TAKEN"},
        {"row_data": "https://e.com/2.jpg", "global_key": "A"},
        {"row_data": "https://e.com/3.jpg", "global_key": "b\tc", "external_id": "e3"},
    ]
    r = call(client, tenant, "post", f"/datasets/{dataset.id}/data-rows", {"rows": rows})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "PARTIAL_SUCCESS"
    assert [(x["index"], x["global_key"], x["sanitized"]) for x in body["results"]] == [
        (0, "a", False)
    ]
    assert body["results"][0]["metadata"] == {"w": 640}
    assert [(e["index"], e["code"]) for e in body["errors"]] == [
        (1, "KEY_TAKEN"),
        (2, "DUPLICATE_IN_REQUEST"),
        (3, "INVALID_KEY"),
    ]
    assert body["errors"][0]["input"]["global_key"] == "TAKEN"

    r = call(
        client,
        tenant,
        "post",
        f"/datasets/{dataset.id}/data-rows",
        {"rows": [rows[3]], "on_invalid": "sanitize"},
    )
    [created] = r.json()["results"]
    assert (created["global_key"], created["sanitized"], created["external_id"]) == (
        "b_c",
        True,
        "e3",
    )
    assert call(client, tenant, "get", f"/datasets/{dataset.id}").json()["row_count"] == 2


def test_more_than_a_thousand_rows_is_413_and_none_is_422(client, tenant, dataset):
    rows = [{"row_data": f"r{i}"} for i in range(1001)]
    r = call(client, tenant, "post", f"/datasets/{dataset.id}/data-rows", {"rows": rows})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_many_items"
    assert "file" in r.json()["error"]["message"]
    r = call(client, tenant, "post", f"/datasets/{dataset.id}/data-rows", {"rows": []})
    assert r.status_code == 422 and "rows" in r.json()["error"]["fields"]
    assert not DataRow.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rows": [{"row_data": 5}]}, "rows.0.row_data"),
        ({"rows": [{"row_data": "x", "metadata": "no"}]}, "rows.0.metadata"),
        ({"rows": [{"row_data": "x", "global_key": ["a"]}]}, "rows.0.global_key"),
        ({"rows": [{"row_data": "x", "colour": "red"}]}, "rows.0.colour"),
        ({"rows": [{}]}, "rows.0.row_data"),
        ({"rows": "all"}, "rows"),
        ({"rows": [{"row_data": "x"}], "on_invalid": "ignore"}, "on_invalid"),
        ({"rows": [{"row_data": "x" * 5000}]}, "rows.0.row_data"),
        ({"rows": [{"row_data": "x", "metadata": {"k": "\u0000"}}]}, "rows.0.metadata.k"),
    ],
)
def test_wrong_types_and_bad_content_are_422_naming_the_field(client, tenant, dataset, body, field):
    r = call(client, tenant, "post", f"/datasets/{dataset.id}/data-rows", body)
    assert r.status_code == 422, r.content
    assert field in r.json()["error"]["fields"], r.json()
    assert not DataRow.objects.exists()


def test_rows_are_listed_filtered_read_updated_and_deleted(client, tenant, dataset):
    rows = make_rows(dataset=dataset, n=3, keys=["Cam-1", "cam-2", None])
    path = f"/datasets/{dataset.id}/data-rows"
    r = call(client, tenant, "get", f"{path}?limit=2")
    assert [x["id"] for x in r.json()["items"]] == [rows[0].id, rows[1].id]
    cursor = r.json()["pagination"]["next_cursor"]
    r = call(client, tenant, "get", f"{path}?limit=2&cursor={cursor}")
    assert [x["id"] for x in r.json()["items"]] == [rows[2].id]
    r = call(client, tenant, "get", f"{path}?global_key_prefix=CAM&has_global_key=true")
    assert [x["id"] for x in r.json()["items"]] == [rows[0].id, rows[1].id]
    r = call(client, tenant, "get", f"{path}?global_key=CAM-2")
    assert [x["id"] for x in r.json()["items"]] == [rows[1].id]

    r = call(client, tenant, "get", "/data-rows/by-global-key?global_key=cam-1")
    assert (r.status_code, r.json()["id"]) == (200, rows[0].id)
    r = call(client, tenant, "get", "/data-rows/by-global-key?global_key=nope")
    assert r.status_code == 404

    r = call(client, tenant, "patch", f"/data-rows/{rows[2].id}", {"external_id": "e-9"})
    assert (r.status_code, r.json()["external_id"]) == (200, "e-9")
    r = call(client, tenant, "patch", f"/data-rows/{rows[2].id}", {"global_key": "k"})
    assert r.status_code == 422 and "global_key" in r.json()["error"]["fields"]
    r = call(client, tenant, "delete", f"/data-rows/{rows[0].id}")
    assert r.status_code == 204
    assert call(client, tenant, "get", f"/data-rows/{rows[0].id}").status_code == 404
    assert call(client, tenant, "get", f"/datasets/{dataset.id}").json()["row_count"] == 2


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/datasets/dst_nope", 404),
        ("/datasets/%00", 404),
        ("/datasets/..%2F..%2Fspaces", 404),
        ("/data-rows/" + "x" * 5000, 404),
        ("/datasets?space=%00", 422),
        ("/datasets?space=Research&cursor=bm90IGEgY3Vyc29y", 422),
        ("/data-rows/by-global-key?global_key=" + "k" * 201, 422),
        ("/data-rows/by-global-key?global_key=%00", 422),
    ],
)
def test_hostile_input_is_a_clear_4xx_never_a_500(client, tenant, space, path, status):
    r = call(client, tenant, "get", path)
    assert r.status_code == status, r.content
    assert r.json()["error"]["message"]
