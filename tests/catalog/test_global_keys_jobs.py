"""Global key jobs (assign, clear, lookup, revert) run in-process through the engine's
``job_run``: every outcome code at 10 and at 20,000 items with small chunks (one policy at
every size), swaps, repeats across chunks, preview = the real run, revert with conflicts,
lookup order and nulls, exactly once across a lost worker, and the staging table dropped."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import F

from adminapp.catalog import staging
from adminapp.catalog.global_key_base import GlobalKeyJob
from adminapp.catalog.global_key_jobs import GlobalKeyClear, GlobalKeyLookup
from adminapp.catalog.models import DataRow
from adminapp.catalog.services.global_keys import (
    global_keys_assign,
    global_keys_clear,
    global_keys_exists,
    global_keys_lookup,
    global_keys_revert,
)
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job, JobItem, JobState
from adminapp.jobs.selectors import job_items_all
from tests.catalog.factories import make_dataset, make_rows
from tests.spaces.factories import join, make_space, predefined

pytestmark = pytest.mark.django_db


def run(job: Job) -> Job:
    job_run(job_id=job.id)
    job.refresh_from_db()
    return job


def items(job: Job) -> list[JobItem]:
    return list(job_items_all(job=job))


def keys_of(rows) -> list[str | None]:
    found = dict(
        DataRow.objects.filter(id__in=[r.id for r in rows]).values_list("id", "global_key")
    )
    return [found.get(r.id) for r in rows]


@pytest.fixture
def world(tenant):
    """The tenant's MEMBER may assign keys in "Writable" and only read "Readonly"."""
    writable, readonly = make_space(tenant, "Writable"), make_space(tenant, "Readonly")
    join(tenant, writable, tenant.member, predefined("MEMBER"))
    join(tenant, readonly, tenant.member, predefined("READ_ONLY"))

    class World:
        member = tenant.principal("MEMBER")
        admin = tenant.principal("ADMIN")
        rows_space = writable
        data = make_dataset(space=writable)
        locked = make_dataset(space=readonly)

    return World


def planted(world, n: int):
    """``n`` items for ``n`` fresh rows, with one of each outcome planted at the end, in
    the last chunks, and its expected code per position."""
    rows = make_rows(dataset=world.data, n=n)
    holder = make_rows(dataset=world.data, n=2, keys=["held-key", "kept"])
    other = make_rows(dataset=world.locked, n=1)
    inputs = [{"data_row_id": r.id, "global_key": f"key-{i}"} for i, r in enumerate(rows)]
    codes = [""] * n
    extra = [
        (
            {"data_row_id": rows[0].id.replace("dr_", "dr_x"), "global_key": "lost"},
            "DATA_ROW_NOT_FOUND",
        ),
        ({"data_row_id": other[0].id, "global_key": "elsewhere"}, "ACCESS_DENIED"),
        ({"data_row_id": holder[1].id, "global_key": "kept"}, ""),  # same key: unmodified
    ]
    # Replace four of the fresh rows' items to plant the rest in place.
    inputs[n - 4]["global_key"] = "bad\tkey"
    codes[n - 4] = "INVALID_KEY"
    inputs[n - 3]["global_key"] = "KEY-0"  # repeats item 0's key, chunks earlier
    codes[n - 3] = "DUPLICATE_IN_REQUEST"
    inputs[n - 2]["global_key"] = "Held-Key"
    codes[n - 2] = "KEY_TAKEN"
    inputs += [e[0] for e in extra]
    codes += [e[1] for e in extra]
    return rows, holder, inputs, codes


@pytest.mark.parametrize(("n", "chunk"), [(10, 3), (20_000, 2_500)])
def test_assign_reports_every_outcome_code_by_one_policy_at_every_size(world, settings, n, chunk):
    settings.GLOBAL_KEYS_CHUNK = chunk
    rows, holder, inputs, codes = planted(world, n)

    job = run(global_keys_assign(actor=world.member, items=inputs))

    assert (job.state, job.outcome) == (JobState.SUCCEEDED, "PARTIAL_SUCCESS")
    got = items(job)
    assert [i.seq for i in got] == list(range(len(inputs)))
    assert [i.error_code for i in got] == codes
    assert job.result["counts"] == dict(Counter(c or "SUCCESS" for c in codes))
    assert job.result["applied"] is True and job.result["changed"] == n - 3
    after = keys_of(rows)
    assert after[: n - 4] == [f"key-{i}" for i in range(n - 4)]
    assert after[n - 4 :] == [None, None, None, f"key-{n - 1}"]
    assert keys_of(holder) == ["held-key", "kept"]
    assert got[-1].data["changed"] is False and got[-1].status == "SUCCESS"
    assert not staging.exists(staging.table_name(job.id))  # dropped once finished
    assert not default_storage.exists(job.params["input"])


def test_a_preview_reports_exactly_what_the_real_run_does_and_changes_nothing(world, settings):
    settings.GLOBAL_KEYS_CHUNK = 4
    rows, holder, inputs, _ = planted(world, 12)
    before = keys_of(rows + holder)

    preview = run(global_keys_assign(actor=world.member, items=inputs, dry_run=True))
    assert keys_of(rows + holder) == before
    real = run(global_keys_assign(actor=world.member, items=inputs))

    def outcomes(job):
        return [(i.status, i.key, i.error_code, i.data) for i in items(job)]

    assert outcomes(preview) == outcomes(real)
    assert preview.result["counts"] == real.result["counts"]
    assert (preview.result["applied"], preview.result["dry_run"]) == (False, True)


def test_swaps_and_rotations_within_one_chunk_succeed(world, settings):
    settings.GLOBAL_KEYS_CHUNK = 10
    a, b, c = make_rows(dataset=world.data, n=3, keys=["A", "B", "C"])
    inputs = [
        {"data_row_id": a.id, "global_key": "B"},
        {"data_row_id": b.id, "global_key": "A"},
        {"data_row_id": c.id, "global_key": "c"},  # the same key in another case: a change
    ]
    job = run(global_keys_assign(actor=world.member, items=inputs))
    assert job.outcome == "SUCCESS"
    assert keys_of([a, b, c]) == ["B", "A", "c"]


def test_a_key_released_in_a_later_chunk_is_taken_for_an_earlier_one(world, settings):
    """The documented rule: items apply in input order, chunk by chunk."""
    settings.GLOBAL_KEYS_CHUNK = 1
    a, b = make_rows(dataset=world.data, n=2, keys=["A", "B"])
    inputs = [{"data_row_id": a.id, "global_key": "B"}, {"data_row_id": b.id, "global_key": "A"}]
    job = run(global_keys_assign(actor=world.member, items=inputs))
    assert [i.error_code for i in items(job)] == ["KEY_TAKEN", "KEY_TAKEN"]
    assert keys_of([a, b]) == ["A", "B"]


def test_a_failed_item_keeps_the_key_another_item_of_the_chunk_wanted(world, settings):
    """a gives its key to b only if a gets its new one; c holds what a wants."""
    settings.GLOBAL_KEYS_CHUNK = 10
    a, b, c = make_rows(dataset=world.data, n=3, keys=["one", None, "two"])
    inputs = [
        {"data_row_id": a.id, "global_key": "two"},
        {"data_row_id": b.id, "global_key": "one"},
    ]
    job = run(global_keys_assign(actor=world.member, items=inputs))
    assert [i.error_code for i in items(job)] == ["KEY_TAKEN", "KEY_TAKEN"]
    assert keys_of([a, b, c]) == ["one", None, "two"]


def test_sanitize_stores_the_cleaned_key_and_says_so(world):
    (row,) = make_rows(dataset=world.data, n=1)
    job = run(
        global_keys_assign(
            actor=world.member,
            items=[{"data_row_id": row.id, "global_key": " café  x "}],
            on_invalid="sanitize",
        )
    )
    (item,) = items(job)
    assert item.status == "SUCCESS" and item.data["sanitized"] is True
    assert keys_of([row]) == [item.data["global_key"]] == ["caf_ _x"]


def _first_chunk_then_lose_the_claim(monkeypatch):
    """The worker loses its claim after the first chunk committed (the reaper gave the job
    to another delivery), as a worker killed there would."""
    real = GlobalKeyJob.chunks

    def chunks(self, ctx, after):
        for number, chunk in enumerate(real(self, ctx, after)):
            if number == 1:
                Job.objects.filter(id=ctx.job_id).update(attempts=F("attempts") + 1)
            yield chunk

    monkeypatch.setattr(GlobalKeyJob, "chunks", chunks)


def test_a_rerun_after_a_lost_worker_applies_each_key_once_and_records_each_outcome_once(
    world, settings, monkeypatch
):
    settings.GLOBAL_KEYS_CHUNK = 5
    rows = make_rows(dataset=world.data, n=12, keys=[f"old-{i}" for i in range(12)])
    inputs = [{"data_row_id": r.id, "global_key": f"new-{i}"} for i, r in enumerate(rows)]
    with monkeypatch.context() as patch:
        _first_chunk_then_lose_the_claim(patch)
        job = run(global_keys_assign(actor=world.member, items=inputs))
    assert job.state == JobState.RUNNING and len(items(job)) == 5
    Job.objects.filter(id=job.id).update(state=JobState.QUEUED)  # the reaper's requeue

    job = run(job)

    assert (job.state, job.outcome) == (JobState.SUCCEEDED, "SUCCESS")
    got = items(job)
    assert [i.seq for i in got] == list(range(12))
    # Each applied once: every item saw the row's original key and changed it.
    assert [i.data["previous_global_key"] for i in got] == [f"old-{i}" for i in range(12)]
    assert all(i.data["changed"] for i in got)
    assert keys_of(rows) == [f"new-{i}" for i in range(12)]


def test_a_rerun_whose_staging_table_is_gone_starts_over(world, settings, monkeypatch):
    settings.GLOBAL_KEYS_CHUNK = 5
    rows = make_rows(dataset=world.data, n=12)
    inputs = [{"data_row_id": r.id, "global_key": f"k-{i}"} for i, r in enumerate(rows)]
    with monkeypatch.context() as patch:
        _first_chunk_then_lose_the_claim(patch)
        job = run(global_keys_assign(actor=world.member, items=inputs))
    staging.drop(staging.table_name(job.id))
    Job.objects.filter(id=job.id).update(state=JobState.QUEUED)

    job = run(job)

    assert job.state == JobState.SUCCEEDED
    got = items(job)
    assert [i.seq for i in got] == list(range(12))
    # From the start again: the first chunk's rows already held their new keys.
    assert [i.data["changed"] for i in got] == [False] * 5 + [True] * 7
    assert keys_of(rows) == [f"k-{i}" for i in range(12)]


class Killed(BaseException):
    """A worker process killed where it stood: nothing of ours catches it."""


@pytest.mark.django_db(transaction=True)  # the batches commit as they do on a worker
def test_a_delivery_killed_while_staging_leaves_what_it_staged_and_the_next_goes_on(
    world, monkeypatch
):
    """Staging commits batch by batch, so the next delivery skips what was staged rather
    than staging a million items again (under SIGKILLs every few seconds it would never
    get past staging)."""
    from adminapp.catalog.global_key_jobs import GlobalKeyAssign

    monkeypatch.setattr(staging, "LOAD_BATCH", 10)
    rows = make_rows(dataset=world.data, n=30)
    inputs = [{"data_row_id": r.id, "global_key": f"k-{i}"} for i, r in enumerate(rows)]
    inputs.append({"data_row_id": rows[3].id, "global_key": "again"})  # 30: row repeated
    inputs.append({"data_row_id": "dr_other", "global_key": "K-7"})  # 31: key repeated
    job = global_keys_assign(actor=world.member, items=inputs)
    staged, real = [], GlobalKeyAssign.staged

    def dies_at_25(self, pos, *args):
        if pos == 25:
            raise Killed
        staged.append(pos)
        return real(self, pos, *args)

    with monkeypatch.context() as patch:
        patch.setattr(GlobalKeyAssign, "staged", dies_at_25)
        with pytest.raises(Killed):
            job_run(job_id=job.id)
    assert staging.size(staging.table_name(job.id)) == 20  # two batches of 10 kept
    Job.objects.filter(id=job.id).update(state=JobState.QUEUED)  # the reaper's requeue

    def counted(self, pos, *args):
        staged.append(pos)
        return real(self, pos, *args)

    monkeypatch.setattr(GlobalKeyAssign, "staged", counted)
    job = run(job)

    assert job.state == JobState.SUCCEEDED
    assert staged == list(range(25)) + list(range(20, 32))  # 20-24 again, never 0-19
    got = items(job)
    assert [i.seq for i in got] == list(range(32))
    assert [i.error_code for i in got[:30]] == [""] * 30
    assert [i.error_code for i in got[30:]] == ["DUPLICATE_IN_REQUEST"] * 2
    assert keys_of(rows) == [f"k-{i}" for i in range(30)]


def resolve_while_planning(way: str, monkeypatch) -> None:
    """``resolved``: a clear resolves its items in one pass while planning (PostgreSQL, a
    large input); ``probe``: per chunk, one probe per key."""
    if way == "resolved" and connection.vendor != "postgresql":
        pytest.skip("resolving in one pass is PostgreSQL's")
    if way == "probe":
        monkeypatch.setattr(GlobalKeyClear, "JOIN_RATIO", 0)


@pytest.mark.parametrize("way", ["probe", "resolved"])
def test_clear_reports_not_found_access_denied_and_repeats(world, settings, monkeypatch, way):
    resolve_while_planning(way, monkeypatch)
    settings.GLOBAL_KEYS_CHUNK = 2
    mine = make_rows(dataset=world.data, n=2, keys=["one", "two"])
    theirs = make_rows(dataset=world.locked, n=1, keys=["three"])
    job = run(global_keys_clear(actor=world.member, keys=["ONE", "missing", "three", "one", "two"]))
    assert [(i.status, i.error_code) for i in items(job)] == [
        ("SUCCESS", ""),
        ("ERROR", "NOT_FOUND"),
        ("ERROR", "ACCESS_DENIED"),
        ("ERROR", "DUPLICATE_IN_REQUEST"),
        ("SUCCESS", ""),
    ]
    assert job.checkpoint["state"]["resolved"] is (way == "resolved")
    assert items(job)[0].data["data_row_id"] == mine[0].id
    assert keys_of(mine + theirs) == [None, None, "three"]


@pytest.mark.parametrize("way", ["probe", "resolved"])
def test_a_clear_acts_on_the_rows_holding_the_keys_when_its_chunk_runs(
    world, settings, monkeypatch, way
):
    """Keys that moved, changed case or appeared after the job was planned are cleared
    where they are when their chunk runs, and the outcome names that row and that key."""
    resolve_while_planning(way, monkeypatch)
    settings.GLOBAL_KEYS_CHUNK = 2
    one, two, keep = make_rows(dataset=world.data, n=3, keys=["one", "two", "keep"])
    planned = GlobalKeyClear.plan

    def then_change(self, ctx):
        total = planned(self, ctx)
        DataRow.objects.filter(id=one.id).update(global_key="One")  # its case changed
        DataRow.objects.filter(id=two.id).update(global_key=None)  # moved to a new row
        (moved,) = make_rows(dataset=world.data, n=1, keys=["two"])
        (late,) = make_rows(dataset=world.data, n=1, keys=["late"])  # assigned since
        then_change.rows = [moved, late]
        return total

    monkeypatch.setattr(GlobalKeyClear, "plan", then_change)
    job = run(global_keys_clear(actor=world.member, keys=["one", "two", "late", "gone"]))
    moved, late = then_change.rows
    assert [(i.error_code, i.data.get("data_row_id")) for i in items(job)] == [
        ("", one.id),
        ("", moved.id),
        ("", late.id),
        ("NOT_FOUND", None),
    ]
    assert items(job)[0].data["previous_global_key"] == "One"
    assert keys_of([one, two, keep, moved, late]) == [None, None, "keep", None, None]


@pytest.mark.parametrize("way", ["probe", "join"])
def test_lookup_answers_in_input_order_with_null_for_missing_or_unreadable(
    world, tenant, settings, monkeypatch, way
):
    if way == "join" and connection.vendor != "postgresql":
        pytest.skip("the one-pass join is PostgreSQL's")
    settings.GLOBAL_KEYS_CHUNK = 2
    settings.GLOBAL_KEYS_LOOKUP_JOIN_CHUNK = 3  # two join chunks
    if way == "probe":  # the input is never large enough to join
        monkeypatch.setattr(GlobalKeyLookup, "JOIN_RATIO", 0)
    a, b = make_rows(dataset=world.data, n=2, keys=["Alpha", "beta"])
    outsider_space = make_space(tenant, "Hidden")  # the member is not in it
    (hidden,) = make_rows(dataset=make_dataset(space=outsider_space), n=1, keys=["gamma"])
    keys = ["beta", "nope", "ALPHA", "gamma", "beta"]
    job = run(global_keys_lookup(actor=world.member, keys=keys))
    assert job.outcome == "SUCCESS"
    assert job.checkpoint["state"]["join"] is (way == "join")
    assert [(i.key, i.data["data_row_id"]) for i in items(job)] == [
        ("beta", b.id),
        ("nope", None),
        ("ALPHA", a.id),
        ("gamma", None),
        ("beta", b.id),
    ]
    admin = run(global_keys_lookup(actor=world.admin, keys=["gamma"]))
    assert items(admin)[0].data["data_row_id"] == hidden.id


def test_exists_answers_for_rows_the_caller_can_read(world, tenant):
    make_rows(dataset=world.data, n=1, keys=["Mine"])
    make_rows(dataset=make_dataset(space=make_space(tenant, "Hidden")), n=1, keys=["theirs"])
    assert global_keys_exists(actor=world.member, keys=["mine", "theirs", "none"]) == [
        True,
        False,
        False,
    ]
    assert global_keys_exists(actor=world.admin, keys=["theirs"]) == [True]


def test_revert_restores_what_the_job_changed_and_reports_conflicts(world, settings):
    settings.GLOBAL_KEYS_CHUNK = 2
    rows = make_rows(dataset=world.data, n=4, keys=["a", "b", None, "d"])
    inputs = [
        {"data_row_id": rows[0].id, "global_key": "b"},  # swap a <-> b
        {"data_row_id": rows[1].id, "global_key": "a"},
        {"data_row_id": rows[2].id, "global_key": "c"},
        {"data_row_id": rows[3].id, "global_key": "d"},  # unchanged: nothing to revert
    ]
    settings.GLOBAL_KEYS_CHUNK = 10
    assign = run(global_keys_assign(actor=world.member, items=inputs))
    assert keys_of(rows) == ["b", "a", "c", "d"]
    DataRow.objects.filter(id=rows[2].id).update(global_key="changed-since")

    revert = run(global_keys_revert(actor=world.member, job_id=assign.id))

    assert revert.outcome == "PARTIAL_SUCCESS"
    assert [(i.key, i.error_code) for i in items(revert)] == [
        (rows[0].id, ""),
        (rows[1].id, ""),
        (rows[2].id, "CONFLICT"),
    ]
    assert keys_of(rows) == ["a", "b", "changed-since", "d"]


def test_revert_of_a_clear_gives_the_keys_back(world):
    rows = make_rows(dataset=world.data, n=2, keys=["x", "y"])
    clear = run(global_keys_clear(actor=world.member, keys=["x", "y"]))
    assert keys_of(rows) == [None, None]
    make_rows(dataset=world.data, n=1, keys=["Y"])  # y was taken meanwhile
    revert = run(global_keys_revert(actor=world.member, job_id=clear.id))
    assert [i.error_code for i in items(revert)] == ["", "KEY_TAKEN"]
    assert keys_of(rows) == ["x", None]


@pytest.mark.parametrize("way", ["probe", "resolved"])
def test_a_clear_previewed_then_run_then_reverted_gives_back_each_key_as_it_was(
    world, settings, monkeypatch, way
):
    resolve_while_planning(way, monkeypatch)
    settings.GLOBAL_KEYS_CHUNK = 3
    rows = make_rows(dataset=world.data, n=4, keys=["One", "two", "THREE", "four"])
    (theirs,) = make_rows(dataset=world.locked, n=1, keys=["five"])
    keys = ["one", "Two", "five", "three", "nope", "ONE", "four"]

    preview = run(global_keys_clear(actor=world.member, keys=keys, dry_run=True))
    assert keys_of(rows + [theirs]) == ["One", "two", "THREE", "four", "five"]
    job = run(global_keys_clear(actor=world.member, keys=keys))

    def outcomes(j):
        return [(i.status, i.key, i.error_code, i.data) for i in items(j)]

    assert outcomes(preview) == outcomes(job)
    assert [
        (i.error_code, i.data["previous_global_key"], i.data["changed"]) for i in items(job)
    ] == [
        ("", "One", True),
        ("", "two", True),
        ("ACCESS_DENIED", "five", None),
        ("", "THREE", True),
        ("NOT_FOUND", None, None),
        ("DUPLICATE_IN_REQUEST", None, None),
        ("", "four", True),
    ]
    assert job.result["changed"] == 4 and job.result["counts"]["SUCCESS"] == 4
    assert keys_of(rows + [theirs]) == [None, None, None, None, "five"]
    revert = run(global_keys_revert(actor=world.member, job_id=job.id))
    assert revert.outcome == "SUCCESS"
    assert keys_of(rows + [theirs]) == ["One", "two", "THREE", "four", "five"]
