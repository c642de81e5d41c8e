"""The engine's guarantees, proved once on a test kind (``tests.jobs.kinds``), for every kind:
each chunk applied exactly once with its outcomes, abort between chunks, a lost claim never
committing, the outcome rule, owners re-checked before each chunk. Run in-process through
the same ``job_run`` the Celery task calls; the worker tests prove the same with processes."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from adminapp.accounts import principals
from adminapp.accounts.models import ApiKey, OrgMembership
from adminapp.audit.models import AuditEvent
from adminapp.core import crypto
from adminapp.jobs.engine import job_claim, job_run
from adminapp.jobs.models import Job, JobItem, JobItemStatus, JobState
from adminapp.jobs.services import job_create
from tests.factories import add_member, make_key
from tests.jobs.kinds import (
    APPLIED,
    ASKED_PAST_LAST,
    Count,
    CountAsAuditor,
    CountFixed,
    CountParams,
)
from tests.spaces.factories import make_space, make_token

pytestmark = pytest.mark.django_db


def start(actor, **params) -> Job:
    job, _ = job_create(actor=actor, kind=Count, params=CountParams(**params))
    return job


def start_as_auditor(actor, **params) -> Job:
    job, _ = job_create(actor=actor, kind=CountAsAuditor, params=CountParams(**params))
    return job


def run(job: Job) -> Job:
    job_run(job_id=job.id)
    job.refresh_from_db()
    return job


def applied(job: Job) -> Counter:
    """How many times each item of the job was really applied."""
    targets = AuditEvent.objects.filter(action=APPLIED, target_id__startswith=f"{job.id}:")
    return Counter(int(t.split(":")[1]) for t in targets.values_list("target_id", flat=True))


# Each guarantee holds whether the kind marks its final chunk ``last`` (the job then finishes
# in that chunk's transaction) or not (it finishes in a write of its own after it).
last_marked = pytest.mark.parametrize("mark_last", [False, True], ids=["unmarked", "last"])


@last_marked
def test_every_chunk_is_applied_once_with_its_outcomes_numbered_in_order(tenant, mark_last):
    job = run(start(tenant.principal("ADMIN"), n=25, per_chunk=10, mark_last=mark_last))

    assert (job.state, job.outcome) == (JobState.SUCCEEDED, "SUCCESS")
    assert applied(job) == Counter(range(1, 26))
    items = list(JobItem.objects.filter(job=job).order_by("seq"))
    assert [i.seq for i in items] == list(range(25))
    assert [i.key for i in items] == [str(n) for n in range(1, 26)]
    assert (job.progress_done, job.progress_total) == (25, 25)
    assert (job.items_succeeded, job.items_failed) == (25, 0)
    assert job.result == {"applied": 25}
    assert job.checkpoint["after"] == 25
    assert (job.stage, job.message) == ("done", "25 of 25 items")
    assert job.finished_at is not None


@pytest.mark.parametrize(
    ("fail_every", "outcome", "counts"),
    [
        (0, "SUCCESS", (12, 0)),  # no errors
        (3, "PARTIAL_SUCCESS", (8, 4)),  # errors and at least one result
        (1, "FAILURE", (0, 12)),  # errors and no result
    ],
)
def test_the_outcome_follows_the_item_errors_beside_the_state(tenant, fail_every, outcome, counts):
    job = run(start(tenant.principal("ADMIN"), n=12, per_chunk=5, fail_every=fail_every))

    assert job.state == JobState.SUCCEEDED  # the job ran to its end either way
    assert job.outcome == outcome
    assert (job.items_succeeded, job.items_failed) == counts
    errors = JobItem.objects.filter(job=job, status="ERROR")
    assert errors.count() == counts[1]
    assert all(e.error_code == "odd_item" for e in errors)


@pytest.mark.parametrize("raise_in_chunk", [2, 3], ids=["a middle chunk", "the final chunk"])
@last_marked
def test_a_chunk_that_fails_leaves_nothing_of_itself_and_fails_the_job(
    tenant, mark_last, raise_in_chunk
):
    job = run(
        start(
            tenant.principal("ADMIN"),
            n=40,
            per_chunk=10,
            raise_in_chunk=raise_in_chunk,
            mark_last=mark_last,
        )
    )

    assert (job.state, job.outcome, job.error_code) == (
        JobState.FAILED,
        "FAILURE",
        "internal_error",
    )
    assert f"planted failure in chunk {raise_in_chunk}" in job.error_message
    # The chunks before it were committed with their outcomes; it wrote its ten items,
    # then raised: none of them, and none of its outcomes, are left.
    kept = raise_in_chunk * 10
    assert applied(job) == Counter(range(1, kept + 1))
    assert JobItem.objects.filter(job=job).count() == kept
    assert (job.progress_done, job.checkpoint["after"]) == (kept, kept)
    assert job.result is None


@last_marked
def test_an_abort_stops_the_job_between_chunks_and_keeps_what_was_done(tenant, mark_last):
    job = run(
        start(tenant.principal("ADMIN"), n=50, per_chunk=10, abort_in_chunk=1, mark_last=mark_last)
    )

    assert (job.state, job.outcome) == (JobState.ABORTED, "PARTIAL_SUCCESS")
    assert applied(job) == Counter(range(1, 21))  # the chunk that was running finished
    assert JobItem.objects.filter(job=job).count() == 20
    assert job.result is None


@pytest.mark.parametrize("steal_before_chunk", [1, 2], ids=["a middle chunk", "the final chunk"])
@last_marked
def test_a_worker_that_lost_its_claim_commits_nothing_and_the_next_attempt_finishes_once(
    tenant, mark_last, steal_before_chunk
):
    job = start(
        tenant.principal("ADMIN"),
        n=30,
        per_chunk=10,
        steal_before_chunk=steal_before_chunk,
        mark_last=mark_last,
    )
    job = run(job)  # the chunks before it commit; then the reaper gives the job to attempt 2

    assert job.state == JobState.RUNNING and job.attempts == 2
    assert applied(job) == Counter(range(1, steal_before_chunk * 10 + 1))
    # The reaper's requeue, and the second worker's delivery:
    Job.objects.filter(id=job.id).update(state=JobState.QUEUED)
    job.params = {**job.params, "steal_before_chunk": None}
    Job.objects.filter(id=job.id).update(params=job.params)
    job = run(job)

    assert (job.state, job.attempts) == (JobState.SUCCEEDED, 3)
    assert applied(job) == Counter(range(1, 31))  # every item exactly once
    assert [i.seq for i in JobItem.objects.filter(job=job).order_by("seq")] == list(range(30))
    assert job.items_succeeded == 30


# --- a final chunk marked last ---------------------------------------------------------------
def job_writes(job: Job) -> list[str]:
    """The UPDATEs of the job's row while it runs (on PostgreSQL a chunk's few item
    outcomes ride on its checkpoint's UPDATE, in a WITH before it)."""
    with CaptureQueriesContext(connection) as captured:
        job_run(job_id=job.id)
    table = Job._meta.db_table
    return [q["sql"] for q in captured if f'UPDATE "{table}"' in q["sql"]]


def test_a_chunks_few_outcomes_are_written_in_its_checkpoints_statement(tenant):
    """On PostgreSQL each chunk's items go with its checkpoint (one statement, not two);
    numbered and stored as ``record`` stores them."""
    job = start(tenant.principal("ADMIN"), n=25, per_chunk=10, mark_last=True)
    with CaptureQueriesContext(connection) as captured:
        job_run(job_id=job.id)
    item_inserts = [q["sql"] for q in captured if JobItem._meta.db_table in q["sql"]]
    postgres = connection.vendor == "postgresql"
    assert len(item_inserts) == 3
    assert all(q.startswith("WITH items AS (INSERT") == postgres for q in item_inserts)
    items = list(JobItem.objects.filter(job=job).order_by("seq"))
    assert [i.seq for i in items] == list(range(25))
    assert {(i.status, type(i.data)) for i in items} == {(JobItemStatus.SUCCESS, dict)}


def test_a_job_whose_final_chunk_is_marked_last_finishes_in_its_transaction(tenant):
    """The same job, the same result, one write of the job row fewer: the finish rides on the
    last chunk's own checkpoint write; and nothing is asked of the kind past that chunk."""
    actor = tenant.principal("ADMIN")
    plain, marked = (
        start(actor, n=25, per_chunk=10),
        start(actor, n=25, per_chunk=10, mark_last=True),
    )

    plain_writes, marked_writes = job_writes(plain), job_writes(marked)

    assert len(plain_writes) == 6  # the claim, the plan, three chunks, then the finish
    assert len(marked_writes) == len(plain_writes) - 1
    assert "SUCCEEDED" in marked_writes[-1] and '"checkpoint"' in marked_writes[-1]
    plain.refresh_from_db()
    marked.refresh_from_db()
    fields = ("state", "outcome", "result", "progress_done", "stage", "message", "items_succeeded")
    assert [getattr(marked, f) for f in fields] == [getattr(plain, f) for f in fields]
    assert ASKED_PAST_LAST[marked.id] == 0


def test_a_kind_whose_total_is_fixed_shows_it_while_queued_and_writes_no_plan(tenant):
    job, _ = job_create(
        actor=tenant.principal("ADMIN"), kind=CountFixed, params=CountParams(n=30, mark_last=True)
    )
    assert (job.state, job.progress_total) == (JobState.QUEUED, 30)  # "0 of 30" at once

    writes = job_writes(job)

    assert len(writes) == 4  # the claim and three chunks, the last one finishing the job
    job.refresh_from_db()
    assert (job.state, job.progress_done, job.progress_total) == (JobState.SUCCEEDED, 30, 30)
    assert applied(job) == Counter(range(1, 31))


def test_an_abort_requested_just_before_the_last_chunk_stops_it(tenant):
    job = run(
        start(tenant.principal("ADMIN"), n=5, per_chunk=10, mark_last=True, abort_before_chunk=0)
    )
    assert (job.state, job.outcome, job.result) == (JobState.ABORTED, "FAILURE", None)
    assert applied(job) == Counter()
    assert not JobItem.objects.filter(job=job).exists()


def test_the_owner_is_checked_again_just_before_a_one_chunk_jobs_only_chunk(tenant):
    """Checked as the job starts (a live key), the key revoked while its only chunk is
    prepared: the chunk never applies."""
    _, actor = _key_principal(tenant)
    job = run(start(actor, n=5, per_chunk=10, mark_last=True, revoke_before_chunk=0))
    assert (job.state, job.error_code) == (JobState.FAILED, "owner_credential_revoked")
    assert applied(job) == Counter()
    assert not JobItem.objects.filter(job=job).exists()


def test_a_last_chunk_whose_result_fails_is_undone_and_fails_the_job(tenant):
    job = run(
        start(tenant.principal("ADMIN"), n=15, per_chunk=10, mark_last=True, result_raises=True)
    )
    assert (job.state, job.error_code) == (JobState.FAILED, "internal_error")
    assert "planted failure in result" in job.error_message
    assert applied(job) == Counter(range(1, 11))  # the first chunk only
    assert (job.progress_done, job.checkpoint["after"], job.result) == (10, 10, None)


@pytest.mark.parametrize(("times", "state"), [(1, JobState.SUCCEEDED), (2, JobState.FAILED)])
def test_a_kind_that_distrusts_its_checkpoint_starts_over_once_per_delivery(tenant, times, state):
    job = run(start(tenant.principal("ADMIN"), n=20, per_chunk=10, start_over=times))
    assert job.state == JobState.SUCCEEDED and applied(job) == Counter(range(1, 21))
    Job.objects.filter(id=job.id).update(state=JobState.QUEUED)  # delivered once more

    job = run(job)

    assert job.state == state
    if state == JobState.SUCCEEDED:  # the outcomes were recorded anew, once each
        assert [i.seq for i in JobItem.objects.filter(job=job).order_by("seq")] == list(range(20))
        assert (job.items_succeeded, job.progress_done) == (20, 20)
    else:
        assert job.error_code == "start_over_failed"


def test_a_second_delivery_of_a_finished_job_is_a_no_op(tenant):
    job = run(start(tenant.principal("ADMIN"), n=5))
    assert job_claim(job_id=job.id) is None
    job = run(job)
    assert job.attempts == 1 and applied(job) == Counter(range(1, 6))


def test_a_kind_no_worker_knows_fails_the_job_saying_so(tenant):
    job = start(tenant.principal("ADMIN"), n=1)
    Job.objects.filter(id=job.id).update(kind="gone_kind")
    job = run(job)
    assert (job.state, job.outcome, job.error_code) == (JobState.FAILED, "FAILURE", "unknown_kind")


def test_params_that_no_longer_fit_the_kind_fail_the_job_clearly(tenant):
    job = start(tenant.principal("ADMIN"), n=1)
    Job.objects.filter(id=job.id).update(params={"n": "many"})
    job = run(job)
    assert (job.state, job.error_code) == (JobState.FAILED, "invalid_params")


# --- the owner, re-checked before every chunk -----------------------------------------------
def _key_principal(tenant, role="ADMIN"):
    secret = make_key(getattr(tenant, role.lower()), tenant.org)
    key = ApiKey.objects.get(digest=crypto.digest(secret))
    return key, principals.for_membership(
        OrgMembership.objects.select_related("user").get(
            user=getattr(tenant, role.lower()), organization=tenant.org
        ),
        key_id=key.id,
    )


def test_a_job_fails_once_the_key_that_started_it_is_revoked(tenant):
    key, actor = _key_principal(tenant)
    job = start(actor, n=5)
    ApiKey.objects.filter(id=key.id).update(revoked_at=timezone.now())
    job = run(job)
    assert (job.state, job.error_code) == (JobState.FAILED, "owner_credential_revoked")
    assert applied(job) == Counter()


def test_a_job_fails_once_the_key_that_started_it_expires(tenant):
    key, actor = _key_principal(tenant)
    job = start(actor, n=5)
    ApiKey.objects.filter(id=key.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert run(job).error_code == "owner_credential_expired"


@pytest.mark.parametrize(("role", "state"), [("ADMIN", "SUCCEEDED"), ("MEMBER", "FAILED")])
def test_a_service_keys_job_runs_with_the_keys_role_and_stops_once_it_is_revoked(
    tenant, role, state
):
    secret = make_key(tenant.owner, tenant.org, kind="SERVICE", role=role)
    key = ApiKey.objects.get(digest=crypto.digest(secret))
    actor = principals.for_service_key(
        key_id=key.id, org_id=tenant.org.id, role=role, label=key.label
    )
    job = run(start_as_auditor(actor, n=3))
    assert (job.state, job.owner_type) == (state, "service_key")
    if state == "FAILED":  # a MEMBER key does not hold audit.read, which the kind needs
        assert job.error_code == "owner_permission_lost"

    again = start_as_auditor(actor, n=3)
    ApiKey.objects.filter(id=key.id).update(revoked_at=timezone.now())
    assert run(again).error_code == "owner_credential_revoked"


def test_a_job_fails_once_its_owner_leaves_the_organization_or_is_deactivated(tenant):
    leaver, deactivated = add_member(tenant.org), add_member(tenant.org)
    jobs = {
        user: start(principals.for_user(user, org_id=tenant.org.id, role="MEMBER"), n=3)
        for user in (leaver, deactivated)
    }
    OrgMembership.objects.filter(user=leaver).delete()
    deactivated.is_active = False
    deactivated.save()
    assert run(jobs[leaver]).error_code == "owner_removed"
    assert run(jobs[deactivated]).error_code == "owner_deactivated"


def test_a_job_acts_with_the_role_its_owner_holds_now(tenant):
    space = make_space(tenant, "Research")
    admin = tenant.principal("ADMIN")  # sees every space
    job = start(admin, n=3, space=space.id)
    OrgMembership.objects.filter(user=tenant.admin).update(account_role="MEMBER")
    job = run(job)
    # Demoted to MEMBER and not a member of the space: it no longer exists for them.
    assert (job.state, job.error_code) == (JobState.FAILED, "not_found")


@pytest.mark.parametrize(("demoted_to", "state"), [("MEMBER", "FAILED"), ("OWNER", "SUCCEEDED")])
def test_a_job_stops_once_its_owner_no_longer_holds_the_permission_its_kind_needs(
    tenant, monkeypatch, demoted_to, state
):
    """The owner's role changes after the first chunk: the engine sees it before the second,
    and stops the job with a clear error when the kind's permission went with it."""
    job, _ = job_create(
        actor=tenant.principal("ADMIN"), kind=CountAsAuditor, params=CountParams(n=30)
    )
    real_apply = Count.apply

    def apply_then_change_role(self, ctx, chunk):
        outcomes = real_apply(self, ctx, chunk)
        OrgMembership.objects.filter(user=tenant.admin).update(account_role=demoted_to)
        return outcomes

    monkeypatch.setattr(Count, "apply", apply_then_change_role)
    job = run(job)

    assert job.state == state
    if state == "FAILED":
        assert job.error_code == "owner_permission_lost"
        assert tenant.admin.email in job.error_message and "audit.read" in job.error_message
        assert applied(job) == Counter(range(1, 11))  # the first chunk, and no more
    else:
        assert applied(job) == Counter(range(1, 31))


def test_a_job_whose_owner_lacks_the_permission_from_the_start_does_nothing(tenant):
    job, _ = job_create(
        actor=tenant.principal("ADMIN"), kind=CountAsAuditor, params=CountParams(n=5)
    )
    OrgMembership.objects.filter(user=tenant.admin).update(account_role="MEMBER")
    job = run(job)
    assert (job.state, job.error_code) == (JobState.FAILED, "owner_permission_lost")
    assert applied(job) == Counter() and job.progress_total is None


def test_a_job_started_by_a_space_token_runs_with_the_tokens_space_scope(tenant):
    space, other = make_space(tenant, "Research"), make_space(tenant, "Archive")
    token, _ = make_token(tenant, space)
    actor = principals.for_space_token(
        token_id=token.id, org_id=tenant.org.id, space_id=space.id, role=token.role, label="bot"
    )
    own = run(start(actor, n=3, space=space.id))
    elsewhere = run(start(actor, n=3, space=other.id))

    assert (own.state, own.outcome, own.owner_type) == (
        JobState.SUCCEEDED,
        "SUCCESS",
        "space_token",
    )
    assert (elsewhere.state, elsewhere.error_code) == (JobState.FAILED, "not_found")


def test_a_space_tokens_job_fails_once_the_token_is_deactivated(tenant):
    space = make_space(tenant, "Research")
    token, _ = make_token(tenant, space)
    actor = principals.for_space_token(
        token_id=token.id, org_id=tenant.org.id, space_id=space.id, role=token.role, label="bot"
    )
    job = start(actor, n=3, space=space.id)
    token.is_active = False
    token.save()
    assert run(job).error_code == "owner_credential_revoked"
