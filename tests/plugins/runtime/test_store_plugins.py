"""The three plugins the default store ships (``adminapp/plugins/store/src/``), each run for
real: installed from its source folder, on a live server with a real worker, through the
SDK as a user would — the COCO importer as a format of the catalog's import, the two macros
as jobs with their CSV result files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import adminapp
from adminapp.catalog.models import DataRow
from adminapp.client import AdminClient, UnprocessableEntityError
from adminapp.plugins.models import Plugin
from tests.catalog.factories import make_dataset
from tests.factories import add_member, make_key, make_user
from tests.plugins.runtime.helpers import install
from tests.spaces.factories import join, make_space, predefined

pytestmark = [pytest.mark.worker, pytest.mark.live]

SRC = Path(adminapp.__file__).parent / "plugins" / "store" / "src"


def coco_file(path: Path, images: int = 3) -> Path:
    data = {
        "info": {"description": "test"},
        "licenses": [],
        "images": [
            {
                "id": i,
                "file_name": f"{i:012d}.jpg",
                "coco_url": f"http://images.cocodataset.org/val2017/{i:012d}.jpg",
                "width": 640,
                "height": 480 + i,
            }
            for i in range(1, images + 1)
        ],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5], "iscrowd": 0},
            {"id": 11, "image_id": 1, "category_id": 2, "bbox": [1, 1, 5, 5], "iscrowd": 0},
            {"id": 12, "image_id": 1, "category_id": 1, "segmentation": [[1, 2, 3, 4]]},
            {"id": 13, "image_id": 2, "category_id": 2, "bbox": [0, 0, 1, 1]},
        ],
        "categories": [
            {"id": 1, "name": "person", "supercategory": "person"},
            {"id": 2, "name": "bicycle", "supercategory": "vehicle"},
        ],
    }
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def portal(live_server, tenant, celery_workers, tmp_path):
    """A live server, two workers (a macro waits for the jobs it starts) and an SDK client
    of the org's ADMIN."""
    env = {
        "PLUGINS_API_BASE_URL": live_server.url,
        "PLUGINS_CACHE_DIR": str(tmp_path / "worker-cache"),
    }
    celery_workers.start(env)
    celery_workers.start(env)
    with AdminClient(api_key=tenant.keys["ADMIN"], base_url=live_server.url) as sdk:
        yield sdk


def test_a_coco_file_imports_as_one_image_row_per_image(portal, tenant, tmp_path):
    install(tmp_path, SRC / "coco-importer")
    dataset = make_dataset(space=make_space(tenant, "Vision"), name="val2017")
    formats = portal.datasets.import_formats()
    assert [(f.id, f.importer) for f in formats] == [
        ("csv", False),
        ("jsonl", False),
        ("coco-importer/coco", True),
    ]
    assert (formats[2].label, formats[2].extensions) == ("COCO JSON (COCO importer)", [".json"])

    job = portal.data_rows.import_file(
        dataset=dataset.id,
        path=coco_file(tmp_path / "instances_val2017.json"),
        format="coco-importer/coco",
        wait=True,
        timeout=90,
    )
    assert job.state == "SUCCEEDED", job.error
    assert (job.result["rows"], job.result["created"], job.result["failed"]) == (3, 3, 0)
    assert job.result["importer"] == "coco-importer/coco"
    assert (job.progress.done, job.progress.total) == (job.progress.total, job.result["bytes"])
    rows = {r.external_id: r for r in portal.data_rows.list(dataset=dataset.id)}
    assert sorted(rows) == ["1", "2", "3"]
    assert rows["1"].row_data == "http://images.cocodataset.org/val2017/000000000001.jpg"
    assert rows["1"].metadata == {
        "file_name": "000000000001.jpg",
        "categories": ["bicycle", "person"],
        "width": 640,
        "height": 481,
        "annotations": 3,
    }
    assert rows["3"].metadata["categories"] == []


def test_a_file_that_is_not_coco_fails_its_import_saying_why(portal, tenant, tmp_path):
    install(tmp_path, SRC / "coco-importer")
    dataset = make_dataset(space=make_space(tenant, "Vision"), name="broken")
    bad = tmp_path / "list.json"
    bad.write_text("[1, 2, 3]")
    job = portal.data_rows.import_file(
        dataset=dataset.id, path=bad, format="coco-importer/coco", wait=True, timeout=90
    )
    assert job.state == "FAILED"
    assert job.error.code == "plugin_error"
    assert job.error.message.startswith(
        "coco-importer/coco: failed with ValueError: This is not a COCO file: the top level "
        "is not a JSON object."
    )
    assert not DataRow.objects.filter(dataset_id=dataset.id).exists()


def test_a_disabled_importer_is_no_format_of_the_import(portal, tenant, tmp_path):
    install(tmp_path, SRC / "coco-importer")
    Plugin.objects.update(enabled=False)
    dataset = make_dataset(space=make_space(tenant, "Vision"), name="val2017")
    assert [f.id for f in portal.datasets.import_formats()] == ["csv", "jsonl"]
    with pytest.raises(UnprocessableEntityError) as refused:
        portal.data_rows.import_file(
            dataset=dataset.id, path=coco_file(tmp_path / "c.json"), format="coco-importer/coco"
        )
    assert refused.value.body["error"]["fields"] == {
        "format": [
            "No enabled importer 'coco-importer/coco': csv, jsonl, or an importer listed by "
            "GET /datasets/import-formats."
        ]
    }


def test_global_keys_are_assigned_from_a_template(portal, tenant, tmp_path):
    install(tmp_path, SRC / "global-key-template")
    dataset = make_dataset(space=make_space(tenant, "Robots"), name="arm")
    portal.data_rows.create(
        dataset=dataset.id,
        rows=[
            {"row_data": "https://x/1.jpg", "external_id": "a1"},
            {"row_data": "https://x/2.jpg", "external_id": "a2"},
            {"row_data": "https://x/3.jpg"},  # no external_id: skipped
            {"row_data": "https://x/4.jpg", "external_id": "a4", "global_key": "kept"},
            {"row_data": "https://x/5.jpg", "external_id": "a5", "global_key": "arm/a1x"},
        ],
    )
    # Another row already holds the key a5 would get: KEY_TAKEN, reported, not fatal.
    other = make_dataset(space=make_space(tenant, "Other"), name="other")
    portal.data_rows.create(
        dataset=other.id, rows=[{"row_data": "https://y/1.jpg", "global_key": "arm/a5"}]
    )
    job = portal.plugins.run_macro(
        "global-key-template",
        "assign",
        {"dataset_id": dataset.id, "template": "{dataset}/{external_id}", "overwrite": True},
    )
    done = job.wait(timeout=120)
    assert done.state == "SUCCEEDED", done.error
    assert done.result["result"] == {
        "rows": 5,
        "dry_run": False,
        "ASSIGNED": 3,
        "UNCHANGED": 0,
        "SKIPPED": 1,
        "FAILED": 1,
    }
    keys = {r.external_id: r.global_key for r in portal.data_rows.list(dataset=dataset.id)}
    assert keys == {"a1": "arm/a1", "a2": "arm/a2", "": None, "a4": "arm/a4", "a5": "arm/a1x"}
    report = list(csv.DictReader(io.StringIO(done.download().decode())))
    by_key = {(r["global_key"], r["outcome"]) for r in report}
    assert by_key == {
        ("arm/a1", "ASSIGNED"),
        ("arm/a2", "ASSIGNED"),
        ("", "SKIPPED"),
        ("arm/a4", "ASSIGNED"),
        ("arm/a5", "KEY_TAKEN"),
    }


def test_a_template_with_an_unknown_field_fails_before_any_change(portal, tenant, tmp_path):
    install(tmp_path, SRC / "global-key-template")
    dataset = make_dataset(space=make_space(tenant, "Robots"), name="arm")
    portal.data_rows.create(dataset=dataset.id, rows=[{"row_data": "x", "external_id": "a"}])
    done = portal.plugins.run_macro(
        "global-key-template",
        "assign",
        {"dataset_id": dataset.id, "template": "{dataset.__class__}/{external_id}"},
    ).wait(timeout=60)
    assert done.state == "FAILED"
    assert "The template field {dataset.__class__} is unknown" in done.error.message
    assert [r.global_key for r in portal.data_rows.list(dataset=dataset.id)] == [None]


def test_the_membership_report_installs_from_the_store_and_lists_every_membership(
    portal, tenant, live_server
):
    # An instance admin installs it from the shipped store (a job on the worker).
    admin = make_user(superuser=True)
    add_member(tenant.org, role="MEMBER", user=admin)
    with AdminClient(api_key=make_key(admin, tenant.org), base_url=live_server.url) as root:
        installed = root.plugins.install_from_store("membership-report", wait=True, timeout=60)
        assert installed.state == "SUCCEEDED", installed.error
    research = make_space(tenant, "Research")
    ops = make_space(tenant, "=Ops")  # a name a spreadsheet would run as a formula
    join(tenant, research, tenant.member, predefined("MEMBER"))
    join(tenant, ops, tenant.annotator, predefined("ANNOTATOR"))
    done = portal.plugins.run_macro("membership-report", "report", {}).wait(timeout=60)
    assert done.state == "SUCCEEDED", done.error
    lines = list(csv.DictReader(io.StringIO(done.download().decode())))
    got = sorted((r["space_name"], r["email"], r["account_role"], r["space_role"]) for r in lines)
    expected = sorted(  # a space's creator is no member of it unless added
        [
            ("'=Ops", tenant.annotator.email, "ANNOTATOR", "ANNOTATOR"),
            ("Research", tenant.member.email, "MEMBER", "MEMBER"),
        ]
    )
    assert got == expected
    assert done.result["result"]["memberships"] == len(lines)
    assert done.result["result"]["spaces"] == 2
