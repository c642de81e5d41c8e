"""The /api/v1/jobs endpoints: visibility, peek, abort, items and downloads."""

from __future__ import annotations

import pytest
from django.utils import timezone

from adminapp.jobs.models import Job, JobItem, JobState

pytestmark = pytest.mark.django_db


def make_job(tenant, owner, **fields) -> Job:
    defaults = {
        "organization": tenant.org,
        "kind": "audit_export",
        "owner_id": owner.id,
        "owner_label": owner.email,
    }
    return Job.objects.create(**{**defaults, **fields})


def get(client, tenant, role, path):
    return client.get(f"/api/v1{path}", **tenant.auth(role))


def test_members_see_only_their_own_jobs_and_admins_see_all(client, tenant):
    mine = make_job(tenant, tenant.member)
    theirs = make_job(tenant, tenant.admin)

    member_ids = [j["id"] for j in get(client, tenant, "MEMBER", "/jobs").json()["items"]]
    admin_ids = [j["id"] for j in get(client, tenant, "ADMIN", "/jobs").json()["items"]]
    admin_own = [j["id"] for j in get(client, tenant, "ADMIN", "/jobs?mine=true").json()["items"]]

    assert member_ids == [mine.id]
    assert set(admin_ids) == {mine.id, theirs.id}
    assert admin_own == [theirs.id]
    assert get(client, tenant, "MEMBER", f"/jobs/{theirs.id}").status_code == 404


def test_another_orgs_job_is_not_found(client, tenant, other_tenant):
    foreign = make_job(other_tenant, other_tenant.admin)
    for path in ("", "/peek", "/items", "/items.csv", "/download"):
        response = get(client, tenant, "OWNER", f"/jobs/{foreign.id}{path}")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    response = client.post(f"/api/v1/jobs/{foreign.id}/abort", **tenant.auth("OWNER"))
    assert response.status_code == 404
    assert Job.objects.get(id=foreign.id).abort_requested is False


def test_list_filters_by_state_and_kind_and_refuses_unknown_states(client, tenant):
    make_job(tenant, tenant.admin, state=JobState.SUCCEEDED)
    running = make_job(tenant, tenant.admin, state=JobState.RUNNING)
    body = get(client, tenant, "ADMIN", "/jobs?state=RUNNING&kind=audit_export").json()
    assert [j["id"] for j in body["items"]] == [running.id]
    response = get(client, tenant, "ADMIN", "/jobs?state=SLEEPING")
    assert response.status_code == 422
    assert "state" in response.json()["error"]["fields"]


def test_list_pages_with_a_cursor(client, tenant):
    ids = {make_job(tenant, tenant.admin).id for _ in range(5)}
    first = get(client, tenant, "ADMIN", "/jobs?limit=3").json()
    assert first["pagination"]["has_more"] is True
    second = get(
        client, tenant, "ADMIN", f"/jobs?limit=3&cursor={first['pagination']['next_cursor']}"
    ).json()
    assert second["pagination"] == {"has_more": False, "next_cursor": None}
    seen = [j["id"] for j in first["items"] + second["items"]]
    assert len(seen) == 5 and set(seen) == ids


def test_get_returns_the_result_and_peek_leaves_it_out(client, tenant):
    job = make_job(
        tenant,
        tenant.admin,
        state=JobState.SUCCEEDED,
        result={"rows": 3},
        progress_done=3,
        progress_total=3,
        finished_at=timezone.now(),
    )
    full = get(client, tenant, "ADMIN", f"/jobs/{job.id}").json()
    peek = get(client, tenant, "ADMIN", f"/jobs/{job.id}/peek").json()
    assert full["result"] == {"rows": 3} and full["has_result"] is True
    assert peek["result"] is None and peek["has_result"] is True
    assert peek["progress"] == {"done": 3, "total": 3, "stage": "", "message": ""}


def test_a_member_cannot_abort_someone_elses_job(client, tenant):
    job = make_job(tenant, tenant.admin)
    response = client.post(f"/api/v1/jobs/{job.id}/abort", **tenant.auth("MEMBER"))
    assert response.status_code == 404
    assert Job.objects.get(id=job.id).state == JobState.QUEUED


def test_items_are_paged_filtered_by_status_and_downloadable_as_csv(client, tenant):
    job = make_job(tenant, tenant.admin, state=JobState.SUCCEEDED)
    JobItem.objects.bulk_create(
        [
            JobItem(
                job=job,
                seq=i,
                status="SUCCESS" if i % 3 else "ERROR",
                key=f"k{i}",
                error_code="" if i % 3 else "KEY_TAKEN",
                message="" if i % 3 else "taken",
            )
            for i in range(10)
        ]
    )
    first = get(client, tenant, "ADMIN", f"/jobs/{job.id}/items?limit=4").json()
    assert [i["seq"] for i in first["items"]] == [0, 1, 2, 3]
    cursor = first["pagination"]["next_cursor"]
    rest = get(client, tenant, "ADMIN", f"/jobs/{job.id}/items?limit=50&cursor={cursor}").json()
    assert [i["seq"] for i in rest["items"]] == [4, 5, 6, 7, 8, 9]
    errors = get(client, tenant, "ADMIN", f"/jobs/{job.id}/items?status=ERROR").json()["items"]
    assert [(i["seq"], i["error_code"]) for i in errors] == [
        (0, "KEY_TAKEN"),
        (3, "KEY_TAKEN"),
        (6, "KEY_TAKEN"),
        (9, "KEY_TAKEN"),
    ]
    response = get(client, tenant, "ADMIN", f"/jobs/{job.id}/items.csv")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "seq,status,key,error_code,message,data"
    assert len(lines) == 11
    assert get(client, tenant, "ADMIN", f"/jobs/{job.id}/items?cursor=abc").status_code == 422


def test_items_and_their_csv_filter_by_error_code(client, tenant):
    job = make_job(tenant, tenant.admin, state=JobState.SUCCEEDED)
    codes = ["", "KEY_TAKEN", "NOT_FOUND", "KEY_TAKEN", "", "NOT_FOUND", "KEY_TAKEN"]
    JobItem.objects.bulk_create(
        [
            JobItem(job=job, seq=i, status="ERROR" if c else "SUCCESS", key=f"k{i}", error_code=c)
            for i, c in enumerate(codes)
        ]
    )
    url = f"/jobs/{job.id}/items"
    taken = get(client, tenant, "ADMIN", f"{url}?error_code=KEY_TAKEN&limit=2").json()
    rest = get(
        client,
        tenant,
        "ADMIN",
        f"{url}?error_code=KEY_TAKEN&cursor={taken['pagination']['next_cursor']}",
    ).json()
    both = get(client, tenant, "ADMIN", f"{url}?status=ERROR&error_code=NOT_FOUND").json()
    none = get(client, tenant, "ADMIN", f"{url}?status=SUCCESS&error_code=NOT_FOUND").json()
    csv_body = get(client, tenant, "ADMIN", f"{url}.csv?error_code=NOT_FOUND")

    assert [i["seq"] for i in taken["items"]] == [1, 3]
    assert [i["seq"] for i in rest["items"]] == [6]
    assert [i["key"] for i in both["items"]] == ["k2", "k5"]
    assert none["items"] == []
    lines = b"".join(csv_body.streaming_content).decode().splitlines()
    assert [line.split(",")[:4] for line in lines[1:]] == [
        ["2", "ERROR", "k2", "NOT_FOUND"],
        ["5", "ERROR", "k5", "NOT_FOUND"],
    ]
    too_long = get(client, tenant, "ADMIN", f"{url}?error_code={'X' * 65}")
    assert too_long.status_code == 422
    assert "error_code" in too_long.json()["error"]["fields"]


def test_download_of_a_job_without_a_file_is_a_clear_404(client, tenant):
    job = make_job(tenant, tenant.admin, state=JobState.RUNNING)
    response = get(client, tenant, "ADMIN", f"/jobs/{job.id}/download")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_result_file"


def test_export_post_with_an_idempotency_key_returns_the_same_job(client, tenant):
    headers = {**tenant.auth("ADMIN"), "HTTP_IDEMPOTENCY_KEY": "retry-1"}
    first = client.post(
        "/api/v1/audit/exports", data={}, content_type="application/json", **headers
    )
    second = client.post(
        "/api/v1/audit/exports", data={}, content_type="application/json", **headers
    )
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert Job.objects.filter(kind="audit_export").count() == 1


def test_export_refuses_unknown_filters_and_bad_times(client, tenant):
    response = client.post(
        "/api/v1/audit/exports",
        data={"colour": "red"},
        content_type="application/json",
        **tenant.auth("ADMIN"),
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"colour": ["Unknown field."]}
    response = client.post(
        "/api/v1/audit/exports",
        data={"since": "yesterday"},
        content_type="application/json",
        **tenant.auth("ADMIN"),
    )
    assert response.status_code == 422
    assert "since" in response.json()["error"]["fields"]
    assert not Job.objects.exists()


def test_a_space_token_lists_polls_and_aborts_its_own_jobs_and_sees_no_other(client, tenant):
    from adminapp.accounts import principals
    from adminapp.jobs.services import job_create
    from tests.jobs.kinds import Count
    from tests.spaces.factories import bearer, make_space, make_token

    space = make_space(tenant, "Research")
    token, secret = make_token(tenant, space)
    _, other_secret = make_token(tenant, space)
    actor = principals.for_space_token(
        token_id=token.id, org_id=tenant.org.id, space_id=space.id, role=token.role, label="bot"
    )
    own, _ = job_create(actor=actor, kind=Count, params={"n": 3})
    someone_elses = make_job(tenant, tenant.admin)
    auth = bearer(secret)

    listed = client.get("/api/v1/jobs", **auth)
    assert listed.status_code == 200
    assert [j["id"] for j in listed.json()["items"]] == [own.id]
    polled = client.get(f"/api/v1/jobs/{own.id}/peek", **auth).json()
    assert (polled["state"], polled["owner"]) == ("QUEUED", "token:bot")
    aborted = client.post(f"/api/v1/jobs/{own.id}/abort", **auth).json()
    assert (aborted["state"], aborted["outcome"]) == ("ABORTED", "FAILURE")
    for path in (f"/jobs/{someone_elses.id}", f"/jobs/{own.id}"):
        other = client.get(f"/api/v1{path}", **bearer(other_secret))
        assert other.status_code == 404, path
    assert client.post(f"/api/v1/jobs/{someone_elses.id}/abort", **auth).status_code == 404
    assert Job.objects.get(id=someone_elses.id).abort_requested is False


def test_a_finished_job_says_its_outcome_counts_label_and_whether_it_has_a_file(
    client, tenant, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "audit-x.csv").write_text("id\n")
    done = make_job(
        tenant,
        tenant.admin,
        state=JobState.SUCCEEDED,
        outcome="PARTIAL_SUCCESS",
        items_succeeded=7,
        items_failed=2,
        result={"rows": 9},
        result_file="exports/audit-x.csv",
    )
    deleted = make_job(
        tenant, tenant.admin, kind="space_delete", state=JobState.SUCCEEDED, result={"x": 1}
    )
    body = get(client, tenant, "ADMIN", f"/jobs/{done.id}").json()
    assert body["label"] == "Audit log export"
    assert (body["outcome"], body["counts"]) == ("PARTIAL_SUCCESS", {"succeeded": 7, "failed": 2})
    assert (body["has_result"], body["has_file"]) == (True, True)
    space_delete = get(client, tenant, "ADMIN", f"/jobs/{deleted.id}").json()
    assert (space_delete["label"], space_delete["has_file"]) == ("Space deletion", False)
    queued = get(client, tenant, "ADMIN", f"/jobs/{make_job(tenant, tenant.admin).id}").json()
    assert (queued["outcome"], queued["has_file"]) == (None, False)


def test_a_file_this_server_cannot_see_is_not_offered_and_its_download_says_why(
    client, tenant, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path  # the worker wrote it on another machine
    job = make_job(
        tenant,
        tenant.admin,
        state=JobState.SUCCEEDED,
        result={"file": "audit-y.csv"},
        result_file="exports/audit-y.csv",
    )
    assert get(client, tenant, "ADMIN", f"/jobs/{job.id}").json()["has_file"] is False
    response = get(client, tenant, "ADMIN", f"/jobs/{job.id}/download")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "result_file_unavailable" and "MEDIA_ROOT" in error["message"]


def test_kinds_lists_every_registered_kind_by_label_for_any_member(client, tenant):
    from adminapp.jobs import kinds

    for role in ("OWNER", "ANNOTATOR"):
        response = get(client, tenant, role, "/jobs/kinds")
        assert response.status_code == 200
        listed = response.json()["kinds"]
        assert {"name": "audit_export", "label": "Audit log export", "makes_file": True} in listed
        assert {"name": "space_delete", "label": "Space deletion", "makes_file": False} in listed
        assert [k["name"] for k in listed] == [
            k.name for k in sorted(kinds.all_kinds(), key=lambda k: k.label.casefold())
        ]
    assert client.get("/api/v1/jobs/kinds").status_code == 401


def test_a_job_says_what_it_was_asked_to_do_and_whether_it_makes_a_file(client, tenant):
    from adminapp.client.types import AuditFilterParams
    from adminapp.exports.services import audit_export_start

    export = audit_export_start(
        actor=tenant.principal("ADMIN"), filters=AuditFilterParams(action="member.")
    )
    body = get(client, tenant, "ADMIN", f"/jobs/{export.id}").json()
    assert body["params"] == {
        "actor": None,
        "action": "member.",
        "target": None,
        "since": None,
        "until": None,
    }
    assert body["makes_file"] is True
    listed = get(client, tenant, "ADMIN", "/jobs").json()["items"][0]
    assert listed["params"]["action"] == "member." and listed["makes_file"] is True
