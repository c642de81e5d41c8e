"""Datasets and data rows through their services and selectors (SPEC §4)."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from adminapp.audit.models import AuditEvent
from adminapp.catalog import selectors, services
from adminapp.catalog.models import METADATA_MAX_BYTES, ROW_DATA_MAX, DataRow, Dataset
from adminapp.catalog.services.rows_checks import prepare_rows
from adminapp.catalog.services.rows_insert import insert_prepared
from adminapp.client.types import GlobalKeyErrorCode as Code
from adminapp.client.types import JobOutcome
from adminapp.core.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ValidationFailed,
)
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import JobState
from adminapp.spaces import services as space_services
from tests.catalog.factories import make_dataset, make_rows
from tests.factories import make_tenant
from tests.spaces.factories import make_space


@pytest.fixture
def space(tenant):
    return make_space(tenant, "Research")


@pytest.fixture
def dataset(space):
    return make_dataset(space=space, name="Images")


def admin(tenant):
    return tenant.principal("ADMIN")


def rows_of(*keys, prefix="https://example.com/img"):
    return [
        {"row_data": f"{prefix}/{i}.jpg", **({"global_key": k} if k is not None else {})}
        for i, k in enumerate(keys)
    ]


def create(tenant, dataset, rows, **kwargs):
    return services.data_rows_create(
        actor=admin(tenant), dataset_id=dataset.id, rows=rows, **kwargs
    )


def codes(outcomes):
    return [o.code if not o.ok else "OK" for o in outcomes]


def row_count(dataset) -> int:
    dataset.refresh_from_db(fields=["row_count"])
    assert dataset.row_count == DataRow.objects.filter(dataset=dataset).count()
    return dataset.row_count


# --- datasets ---------------------------------------------------------------------------------
def test_a_dataset_is_created_in_a_space_named_by_id_or_by_exact_name(tenant, space):
    by_id = services.dataset_create(actor=admin(tenant), space=space.id, name=" Images ")
    by_name = services.dataset_create(
        actor=admin(tenant), space="Research", name="Video", description="Clips"
    )
    assert (by_id.name, by_id.space_id, by_id.row_count) == ("Images", space.id, 0)
    assert (by_name.space_id, by_name.description) == (space.id, "Clips")
    assert AuditEvent.objects.filter(action="dataset.create", target_id=by_id.id).count() == 1
    with pytest.raises(NotFound):
        services.dataset_create(actor=admin(tenant), space="research", name="X")


@pytest.mark.parametrize("taken", ["IMAGES", "images", "Ｉｍａｇｅｓ"])
def test_a_name_is_unique_in_its_space_in_any_case_but_free_in_another(tenant, dataset, taken):
    with pytest.raises(Conflict) as exc:
        services.dataset_create(actor=admin(tenant), space="Research", name=taken)
    assert exc.value.status_code == 409 and "name" in exc.value.fields
    other = make_space(tenant, "Other")
    assert services.dataset_create(actor=admin(tenant), space=other.id, name=taken).id


def test_the_name_rule_is_a_database_constraint_so_a_lost_race_cannot_win(tenant, dataset):
    with pytest.raises(IntegrityError), transaction.atomic():
        Dataset.objects.create(
            organization_id=dataset.organization_id,
            space_id=dataset.space_id,
            name="iMAGES",
            name_key="images",
        )


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Required."), ("x" * 256, "At most 255 characters."), ("a\nb", "One line.")],
)
def test_bad_dataset_names_are_refused_naming_the_field(tenant, space, name, message):
    with pytest.raises(ValidationFailed) as exc:
        services.dataset_create(actor=admin(tenant), space=space.id, name=name)
    assert exc.value.fields == {"name": [message]}


def test_datasets_list_newest_first_in_keyset_pages_filtered_by_name(tenant, space):
    made = [make_dataset(space=space, name=f"Set {i}") for i in range(5)]
    make_dataset(space=make_space(tenant, "Elsewhere"), name="Set 9")
    first = selectors.dataset_list(actor=admin(tenant), space="Research", limit=3)
    second = selectors.dataset_list(
        actor=admin(tenant), space="Research", limit=3, cursor=first.next_cursor
    )
    assert [d.id for d in first.items + second.items] == [d.id for d in reversed(made)]
    assert not second.has_more
    found = selectors.dataset_list(actor=admin(tenant), space=space.id, name="SET 3")
    assert [d.name for d in found.items] == ["Set 3"]


def test_a_dataset_is_renamed_and_described_and_a_taken_name_is_a_conflict(tenant, dataset):
    make_dataset(space=dataset.space, name="Video")
    updated = services.dataset_update(
        actor=admin(tenant), dataset_id=dataset.id, name="Photos", description="All of them"
    )
    assert (updated.name, updated.description) == ("Photos", "All of them")
    with pytest.raises(Conflict):
        services.dataset_update(actor=admin(tenant), dataset_id=dataset.id, name="VIDEO")
    with pytest.raises(BadRequest):
        services.dataset_update(actor=admin(tenant), dataset_id=dataset.id)
    event = AuditEvent.objects.get(action="dataset.update", target_id=dataset.id)
    assert event.details["changes"]["name"] == {"from": "Images", "to": "Photos"}


def test_deleting_a_dataset_hides_it_at_once_and_its_job_frees_every_key(tenant, dataset):
    make_rows(dataset=dataset, n=5, keys=["k1", "k2", None, "k4", None])
    job = services.dataset_delete(actor=admin(tenant), dataset_id=dataset.id)
    assert job.kind == "dataset_delete" and job.state == JobState.QUEUED
    with pytest.raises(NotFound):
        selectors.dataset_get(actor=admin(tenant), dataset_id=dataset.id)
    assert selectors.dataset_list(actor=admin(tenant), space="Research").items == []
    with pytest.raises(NotFound):
        selectors.data_row_get_by_global_key(actor=admin(tenant), global_key="k1")
    replacement = make_dataset(space=dataset.space, name="Images")  # the name is free

    job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.result == {"dataset_id": dataset.id, "name": "Images", "rows_deleted": 5}
    assert not Dataset.objects.filter(id=dataset.id).exists()
    assert not DataRow.objects.filter(dataset_id=dataset.id).exists()
    _, outcomes = create(tenant, replacement, rows_of("K1", "k4"))
    assert codes(outcomes) == ["OK", "OK"]  # the keys are free again
    assert AuditEvent.objects.filter(action="dataset.purge", target_id=dataset.id).count() == 1


def test_deleting_a_space_purges_its_datasets_and_rows_and_frees_their_keys(tenant, space):
    first, second = make_dataset(space=space, name="A"), make_dataset(space=space, name="B")
    make_rows(dataset=first, n=3, keys=["a1", "a2", None])
    make_rows(dataset=second, n=2, keys=["b1", None])
    services.dataset_delete(actor=admin(tenant), dataset_id=second.id)  # half-deleted already
    keep = make_dataset(space=make_space(tenant, "Kept"), name="C")
    make_rows(dataset=keep, n=1, keys=["c1"])

    job = space_services.space_delete(actor=admin(tenant), space=space.id)
    job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.result["deleted"]["data_rows"] == 5
    assert job.result["deleted"]["datasets"] == 2
    assert not Dataset.objects.filter(space_id=space.id).exists()
    assert not DataRow.objects.filter(space_id=space.id).exists()
    other = make_dataset(space=keep.space, name="D")
    _, outcomes = create(tenant, other, rows_of("A1", "b1", "c1"))
    assert codes(outcomes) == ["OK", "OK", Code.KEY_TAKEN]


# --- data rows: the outcome of each row ----------------------------------------------------------
@pytest.mark.parametrize("n", [10, 1000])
def test_every_outcome_code_at_any_size_and_the_other_rows_are_created(tenant, dataset, n):
    make_rows(dataset=make_dataset(space=dataset.space, name="Old"), n=1, keys=["Taken-1"])
    keys = [f"key-{i}" for i in range(n)]
    keys[1] = "taken-1"  # another row has it, in another case
    keys[3] = "KEY-2"  # repeats row 2 in another case
    keys[5] = "bad  key"  # two spaces
    keys[7] = None  # no key at all
    status, outcomes = create(tenant, dataset, rows_of(*keys))
    expected = ["OK"] * n
    expected[1], expected[3], expected[5] = (
        Code.KEY_TAKEN,
        Code.DUPLICATE_IN_REQUEST,
        Code.INVALID_KEY,
    )
    assert codes(outcomes) == expected
    assert status == JobOutcome.PARTIAL_SUCCESS
    assert [o.index for o in outcomes] == list(range(n))
    assert "row 2" in outcomes[3].message
    assert row_count(dataset) == n - 3
    assert outcomes[7].row.global_key is None
    event = AuditEvent.objects.get(action="data_rows.create", target_id=dataset.id)
    assert event.details["created"] == n - 3
    assert event.details["errors"] == {"KEY_TAKEN": 1, "DUPLICATE_IN_REQUEST": 1, "INVALID_KEY": 1}
    assert AuditEvent.objects.filter(action="data_rows.create").count() == 1


def test_status_is_success_without_errors_and_failure_without_results(tenant, dataset):
    status, outcomes = create(tenant, dataset, rows_of("a", "b"))
    assert (status, codes(outcomes)) == (JobOutcome.SUCCESS, ["OK", "OK"])
    status, outcomes = create(tenant, dataset, rows_of("A", "B"))
    assert (status, codes(outcomes)) == (JobOutcome.FAILURE, [Code.KEY_TAKEN] * 2)
    assert row_count(dataset) == 2


def test_sanitize_stores_the_cleaned_key_and_marks_the_row(tenant, dataset):
    _, outcomes = create(
        tenant, dataset, rows_of("tab\there", "fine", "a  b"), on_invalid="sanitize"
    )
    assert codes(outcomes) == ["OK", "OK", "OK"]
    assert [(o.row.global_key, o.sanitized) for o in outcomes] == [
        ("tab_here", True),
        ("fine", False),
        ("a _b", True),
    ]
    # A sanitized key takes part in the duplicate and taken checks as stored.
    _, outcomes = create(
        tenant, dataset, rows_of("TAB\there", "x\ty", "x_Y"), on_invalid="sanitize"
    )
    assert codes(outcomes) == [Code.KEY_TAKEN, "OK", Code.DUPLICATE_IN_REQUEST]


def test_keys_are_unique_per_organization_in_any_case_not_across_organizations(tenant, dataset):
    make_rows(dataset=dataset, n=1, keys=["Shared-Key"])
    stranger = make_tenant()
    theirs = make_dataset(space=make_space(stranger, "Theirs"))
    assert make_rows(dataset=theirs, n=1, keys=["shared-key"])[0].global_key == "shared-key"
    _, outcomes = create(
        tenant, make_dataset(space=dataset.space, name="Two"), rows_of("SHARED-KEY")
    )
    assert codes(outcomes) == [Code.KEY_TAKEN]


def test_the_key_rule_is_a_database_constraint_in_any_case(tenant, dataset):
    [row] = make_rows(dataset=dataset, n=1, keys=["Robot"])
    with pytest.raises(IntegrityError), transaction.atomic():
        DataRow.objects.create(
            organization_id=row.organization_id,
            space_id=row.space_id,
            dataset_id=dataset.id,
            row_data="x",
            global_key="rOBOT",
        )


def test_a_row_that_loses_the_race_for_its_key_is_key_taken_not_an_error(tenant, dataset):
    """A key another row got first (committed before, or by a concurrent insert that won):
    the unique index refuses the row inside the set-based insert, and the outcome says
    KEY_TAKEN; the other rows go in and the count is exact."""
    make_rows(dataset=dataset, n=1, keys=["Raced"])
    prepared = prepare_rows(rows_of("free-1", "RACED", "free-2"), on_invalid="reject")
    outcomes = insert_prepared(dataset=dataset, prepared=prepared, taken=set())
    assert codes(outcomes) == ["OK", Code.KEY_TAKEN, "OK"]
    assert row_count(dataset) == 3


def test_the_rows_a_create_answers_with_are_the_rows_stored(tenant, dataset):
    """The created rows are not read back: what the answer says (id, times, content) must be
    what a later read finds."""
    rows = [
        {"row_data": "https://x/1.jpg", "external_id": "e1", "metadata": {"camera": "café"}},
        {"row_data": "plain", "global_key": "K-1", "metadata": {"n": [1, 2.5, None, True]}},
    ]
    _, outcomes = create(tenant, dataset, rows)

    def fields(row):
        return (
            row.id,
            row.dataset_id,
            row.space_id,
            row.organization_id,
            row.row_data,
            row.external_id,
            row.metadata,
            row.global_key,
            row.created_at,
            row.updated_at,
        )

    stored = {r.id: r for r in DataRow.objects.filter(dataset=dataset)}
    assert [fields(o.row) for o in outcomes] == [fields(stored[o.id]) for o in outcomes]
    assert stored[outcomes[0].id].metadata == {"camera": "café"}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("  https://x/a.jpg  ", "https://x/a.jpg"),  # printable ASCII: trimmed
        ("ｆｕｌｌ ｗｉｄｔｈ", "full width"),  # NFKC-normalised
        ("two\nlines", "two\nlines"),  # newlines allowed in row_data
    ],
)
def test_row_data_is_cleaned_the_same_whether_plain_ascii_or_not(tenant, dataset, given, stored):
    _, [outcome] = create(tenant, dataset, [{"row_data": given, "external_id": f" {given[:3]} "}])
    row = DataRow.objects.get(id=outcome.id)
    assert row.row_data == stored


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"row_data": "a\u200bb"}, "rows.0.row_data"),  # invisible, refused
        ({"row_data": "   "}, "rows.0.row_data"),  # only whitespace
        ({"row_data": "ok", "external_id": "two\nlines"}, "rows.0.external_id"),
        ({"row_data": "ok", "external_id": "x\x7f"}, "rows.0.external_id"),
    ],
)
def test_text_the_plain_path_does_not_cover_is_still_refused(tenant, dataset, row, field):
    with pytest.raises(ValidationFailed) as exc:
        create(tenant, dataset, [row])
    assert list(exc.value.fields) == [field]
    assert row_count(dataset) == 0


def test_rows_keep_the_order_they_were_given(tenant, dataset):
    rows = make_rows(dataset=dataset, n=300)
    page = selectors.data_row_list(actor=admin(tenant), dataset_id=dataset.id, limit=100)
    ids = [r.id for r in page.items]
    while page.has_more:
        page = selectors.data_row_list(
            actor=admin(tenant), dataset_id=dataset.id, limit=100, cursor=page.next_cursor
        )
        ids += [r.id for r in page.items]
    assert ids == [r.id for r in rows]


# --- data rows: limits and content -------------------------------------------------------------
def test_more_than_a_thousand_rows_is_a_413_pointing_to_file_import(tenant, dataset):
    with pytest.raises(PayloadTooLarge) as exc:
        create(tenant, dataset, rows_of(*[None] * 1001))
    assert exc.value.code == "too_many_items" and "import" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        create(tenant, dataset, [])
    assert exc.value.fields == {"rows": ["At least one row."]}
    assert row_count(dataset) == 0


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"row_data": ""}, "rows.1.row_data"),
        ({"row_data": "x" * (ROW_DATA_MAX + 1)}, "rows.1.row_data"),
        ({"row_data": "bell\x07"}, "rows.1.row_data"),
        ({"row_data": "ok", "external_id": "x" * 256}, "rows.1.external_id"),
        ({"row_data": "ok", "metadata": {"a": "x" * METADATA_MAX_BYTES}}, "rows.1.metadata"),
        ({"row_data": "ok", "metadata": {"nul": "a\x00b"}}, "rows.1.metadata"),
        ({"row_data": "ok", "metadata": {"n": float("nan")}}, "rows.1.metadata"),
        ({"row_data": "ok", "metadata": [1, 2]}, "rows.1.metadata"),
    ],
)
def test_a_row_with_bad_content_refuses_the_request_naming_it_and_writes_nothing(
    tenant, dataset, row, field
):
    with pytest.raises(ValidationFailed) as exc:
        create(tenant, dataset, [{"row_data": "fine", "global_key": "k"}, row])
    assert list(exc.value.fields) == [field]
    assert row_count(dataset) == 0
    assert not AuditEvent.objects.filter(action="data_rows.create").exists()


def test_metadata_up_to_the_limit_as_compact_json_is_kept_whole(tenant, dataset):
    filler = "x" * (METADATA_MAX_BYTES - len(json.dumps({"a": ""}, separators=(",", ":"))))
    metadata = {"a": filler}
    _, [outcome] = create(tenant, dataset, [{"row_data": "ok", "metadata": metadata}])
    assert outcome.ok
    assert DataRow.objects.get(id=outcome.row.id).metadata == metadata


# --- data rows: reads, update, delete ------------------------------------------------------------
def test_rows_are_filtered_by_external_id_and_by_key_exact_prefix_and_presence(tenant, dataset):
    rows = make_rows(dataset=dataset, n=4, keys=["Cam-A-1", "cam-a-2", "Cam-B-1", None])
    other = make_dataset(space=dataset.space, name="Other")
    make_rows(dataset=other, n=1, keys=["cam-a-3"])

    def ids(**filters):
        page = selectors.data_row_list(actor=admin(tenant), dataset_id=dataset.id, **filters)
        return [r.id for r in page.items]

    assert ids(global_key="CAM-A-1") == [rows[0].id]
    assert ids(global_key="cam-a-3") == []  # another dataset's row
    assert ids(global_key_prefix="CAM-a-") == [rows[0].id, rows[1].id]
    assert ids(has_global_key=False) == [rows[3].id]
    assert ids(has_global_key=True) == [r.id for r in rows[:3]]
    assert ids(external_id=rows[2].external_id) == [rows[2].id]
    with pytest.raises(ValidationFailed):
        ids(global_key_prefix="")


def test_a_row_is_found_by_its_key_in_any_case_and_404_when_absent(tenant, dataset):
    [row] = make_rows(dataset=dataset, n=1, keys=["Robot-7"])
    found = selectors.data_row_get_by_global_key(actor=admin(tenant), global_key="robot-7")
    assert found.id == row.id
    with pytest.raises(NotFound):
        selectors.data_row_get_by_global_key(actor=admin(tenant), global_key="robot-8")


def test_update_changes_content_but_never_the_key(tenant, dataset):
    [row] = make_rows(dataset=dataset, n=1, keys=["Keep"])
    updated = services.data_row_update(
        actor=admin(tenant), data_row_id=row.id, row_data="https://new", metadata={"a": [1]}
    )
    assert (updated.row_data, updated.metadata, updated.global_key) == (
        "https://new",
        {"a": [1]},
        "Keep",
    )
    with pytest.raises(BadRequest):
        services.data_row_update(actor=admin(tenant), data_row_id=row.id)
    with pytest.raises(ValidationFailed) as exc:
        services.data_row_update(actor=admin(tenant), data_row_id=row.id, external_id="x" * 256)
    assert list(exc.value.fields) == ["external_id"]


def test_deleting_a_row_frees_its_key_and_counts_one_less(tenant, dataset):
    rows = make_rows(dataset=dataset, n=3, keys=["gone", None, None])
    services.data_row_delete(actor=admin(tenant), data_row_id=rows[0].id)
    assert row_count(dataset) == 2
    _, outcomes = create(tenant, dataset, rows_of("GONE"))
    assert codes(outcomes) == ["OK"]
    assert row_count(dataset) == 3
    with pytest.raises(NotFound):
        services.data_row_delete(actor=admin(tenant), data_row_id=rows[0].id)


# --- permissions ----------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["READ_ONLY", "ANNOTATOR"])
def test_read_only_and_annotator_members_read_but_cannot_write(tenant, dataset, role):
    from tests.factories import add_member, principal_for
    from tests.spaces.factories import join, predefined

    user = tenant.annotator if role == "ANNOTATOR" else add_member(tenant.org)
    join(tenant, dataset.space, user, predefined(role))
    reader = principal_for(user, tenant.org)
    [row] = make_rows(dataset=dataset, n=1, keys=["seen"])
    assert selectors.dataset_get(actor=reader, dataset_id=dataset.id).id == dataset.id
    assert selectors.data_row_get_by_global_key(actor=reader, global_key="SEEN").id == row.id
    with pytest.raises(PermissionDenied):
        services.data_rows_create(actor=reader, dataset_id=dataset.id, rows=rows_of("x"))
    with pytest.raises(PermissionDenied):
        services.data_row_delete(actor=reader, data_row_id=row.id)
    with pytest.raises(PermissionDenied):
        services.dataset_create(actor=reader, space=dataset.space_id, name="Mine")
    assert row_count(dataset) == 1


def test_a_space_token_is_confined_to_its_space(tenant, dataset):
    from adminapp.accounts import principals

    elsewhere = make_dataset(space=make_space(tenant, "Elsewhere"), name="Far")
    [far_row] = make_rows(dataset=elsewhere, n=1, keys=["far"])
    token, _ = space_services.space_token_create(actor=admin(tenant), space=dataset.space_id)
    bot = principals.for_space_token(
        token_id=token.id,
        org_id=tenant.org.id,
        space_id=dataset.space_id,
        role=token.role,
        label="t",
    )
    _, outcomes = services.data_rows_create(actor=bot, dataset_id=dataset.id, rows=rows_of("near"))
    assert codes(outcomes) == ["OK"]
    with pytest.raises(NotFound):
        selectors.dataset_get(actor=bot, dataset_id=elsewhere.id)
    with pytest.raises(NotFound):
        services.data_rows_create(actor=bot, dataset_id=elsewhere.id, rows=rows_of("x"))
    with pytest.raises(NotFound):
        selectors.data_row_get(actor=bot, data_row_id=far_row.id)
    with pytest.raises(NotFound):
        selectors.data_row_get_by_global_key(actor=bot, global_key="far")


def test_another_organizations_ids_are_404(tenant, dataset):
    [row] = make_rows(dataset=dataset, n=1, keys=["mine"])
    stranger = make_tenant().principal("OWNER")
    for call in (
        lambda: selectors.dataset_get(actor=stranger, dataset_id=dataset.id),
        lambda: selectors.data_row_get(actor=stranger, data_row_id=row.id),
        lambda: selectors.data_row_get_by_global_key(actor=stranger, global_key="mine"),
        lambda: selectors.data_row_list(actor=stranger, dataset_id=dataset.id),
        lambda: services.dataset_delete(actor=stranger, dataset_id=dataset.id),
        lambda: services.data_row_update(actor=stranger, data_row_id=row.id, row_data="x"),
        lambda: services.data_rows_create(actor=stranger, dataset_id=dataset.id, rows=rows_of("x")),
    ):
        with pytest.raises(NotFound):
            call()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prefix index")
def test_the_key_prefix_filter_uses_the_prefix_index_on_postgresql(tenant, dataset):
    make_rows(dataset=dataset, n=1000, keys=[f"cam-{i}" for i in range(1000)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_datarow")
    with CaptureQueriesContext(connection) as captured:
        page = selectors.data_row_list(
            actor=admin(tenant), dataset_id=dataset.id, global_key_prefix="CAM-1"
        )
    assert len(page.items) == 50 and page.has_more  # cam-1, cam-10 … cam-199
    sql = captured.captured_queries[-1]["sql"]
    # At a thousand rows the planner may well prefer a bitmap scan and a sort of the few
    # matches (CI's did); at millions it must not have to. With sorting priced out, a plan
    # without a Sort exists only if the index itself yields the rows in the query's order.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "datarow_key_prefix" in plan, plan
    # In key order straight from the index: no sort of the matches, however many.
    assert "Sort" not in plan, plan


def test_a_row_by_key_is_one_probe_of_the_unique_index_not_a_walk_in_id_order(tenant, dataset):
    """With 10,000,000 keyed rows, ``first()``'s ORDER BY id made PostgreSQL walk the primary
    key hoping to meet the key (seconds per request); one row holds a key, so no order."""
    make_rows(dataset=dataset, n=50, keys=[f"cam-{i}" for i in range(50)])
    with CaptureQueriesContext(connection) as captured:
        row = selectors.data_row_get_by_global_key(actor=admin(tenant), global_key="CAM-7")
    assert row.global_key == "cam-7"
    (by_key,) = [q["sql"] for q in captured.captured_queries if "catalog_datarow" in q["sql"]]
    assert "ORDER BY" not in by_key


def test_a_key_prefix_lists_its_rows_in_key_order_page_by_page(tenant, dataset):
    """Any case, in key order (not the order added), each match once across pages; a
    cursor of another list is a 422, not a 500."""
    keys = [f"Cam-{i:02d}" for i in range(25, 0, -1)] + ["cam-b", "dog-1", "CAM-A"]
    rows = {r.global_key: r.id for r in make_rows(dataset=dataset, n=len(keys), keys=keys)}
    seen, cursor = [], None
    while True:
        page = selectors.data_row_list(
            actor=admin(tenant),
            dataset_id=dataset.id,
            global_key_prefix="caM-",
            limit=10,
            cursor=cursor,
        )
        seen += [r.id for r in page.items]
        if not page.has_more:
            break
        cursor = page.next_cursor
    wanted = sorted((k for k in keys if k.lower().startswith("cam-")), key=str.lower)
    assert seen == [rows[k] for k in wanted]
    assert len(seen) == 27
    time_cursor = selectors.data_row_list(actor=admin(tenant), dataset_id=dataset.id, limit=1)
    for bad in (time_cursor.next_cursor, "not-a-cursor", "WyJrIiwiXHUwMDAwIl0"):
        with pytest.raises(ValidationFailed):
            selectors.data_row_list(
                actor=admin(tenant), dataset_id=dataset.id, global_key_prefix="cam-", cursor=bad
            )
