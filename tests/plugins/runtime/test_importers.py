"""The plugins' importers as the catalog's import formats, without a worker: the upload
takes ``format=<plugin id>/<importer id>`` and queues an import that is a usage of the
plugin; the importer's rows, read by a real child process, resume after a checkpoint."""

from __future__ import annotations

import gc
import json
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from adminapp.catalog.models import DataRow
from adminapp.catalog.services.imports import data_rows_import_file
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import JobState
from adminapp.plugins.runtime.importers import PLUGIN_IMPORTERS
from adminapp.plugins.runtime.registry import running_jobs
from tests.catalog.factories import make_dataset
from tests.plugins.runtime.helpers import install, write_plugin
from tests.spaces.factories import make_space

LINES = """
def parse(ctx, path):
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            yield {"row_data": line.strip(), "external_id": f"line-{n}"}
"""


def lines_plugin(tmp_path: Path):
    root = write_plugin(tmp_path / "lines", LINES, entry="lines.py")
    (root / "plugin.json").write_text(
        json.dumps(
            {
                "id": "lines",
                "version": "1.0.0",
                "meta": {"label": "Lines"},
                "components": [
                    {
                        "type": "importer",
                        "id": "txt",
                        "label": "Text lines",
                        "entry": "lines.py",
                        "extensions": [".txt"],
                    }
                ],
            }
        )
    )
    return install(tmp_path, root)


def test_an_import_through_an_importer_is_queued_and_is_a_usage_of_its_plugin(
    client, tenant, tmp_path
):
    version = lines_plugin(tmp_path)
    dataset = make_dataset(space=make_space(tenant, "Docs"), name="lines")
    response = client.post(
        f"/api/v1/datasets/{dataset.id}/imports",
        {"file": SimpleUploadedFile("a.txt", b"one\ntwo\n"), "format": "LINES/txt"},
        **tenant.auth("OWNER"),
    )
    assert response.status_code == 202
    job = response.json()
    assert (job["kind"], job["params"]["importer"], job["params"]["format"]) == (
        "data_rows_import",
        "lines/txt",  # the installed plugin's own id, whatever case the caller used
        "jsonl",
    )
    assert [u.id for u in running_jobs(version.plugin)] == [job["id"]]


def test_an_importer_that_is_not_one_is_refused_on_format(client, tenant, tmp_path):
    lines_plugin(tmp_path)
    dataset = make_dataset(space=make_space(tenant, "Docs"), name="lines")
    response = client.post(
        f"/api/v1/datasets/{dataset.id}/imports",
        {"file": SimpleUploadedFile("a.txt", b"one\n"), "format": "lines/nope"},
        **tenant.auth("OWNER"),
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "format": [
            "No enabled importer 'lines/nope': csv, jsonl, or an importer listed by "
            "GET /datasets/import-formats."
        ]
    }


def test_a_resumed_import_reads_on_after_the_rows_already_imported(db, tmp_path):
    lines_plugin(tmp_path)
    source = tmp_path / "input.txt"
    source.write_text("a\nb\nc\nd\n")
    with PLUGIN_IMPORTERS.rows(key="lines/txt", path=source, job_id="job_x", skip=2) as rows:
        assert list(rows) == [
            {"row_data": "c", "external_id": "line-3"},
            {"row_data": "d", "external_id": "line-4"},
        ]


def test_a_resume_skips_rows_across_the_plugins_messages(db, tmp_path):
    # The child sends rows many to a message (1000 a message): a checkpoint falls anywhere.
    lines_plugin(tmp_path)
    source = tmp_path / "input.txt"
    source.write_text("".join(f"{n}\n" for n in range(1, 2501)))
    for skip in (0, 999, 1000, 1500, 2499, 2500):
        with PLUGIN_IMPORTERS.rows(key="lines/txt", path=source, job_id="job_x", skip=skip) as rows:
            read = [row["external_id"] for row in rows]
        assert read == [f"line-{n}" for n in range(skip + 1, 2501)], skip


def _import_lines(tenant, text: str):
    dataset = make_dataset(space=make_space(tenant, "Docs"), name="lines")
    job = data_rows_import_file(
        actor=tenant.principal("ADMIN"),
        dataset_id=dataset.id,
        file=ContentFile(text.encode(), name="a.txt"),
        filename="a.txt",
        format="lines/txt",
    )
    job_run(job_id=job.id)
    job.refresh_from_db()
    rows = DataRow.objects.filter(dataset=dataset).order_by("created_at", "id")
    return job, list(rows.values_list("row_data", flat=True))


def test_an_importers_rows_go_in_chunks_and_the_job_counts_them(db, tenant, tmp_path, settings):
    settings.IMPORT_CHUNK_ROWS = 2
    lines_plugin(tmp_path)
    job, rows = _import_lines(tenant, "a\nb\nc\nd\ne\n")
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert (job.result["rows"], job.result["created"], job.result["importer"]) == (
        5,
        5,
        "lines/txt",
    )
    assert rows == ["a", "b", "c", "d", "e"]
    assert gc.isenabled()  # paused while a chunk's records are read, on again after


def test_an_importer_reading_more_rows_than_the_limit_stops_after_importing_the_limit(
    db, tenant, tmp_path, settings
):
    settings.IMPORT_CHUNK_ROWS = 2
    settings.IMPORT_MAX_ROWS = 3
    lines_plugin(tmp_path)
    job, rows = _import_lines(tenant, "a\nb\nc\nd\ne\n")
    assert (job.state, job.error_code) == (JobState.FAILED, "import_too_many_rows")
    assert job.error_message == (
        "The importer read more than 3 rows: the first 3 were read and 3 of them imported; "
        "nothing after."
    )
    assert rows == ["a", "b", "c"]
    assert gc.isenabled()
