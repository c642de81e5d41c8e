"""The jobs list and a job's page as a browser without JavaScript sees them: the kind filter,
what a job was asked to do, what it made (and why a file is absent), and a running job's
page refreshing itself."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from adminapp.client.types import AuditFilterParams
from adminapp.exports.services import audit_export_start
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job, JobState

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(tenant) -> Client:
    client = Client()
    client.force_login(tenant.owner)
    return client


def _page(client: Client, job_id: str) -> str:
    response = client.get(reverse("web:job_detail", args=[job_id]))
    assert response.status_code == 200
    return response.content.decode()


def _outcome(html: str) -> str:
    return html.split('id="job-outcome"', 1)[1].split("</section>", 1)[0]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _params(html: str) -> str:
    """What the page says the job was asked to do, as text."""
    return _text(re.search(r'<dl class="job-params"[^>]*>(.*?)</dl>', html, re.S).group(1))


def _export(tenant, **filters) -> Job:
    return audit_export_start(actor=tenant.principal("OWNER"), filters=AuditFilterParams(**filters))


# --- the list's kind filter ---------------------------------------------------------------
def test_the_kind_filter_is_a_choice_of_every_kind_by_label(owner, tenant):
    from adminapp.spaces.services import space_delete
    from tests.spaces.factories import make_space

    export = _export(tenant)
    deletion = space_delete(actor=tenant.principal(), space=make_space(tenant, "Old").id)

    html = owner.get(reverse("web:jobs")).content.decode()
    select = re.search(r'<select name="kind"[^>]*>(.*?)</select>', html, re.S)
    assert select, "the kind filter is a select"
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))
    assert options[0] == ("", "Any kind")
    assert ("audit_export", "Audit log export") in options
    assert ("space_delete", "Space deletion") in options

    only = owner.get(reverse("web:jobs") + "?kind=space_delete").content.decode()
    assert deletion.id in only and export.id not in only
    assert re.search(r'<option value="space_delete" selected>', only)
    unknown = owner.get(reverse("web:jobs") + "?kind=nope")
    assert unknown.status_code == 422
    assert "Select a valid choice" in unknown.content.decode()


# --- what a job was asked to do ------------------------------------------------------------
def test_an_exports_page_says_its_filters_in_words(owner, tenant):
    since = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    filtered = _export(tenant, action="member.", actor=tenant.admin.email, since=since)
    everything = _export(tenant)

    params = _params(_page(owner, filtered.id))
    assert "Action starts with member." in params
    assert f"Actor {tenant.admin.email}" in params
    assert "Since 2026-01-02 03:04 UTC" in params
    assert "Until" not in params and "None" not in params and "{" not in params
    params = _params(_page(owner, everything.id))
    assert params == "Filters none: every event"


def test_a_space_deletions_page_names_the_space_and_what_it_removed(owner, tenant):
    from adminapp.spaces.services import space_delete
    from tests.spaces.factories import make_space, make_token

    space = make_space(tenant, "Doomed")
    make_token(tenant, space)
    job = space_delete(actor=tenant.principal(), space=space.id)
    job_run(job_id=job.id)

    html = _page(owner, job.id)
    params = _params(html)
    assert params == f"Space Doomed ({space.id})"
    outcome = _text(_outcome(html))
    # Every field says something; the space it names is not repeated as "Space id"/"Name".
    assert re.search(r"Deleted data_rows 0 · datasets 0 · memberships 0 · tokens 1", outcome)
    assert "Space id" not in outcome and "—" not in outcome
    # A kind that makes no file: no download, and no word about files.
    assert "Download result" not in html and "file" not in outcome.lower()


# --- why a file is absent ------------------------------------------------------------------
def test_an_export_says_where_its_file_is_in_every_state(owner, tenant, settings, tmp_path):
    from adminapp.jobs.services import job_abort

    settings.MEDIA_ROOT = tmp_path
    queued = _export(tenant, action="a.")
    done = _export(tenant, action="b.")
    job_run(job_id=done.id)
    aborted = _export(tenant, action="c.")
    job_abort(actor=tenant.principal(), job_id=aborted.id)
    failed = _export(tenant, action="d.")
    Job.objects.filter(id=failed.id).update(
        state=JobState.FAILED,
        error_code="boom",
        error_message="The disk is full.",
        finished_at=timezone.now(),
    )

    assert "can be downloaded here once it finishes" in _text(_outcome(_page(owner, queued.id)))
    finished = _page(owner, done.id)
    assert "Download result" in finished
    # The file is the button, not a path on the server.
    assert "exports/audit-" not in _outcome(finished)
    stopped = _text(_outcome(_page(owner, aborted.id)))
    assert "an aborted export keeps no file to download" in stopped
    broken = _text(_outcome(_page(owner, failed.id)))
    assert "The disk is full." in broken and "It wrote no file to download." in broken
    for job in (queued, aborted, failed):
        assert "Download result" not in _page(owner, job.id)


def test_items_and_their_csv_are_offered_only_when_there_are_items(owner, tenant, settings):
    settings.AUDIT_EXPORT_CHUNK = 1
    empty = _export(tenant, action="nothing.here.")
    job_run(job_id=empty.id)
    assert "Items CSV" not in _page(owner, empty.id)
    assert "This job recorded no per-item outcomes." in _page(owner, empty.id)


def test_aborting_an_export_warns_that_its_file_is_discarded(owner, tenant):
    job = _export(tenant)
    html = _page(owner, job.id)
    assert re.search(r'hx-confirm="Abort this export\?[^"]*file[^"]*discarded', html)
    confirm = owner.get(reverse("web:job_abort", args=[job.id])).content.decode()
    assert "its file is discarded" in confirm


# --- a running job's page without JavaScript ------------------------------------------------
def test_a_running_jobs_page_refreshes_itself_without_javascript(owner, tenant):
    job = _export(tenant)
    html = _page(owner, job.id)
    head = html.split("</head>", 1)[0]
    assert re.search(r'<noscript><meta http-equiv="refresh" content="\d+"></noscript>', head)
    # A visible hint (and a link) for the same browser.
    noscript = re.findall(r"<noscript>(.*?)</noscript>", html.split("</head>", 1)[1], re.S)
    assert any(
        "Refresh" in n and f'href="{reverse("web:job_detail", args=[job.id])}"' in n
        for n in noscript
    )

    Job.objects.filter(id=job.id).update(state=JobState.SUCCEEDED, finished_at=timezone.now())
    done = _page(owner, job.id)
    assert 'http-equiv="refresh"' not in done and "Refresh" not in done


def test_a_global_key_jobs_page_says_what_it_was_given_not_where_it_is_stored(owner, tenant):
    from adminapp.catalog.services.global_keys import global_keys_assign

    job = global_keys_assign(
        actor=tenant.principal(),
        items=[
            {"data_row_id": "dr_a", "global_key": "a"},
            {"data_row_id": "dr_b", "global_key": "b"},
        ],
        on_invalid="sanitize",
        dry_run=True,
    )
    params = _params(_page(owner, job.id))
    assert params == "Items 2 (jsonl) Invalid keys sanitized Preview yes: nothing is changed"
    stored = Job.objects.get(id=job.id).params
    assert stored["sha256"] not in params and stored["input"] not in params


def test_an_import_jobs_page_names_the_file_it_imports(owner, tenant):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from adminapp.catalog.services.imports import data_rows_import_file
    from tests.catalog.factories import make_dataset
    from tests.spaces.factories import make_space

    dataset = make_dataset(space=make_space(tenant, "Files"))
    upload = SimpleUploadedFile("frames.csv", b"row_data\na\n")
    job = data_rows_import_file(
        actor=tenant.principal(), dataset_id=dataset.id, file=upload, filename="frames.csv"
    )
    params = _params(_page(owner, job.id))
    assert params == (
        f"Dataset {dataset.id} File frames.csv (csv) Size 11 bytes Invalid keys refused (INVALID_KEY)"
    )


def test_a_jobs_errors_filter_by_code_with_a_tab_and_a_csv_per_code(owner, tenant):
    """The job page, like the Global keys page, narrows the errors to one code."""
    from adminapp.catalog.services.global_keys import global_keys_assign
    from tests.catalog.factories import make_dataset, make_rows
    from tests.spaces.factories import make_space

    rows = make_rows(
        dataset=make_dataset(space=make_space(tenant, "Research"), name="Frames"),
        n=3,
        keys=[None, None, "taken"],
    )
    job = global_keys_assign(
        actor=tenant.principal(),
        items=[
            {"data_row_id": rows[0].id, "global_key": "cam-1"},
            {"data_row_id": rows[1].id, "global_key": "taken"},
            {"data_row_id": "dr_nope", "global_key": "cam-3"},
        ],
    )
    job_run(job_id=job.id)
    url = reverse("web:job_detail", args=[job.id])

    errors = owner.get(url, {"status": "ERROR"}).content.decode()
    tabs = re.search(r'aria-label="Filter errors by code">(.*?)</nav>', errors, re.S).group(1)
    assert _text(tabs) == "Every code DATA_ROW_NOT_FOUND 1 KEY_TAKEN 1"

    for page in (
        owner.get(url, {"status": "ERROR", "code": "KEY_TAKEN"}),
        owner.get(
            url,
            {"status": "ERROR", "code": "KEY_TAKEN"},
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="job-items",
        ),
    ):
        html = page.content.decode()
        table = html.split('id="job-items"', 1)[1]
        assert re.findall(r'<code class="tag">([A-Z_]+)</code>', table) == ["KEY_TAKEN"]
        assert 'aria-label="Filter errors by code"' in table  # the tabs stay after a swap
        csv_url = (
            reverse("web:job_items_csv", args=[job.id]) + "?status=ERROR&amp;error_code=KEY_TAKEN"
        )
        assert f'href="{csv_url}"' in table

    every = owner.get(url, {"status": "ERROR", "code": "NOT_A_CODE_1"}).content.decode()
    assert "No NOT_A_CODE_1" not in every
    assert len(re.findall(r'<code class="tag">', every.split('id="job-items"', 1)[1])) == 2
