"""The Global keys page, a dataset's import form and a job's Revert button, as a browser
without JavaScript (and as htmx) sees them: Django's test client against the real views,
the in-process SDK and the API behind it; jobs run by the real engine (``job_run``)."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from adminapp.catalog.models import DataRow
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job
from tests.catalog.factories import make_dataset, make_rows
from tests.spaces.factories import join, make_space, predefined

pytestmark = pytest.mark.django_db

PAGE = reverse("web:global_keys")


def hx(target: str) -> dict[str, str]:
    return {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": target}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def main_of(response) -> str:
    return re.search(r"<main.*?</main>", response.content.decode(), re.S).group(0)


def text_of(html: str) -> str:
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


def counts_shown(html: str) -> dict[str, int]:
    return {code: int(n) for code, n in re.findall(r'data-count="([A-Z_]+)">(\d+)<', html)}


def field_errors(html: str) -> list[str]:
    return [
        html_lib.unescape(e).strip()
        for e in re.findall(r'<p class="field__error"[^>]*>(.*?)</p>', html, re.S)
    ]


def textarea(html: str) -> str:
    found = re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', html, re.S)
    return html_lib.unescape(found.group(1)).lstrip("\n")


def run(op: str) -> str:
    return reverse("web:global_keys_run", args=[op])


def only_job() -> Job:
    (job,) = Job.objects.filter(kind__startswith="global_key")
    return job


@pytest.fixture
def space(tenant):
    return make_space(tenant, "Research")


@pytest.fixture
def rows(space):
    """Three rows; the third holds the key ``taken``."""
    return make_rows(
        dataset=make_dataset(space=space, name="Frames"), n=3, keys=[None, None, "taken"]
    )


@pytest.fixture
def owner(tenant) -> Client:
    return client_for(tenant.owner)


def pairs(rows) -> str:
    return f"{rows[0].id},cam-1\n{rows[1].id},taken\n\ndr_nope,cam-3\n"


# --- the page and who sees what ----------------------------------------------------------
def test_the_main_nav_links_the_page_and_an_owner_gets_all_three_tabs(owner):
    response = owner.get(reverse("web:overview"))
    nav = re.search(r'<nav class="nav".*?</nav>', response.content.decode(), re.S).group(0)
    assert f'href="{PAGE}"' in nav
    html = main_of(owner.get(PAGE))
    tabs = re.search(r'<nav class="tabs" aria-label="What to do">(.*?)</nav>', html, re.S).group(1)
    assert text_of(tabs) == "Assign Clear Look up"
    assert re.search(r'value="preview">Preview</button>', html)


def test_a_read_only_member_sees_lookup_but_no_assign_or_clear(tenant, space, rows):
    join(tenant, space, tenant.member, predefined("READ_ONLY"))
    member = client_for(tenant.member)
    html = main_of(member.get(PAGE + "?op=assign"))
    tabs = re.search(r'<nav class="tabs" aria-label="What to do">(.*?)</nav>', html, re.S).group(1)
    assert text_of(tabs) == "Look up"
    assert 'action="/global-keys/lookup/"' in html and "Preview" not in html
    # Posting an assign anyway is refused by the API, and nothing starts.
    refused = member.post(run("assign"), {"text": f"{rows[0].id},x", "action": "apply"})
    assert refused.status_code == 403
    assert not Job.objects.filter(kind="global_key_assign").exists()
    # The lookup works.
    looked = member.post(run("lookup"), {"text": "taken", "action": "lookup"})
    assert looked.status_code == 202
    assert only_job().kind == "global_key_lookup"


# --- assign: preview, then apply -----------------------------------------------------------
def test_a_preview_changes_nothing_keeps_the_text_and_shows_the_counts_by_code(owner, rows):
    response = owner.post(
        run("assign"), {"text": pairs(rows), "on_invalid": "reject", "action": "preview"}
    )
    assert response.status_code == 202
    job = only_job()
    assert (job.kind, job.params["dry_run"], job.params["items"]) == ("global_key_assign", True, 3)
    html = main_of(response)
    assert textarea(html) == pairs(rows)  # kept for "Apply these"
    assert f'hx-get="{reverse("web:job_progress", args=[job.id])}" hx-trigger="every 1s"' in html
    assert "The outcome appears here when the job finishes." in html

    job_run(job_id=job.id)
    outcome = owner.get(
        reverse("web:global_keys_outcome", args=[job.id]) + "?op=assign&pasted=1",
        **hx("gk-outcome"),
    )
    assert outcome.status_code == 200
    html = outcome.content.decode()
    assert counts_shown(html) == {"SUCCESS": 1, "KEY_TAKEN": 1, "DATA_ROW_NOT_FOUND": 1}
    assert "A preview: nothing was changed." in text_of(html)
    assert re.search(r'form="gk-form" name="action" value="apply">Apply these</button>', html)
    errors = re.search(
        r'<table class="table table--dense" id="gk-errors">(.*?)</table>', html, re.S
    )
    assert re.findall(r'<code class="tag">([A-Z_]+)</code>', errors.group(1)) == [
        "KEY_TAKEN",
        "DATA_ROW_NOT_FOUND",
    ]
    assert DataRow.objects.get(id=rows[0].id).global_key is None


def test_apply_assigns_and_the_errors_filter_by_code_with_a_csv_of_each(owner, rows):
    response = owner.post(run("assign"), {"text": pairs(rows), "action": "apply"})
    assert response.status_code == 202
    job = only_job()
    assert job.params["dry_run"] is False
    job_run(job_id=job.id)
    assert DataRow.objects.get(id=rows[0].id).global_key == "cam-1"

    # Without JavaScript, the page of the job (a code picked) shows the same outcome.
    page = main_of(owner.get(PAGE, {"job": job.id, "code": "KEY_TAKEN"}))
    assert counts_shown(page) == {"SUCCESS": 1, "KEY_TAKEN": 1, "DATA_ROW_NOT_FOUND": 1}
    assert "Applied, with errors" in text_of(page)
    errors = re.search(r'id="gk-errors">(.*?)</table>', page, re.S).group(1)
    assert re.findall(r'<code class="tag">([A-Z_]+)</code>', errors) == ["KEY_TAKEN"]
    assert "Apply these" not in page
    csv_url = reverse("web:job_items_csv", args=[job.id]) + "?status=ERROR&amp;error_code=KEY_TAKEN"
    assert f'href="{csv_url}"' in page

    download = owner.get(
        reverse("web:job_items_csv", args=[job.id]), {"status": "ERROR", "error_code": "KEY_TAKEN"}
    )
    assert download.status_code == 200
    assert "-items-error-key_taken.csv" in download["Content-Disposition"]
    records = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert [r["error_code"] for r in records] == ["KEY_TAKEN"]
    every = owner.get(reverse("web:job_items_csv", args=[job.id]))
    assert len(list(csv.DictReader(io.StringIO(every.content.decode())))) == 3


def test_the_same_form_sent_twice_starts_one_job_and_its_preview_and_apply_two(owner, rows):
    data = {"text": pairs(rows), "idempotency_key": "a" * 32, "action": "preview"}
    owner.post(run("assign"), data)
    owner.post(run("assign"), data)
    owner.post(run("assign"), {**data, "action": "apply"})
    dry = sorted(j.params["dry_run"] for j in Job.objects.filter(kind="global_key_assign"))
    assert dry == [False, True]


def test_without_javascript_refresh_shows_the_job_as_it_is_now_and_keeps_the_text(owner, rows):
    owner.post(run("assign"), {"text": pairs(rows), "action": "preview"})
    job = only_job()
    job_run(job_id=job.id)
    again = owner.post(run("assign"), {"text": pairs(rows), "show": job.id})
    assert again.status_code == 200
    assert Job.objects.filter(kind="global_key_assign").count() == 1
    html = main_of(again)
    assert textarea(html) == pairs(rows)
    assert counts_shown(html)["KEY_TAKEN"] == 1
    assert "Apply these" in html


def test_a_malformed_line_is_said_next_to_the_text_naming_the_line(owner, rows):
    text = f"{rows[0].id},ok\n{rows[1].id}\n"
    response = owner.post(run("assign"), {"text": text, "action": "preview"})
    assert response.status_code == 422
    (error,) = field_errors(main_of(response))
    assert error.startswith("Line 2: expected a data row id and a global key")
    assert textarea(main_of(response)) == text
    assert not Job.objects.exists()


def test_nothing_pasted_and_no_file_is_an_inline_error(owner):
    response = owner.post(run("clear"), {"text": "  \n", "action": "apply"})
    assert response.status_code == 422
    assert field_errors(main_of(response)) == ["Paste at least one line, or choose a file."]


def test_pasted_lines_and_a_file_together_are_refused(owner):
    upload = SimpleUploadedFile("keys.csv", b"global_key\nk\n")
    response = owner.post(run("lookup"), {"text": "k", "file": upload, "action": "lookup"})
    assert response.status_code == 422
    assert field_errors(main_of(response)) == ["Paste lines or choose a file, not both."]
    assert not Job.objects.exists()


def test_too_many_pasted_lines_point_to_the_file_upload(owner, monkeypatch):
    from adminapp.web.catalog import global_keys

    monkeypatch.setattr(global_keys, "PASTE_MAX", 2)
    response = owner.post(run("lookup"), {"text": "a\nb\nc\n", "action": "lookup"})
    assert response.status_code == 422
    (error,) = field_errors(main_of(response))
    assert "More than 2 lines: upload them as a file" in error


def test_an_invalid_key_is_sanitized_when_asked(owner, rows):
    owner.post(
        run("assign"),
        {"text": f"{rows[0].id},bad#key", "on_invalid": "sanitize", "action": "apply"},
    )
    job_run(job_id=only_job().id)
    assert DataRow.objects.get(id=rows[0].id).global_key == "bad_key"


def test_a_file_of_pairs_goes_to_the_file_variant_and_a_bad_header_is_said_next_to_it(owner, rows):
    good = SimpleUploadedFile(
        "pairs.csv", f"data_row_id,global_key\n{rows[0].id},from-file\n".encode()
    )
    response = owner.post(run("assign"), {"text": "", "file": good, "action": "apply"})
    assert response.status_code == 202
    job = only_job()
    assert job.params["format"] == "csv"
    job_run(job_id=job.id)
    assert DataRow.objects.get(id=rows[0].id).global_key == "from-file"
    page = main_of(owner.get(PAGE, {"job": job.id}))
    assert "Apply these" not in page  # nothing to preview: it was applied

    preview = owner.post(
        run("assign"),
        {
            "file": SimpleUploadedFile(
                "p.csv", f"data_row_id,global_key\n{rows[1].id},f\n".encode()
            ),
            "action": "preview",
        },
    )
    job_run(job_id=Job.objects.latest("created_at").id)
    page = main_of(owner.post(run("assign"), {"show": Job.objects.latest("created_at").id}))
    assert preview.status_code == 202
    assert "a file must be chosen again" in page

    bad = SimpleUploadedFile("pairs.csv", b"id,key\nx,y\n")
    refused = owner.post(run("assign"), {"file": bad, "action": "apply"})
    assert refused.status_code == 422
    html = main_of(refused)
    field = re.search(r'<div class="field[^"]*">\s*<label for="id_file">.*?</div>', html, re.S)
    assert field_errors(field.group(0)), html


# --- clear and lookup ---------------------------------------------------------------------
def test_clear_removes_the_keys_and_reports_those_no_row_holds(owner, rows):
    owner.post(run("clear"), {"text": "TAKEN\nnobody\n", "action": "apply"})
    job = only_job()
    job_run(job_id=job.id)
    assert DataRow.objects.get(id=rows[2].id).global_key is None
    html = main_of(owner.get(PAGE, {"job": job.id}))
    assert counts_shown(html) == {"SUCCESS": 1, "NOT_FOUND": 1}


def test_lookup_answers_in_input_order_with_not_found_and_links_each_row(owner, rows):
    response = owner.post(run("lookup"), {"text": "nobody\nTaken\n", "action": "lookup"})
    assert response.status_code == 202
    job = only_job()
    job_run(job_id=job.id)
    html = main_of(owner.get(PAGE, {"job": job.id}))
    table = re.search(r'id="gk-lookup">(.*?)</table>', html, re.S).group(1)
    body = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    assert [text_of(r) for r in body] == ["1 nobody not found", f"2 Taken {rows[2].id}"]
    link = reverse("web:data_row_open", args=[rows[2].id])
    assert f'href="{link}"' in table
    opened = owner.get(link)
    assert opened.status_code == 302
    assert opened["Location"] == (
        reverse("web:dataset_detail", args=[rows[2].dataset_id]) + "?match=global_key&q=taken"
    )
    assert f'href="{reverse("web:job_items_csv", args=[job.id])}"' in html


def test_load_more_walks_every_lookup_result_once(owner, space):
    from adminapp.web.catalog import global_keys

    keys = [f"k-{i}" for i in range(global_keys.ROWS_PER_PAGE + 5)]
    make_rows(dataset=make_dataset(space=space, name="Many"), n=len(keys), keys=keys)
    owner.post(run("lookup"), {"text": "\n".join(keys), "action": "lookup"})
    job = only_job()
    job_run(job_id=job.id)
    html = main_of(owner.get(PAGE, {"job": job.id}))
    more = re.search(r'<tr class="load-more" id="gk-more">.*?hx-get="([^"]+)"', html, re.S)
    rest = owner.get(html_lib.unescape(more.group(1)), **hx("gk-more")).content.decode()
    shown = re.findall(r'<td class="mono">(k-\d+)</td>', html + rest)
    assert shown == keys


def test_an_htmx_post_answers_the_panel_only(owner, rows):
    response = owner.post(run("lookup"), {"text": "taken", "action": "lookup"}, **hx("gk-panel"))
    assert response.status_code == 202
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="gk-panel"')
    assert "<main" not in html


# --- import on the dataset page -------------------------------------------------------------
@pytest.fixture
def dataset(space):
    return make_dataset(space=space, name="Imports")


def import_url(dataset) -> str:
    return reverse("web:data_row_import", args=[dataset.id])


def test_an_import_streams_the_file_and_opens_the_jobs_page(owner, dataset):
    page = main_of(owner.get(reverse("web:dataset_detail", args=[dataset.id])))
    assert 'id="import-form"' in page and 'hx-encoding="multipart/form-data"' in page
    upload = SimpleUploadedFile("rows.csv", b"row_data,global_key\nhttps://x/1.jpg,imp-1\n")
    response = owner.post(
        import_url(dataset), {"file": upload, "format": "", "on_invalid": "reject"}
    )
    (job,) = Job.objects.filter(kind="data_rows_import")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:job_detail", args=[job.id])
    job_run(job_id=job.id)
    assert DataRow.objects.get(dataset_id=dataset.id).global_key == "imp-1"


@pytest.mark.parametrize(
    ("name", "content", "fields", "message"),
    [
        ("rows.csv", b"", {}, "The submitted file is empty."),
        ("rows.txt", b"row_data\nx\n", {}, "its name does not end in .csv"),
        ("rows.csv", b"row_data\nx\n", {"format": "xml"}, "Select a valid choice."),
        ("rows.csv", b"row_data\n\x00\x01", {}, "looks like a binary file"),
    ],
    ids=["empty", "unknown-format", "bad-format-choice", "binary"],
)
def test_a_refused_import_is_said_next_to_its_field(owner, dataset, name, content, fields, message):
    data = {"file": SimpleUploadedFile(name, content), "on_invalid": "reject", **fields}
    response = owner.post(import_url(dataset), data, **hx("import"))
    assert response.status_code == 422
    assert response["X-Dashboard-Partial"] == "1"
    assert any(message in e for e in field_errors(response.content.decode()))
    assert not Job.objects.exists()


def test_a_file_over_the_size_limit_is_said_next_to_the_file(owner, dataset, settings):
    settings.IMPORT_MAX_BYTES = 10
    upload = SimpleUploadedFile("rows.csv", b"row_data\nhttps://x/1.jpg\n")
    response = owner.post(import_url(dataset), {"file": upload, "on_invalid": "reject"})
    assert response.status_code == 413
    (error,) = field_errors(main_of(response))
    assert "the limit is 10 bytes" in error


def test_no_file_is_required_and_a_read_only_member_has_no_import_form(tenant, space, dataset):
    owner = client_for(tenant.owner)
    response = owner.post(import_url(dataset), {"format": "", "on_invalid": "reject"})
    assert response.status_code == 422
    assert field_errors(main_of(response)) == ["This field is required."]
    join(tenant, space, tenant.member, predefined("READ_ONLY"))
    page = main_of(client_for(tenant.member).get(reverse("web:dataset_detail", args=[dataset.id])))
    assert 'id="import-form"' not in page


# --- Revert on a job's page -----------------------------------------------------------------
def _applied(owner, rows, *, action="apply") -> Job:
    owner.post(run("assign"), {"text": f"{rows[2].id},renamed", "action": action})
    job = Job.objects.latest("created_at")
    job_run(job_id=job.id)
    return job


def test_revert_restores_the_keys_after_a_confirmation_and_opens_the_new_job(owner, rows):
    job = _applied(owner, rows)
    assert DataRow.objects.get(id=rows[2].id).global_key == "renamed"
    page = owner.get(reverse("web:job_detail", args=[job.id])).content.decode()
    assert 'id="job-revert"' in page and "hx-confirm=" in page

    confirm = owner.get(reverse("web:job_revert", args=[job.id]))
    assert confirm.status_code == 200 and "Revert this job?" in confirm.content.decode()

    response = owner.post(reverse("web:job_revert", args=[job.id]))
    revert = Job.objects.get(kind="global_key_revert")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:job_detail", args=[revert.id])
    job_run(job_id=revert.id)
    assert DataRow.objects.get(id=rows[2].id).global_key == "taken"


@pytest.mark.parametrize("action", ["preview", "lookup"])
def test_previews_and_lookups_have_no_revert_button(owner, rows, action):
    if action == "lookup":
        owner.post(run("lookup"), {"text": "taken", "action": "lookup"})
        job = only_job()
        job_run(job_id=job.id)
    else:
        job = _applied(owner, rows, action="preview")
    page = owner.get(reverse("web:job_detail", args=[job.id])).content.decode()
    assert 'id="job-revert"' not in page


def test_the_outcome_partial_shows_revert_once_the_job_ends(owner, rows):
    owner.post(run("assign"), {"text": f"{rows[0].id},later", "action": "apply"})
    job = only_job()
    before = owner.get(reverse("web:job_outcome", args=[job.id]), **hx("job-outcome"))
    assert 'id="job-revert"' not in before.content.decode()
    job_run(job_id=job.id)
    after = owner.get(reverse("web:job_outcome", args=[job.id]), **hx("job-outcome"))
    assert 'id="job-revert"' in after.content.decode()
