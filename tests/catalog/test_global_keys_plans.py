"""Global key jobs stay linear whatever the database's statistics say: a lookup and a clear
right after an assign — PostgreSQL still believing no row has a key, as after an import
before autovacuum's analyze — find rows by one probe of the unique index per key, and a
20,000-key lookup or clear takes about a second, not minutes (a planned join over every
keyed row × every staged key took minutes for the lookup and 108 s for the clear's release
step)."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from django.db import connection

from adminapp.catalog.global_key_base import GlobalKeyJob
from adminapp.catalog.models import DataRow
from adminapp.catalog.services.global_keys import (
    global_keys_assign,
    global_keys_clear,
    global_keys_lookup,
)
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job, JobState
from adminapp.jobs.selectors import job_items_all
from tests.catalog.factories import make_dataset, make_rows
from tests.spaces.factories import make_space

pytestmark = pytest.mark.django_db

BOUND_S = 20.0  # per job at 20,000 keys; ~1 s on this machine, minutes on the bad plans
INDEX = "datarow_global_key_ci_unique"


def run(job: Job) -> Job:
    job_run(job_id=job.id)
    job.refresh_from_db()
    return job


def stale_statistics() -> None:
    """Statistics of catalog_datarow taken while no row has a key (PostgreSQL). They stay
    so: autovacuum's analyze cannot see the keys the test's transaction writes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE catalog_datarow")


@contextmanager
def plans_of_key_probes():
    """The plans of the job statements that find a data row by its key (EXPLAIN, taken
    just before each runs, while the job's staging table exists)."""
    plans: list[str] = []

    def wrapper(execute, sql, params, many, context):
        if not many and "LOWER(h.global_key)" in sql:
            explain = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
            cursor = context["cursor"].cursor  # the driver's, outside these wrappers
            cursor.execute(explain + sql, params)
            plans.append("\n".join(str(row[-1]) for row in cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield plans


def assigned_after_stale_statistics(tenant, n: int, key: str):
    """An ADMIN and ``n`` rows given the keys ``key.format(i)`` by an assign right after the
    statistics were taken."""
    dataset = make_dataset(space=make_space(tenant, "Keys"))
    rows = make_rows(dataset=dataset, n=n)
    stale_statistics()
    admin = tenant.principal("ADMIN")
    inputs = [{"data_row_id": r.id, "global_key": key.format(i)} for i, r in enumerate(rows)]
    assert run(global_keys_assign(actor=admin, items=inputs)).outcome == "SUCCESS"
    return admin, rows


@pytest.fixture
def keyed(tenant, settings):
    """20,000 rows given keys by an assign right after the statistics were taken."""
    settings.GLOBAL_KEYS_CHUNK = 20_000
    admin, rows = assigned_after_stale_statistics(tenant, 20_000, "img/{}.jpg")
    return admin, rows, [f"IMG/{i}.jpg" for i in range(len(rows))]


def test_a_lookup_and_a_clear_of_20000_keys_right_after_their_assign_take_seconds(keyed):
    admin, rows, keys = keyed

    started = time.monotonic()
    lookup = run(global_keys_lookup(actor=admin, keys=keys))
    looked_up = time.monotonic() - started
    found = [i.data for i in job_items_all(job=lookup)]
    assert [d["data_row_id"] for d in found] == [r.id for r in rows]
    assert looked_up < BOUND_S

    started = time.monotonic()
    clear = run(global_keys_clear(actor=admin, keys=keys))
    cleared = time.monotonic() - started
    assert (clear.state, clear.outcome, clear.result["changed"]) == (
        JobState.SUCCEEDED,
        "SUCCESS",
        20_000,
    )
    assert not DataRow.objects.filter(
        dataset_id=rows[0].dataset_id, global_key__isnull=False
    ).exists()
    assert cleared < BOUND_S


def test_rows_are_found_by_key_through_the_unique_index_on_both_databases(
    tenant, settings, monkeypatch
):
    monkeypatch.setattr(GlobalKeyJob, "JOIN_RATIO", 0)  # one probe per key, never a join
    settings.GLOBAL_KEYS_CHUNK = 500
    dataset = make_dataset(space=make_space(tenant, "Keys"))
    rows = make_rows(dataset=dataset, n=1_000)
    stale_statistics()
    admin = tenant.principal("ADMIN")
    inputs = [{"data_row_id": r.id, "global_key": f"k-{i}"} for i, r in enumerate(rows)]
    swapped = [
        {"data_row_id": rows[0].id, "global_key": "k-1"},
        {"data_row_id": rows[1].id, "global_key": "k-0"},
    ]
    keys = [f"k-{i}" for i in range(len(rows))]

    with plans_of_key_probes() as plans:
        assert run(global_keys_assign(actor=admin, items=inputs)).outcome == "SUCCESS"
        assert run(global_keys_assign(actor=admin, items=swapped)).outcome == "SUCCESS"
        assert run(global_keys_lookup(actor=admin, keys=keys)).outcome == "SUCCESS"
        assert run(global_keys_clear(actor=admin, keys=keys)).outcome == "SUCCESS"
    assert not DataRow.objects.filter(dataset=dataset, global_key__isnull=False).exists()

    # KEY_TAKEN and the release (assign ×2), lock + resolve (clear), resolve (lookup)
    assert len(plans) >= 6
    if connection.vendor == "postgresql":
        # One descent of an index led by the organization, then the key: the unique index
        # or the prefix one (both so led); never an index whose first column the probe
        # does not give (a scan of all of it per item).
        def probes_by_org_and_key(plan: str) -> bool:
            return any(
                "Index Cond: " in line
                and "organization_id" in line
                and "lower((global_key)::text) = lower(" in line
                for line in plan.splitlines()
            )

        assert all(probes_by_org_and_key(plan) for plan in plans), plans
    else:  # a search by the key, not every key of the organization
        probes = [line for plan in plans for line in plan.splitlines() if INDEX in line]
        assert len(probes) >= len(plans)
        assert all(f"{INDEX} (organization_id=? AND <expr>=?)" in p for p in probes), probes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's one-pass join")
def test_a_large_lookup_or_clear_joins_by_hash_whatever_the_statistics_say(tenant, settings):
    """An input of at least a fifth of the organization's keys is matched in one pass: the
    lookup per chunk, the clear once while planning. Joined by hash, never by a nested loop
    over every keyed row, even with statistics taken before any row had a key."""
    settings.GLOBAL_KEYS_CHUNK = 500
    admin, rows = assigned_after_stale_statistics(tenant, 1_000, "k-{}")
    keys = [f"K-{i}" for i in range(len(rows))]

    with plans_of_key_probes() as plans:
        lookup = run(global_keys_lookup(actor=admin, keys=keys))
        clear = run(global_keys_clear(actor=admin, keys=keys))
    assert [i.data["data_row_id"] for i in job_items_all(job=lookup)] == [r.id for r in rows]
    assert (clear.outcome, clear.result["changed"]) == ("SUCCESS", 1_000)
    assert lookup.checkpoint["state"]["join"] and clear.checkpoint["state"]["resolved"]

    joins = [
        plan for plan in plans if any(f"Hash {j}Join" in plan for j in ("", "Left ", "Right "))
    ]
    assert len(joins) >= 2, plans  # the lookup's chunk and the clear's plan
    assert not any("Nested Loop" in plan for plan in joins), joins
