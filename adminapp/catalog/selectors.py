"""Reads for datasets and data rows.

A dataset or row exists for a caller when it is live, in the caller's organization, and
the caller has some permission in its space (``authz.require_in_space``): otherwise 404,
like a space. Some permission but not the one asked for is a 403.

Data rows are read through their dataset: every list is one dataset's rows, served by the
``(dataset, created_at, id)`` index (oldest first: the order they were added). The global key
filters go through the organization-wide unique index on ``LOWER(global_key)`` (exact) and,
on PostgreSQL, the ``(organization, LOWER(global_key) text_pattern_ops)`` index (prefix,
whose matches are listed in that index's byte order).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from adminapp import authz
from adminapp.authz import Permission
from adminapp.catalog import importers
from adminapp.catalog.keys import KEY_MAX, fold
from adminapp.catalog.models import DataRow, Dataset
from adminapp.client.types.catalog import ImportFormatInfo, ImportFormatList
from adminapp.core.errors import NotFound, ValidationFailed
from adminapp.core.pagination import (
    Page,
    check_limit,
    decode_key_cursor,
    encode_key_cursor,
    paginate,
)
from adminapp.core.principal import Principal
from adminapp.core.validation import name_key
from adminapp.spaces.selectors import space_get, space_queryset


def spaces_where(*, actor: Principal, permission: str) -> QuerySet:
    """The ids of the live spaces of the actor's organization where it holds the space
    ``permission``, as a queryset (a subquery in the jobs' SQL). Whoever administers spaces
    holds every space permission in every live space: no question per space then; anyone
    else is asked once per space they belong to."""
    spaces = space_queryset(actor=actor)
    if authz.space_visibility(actor).everything:
        return spaces.values_list("id", flat=True)
    ids = [
        space_id
        for space_id in spaces.values_list("id", flat=True)
        if authz.can_in_space(actor, space_id, permission)
    ]
    return spaces.filter(id__in=ids).values_list("id", flat=True)


def require_dataset(actor: Principal, dataset: Dataset, permission: str) -> None:
    """``permission`` in the dataset's space: none at all there is this dataset's 404."""
    _require(actor, dataset.space_id, permission, f"Dataset {dataset.id!r} not found.")


def require_data_row(actor: Principal, row: DataRow, permission: str) -> None:
    _require(actor, row.space_id, permission, f"Data row {row.id!r} not found.")


def _require(actor: Principal, space_id: str, permission: str, not_found: str) -> None:
    try:
        authz.require_in_space(actor, space_id, permission)
    except NotFound:
        raise NotFound(not_found) from None


def dataset_get(*, actor: Principal, dataset_id: str) -> Dataset:
    """A live dataset the caller may read."""
    dataset_id = (dataset_id or "").strip()
    found = Dataset.objects.filter(
        id=dataset_id, organization_id=actor.org_id, deleted_at__isnull=True
    ).first()
    if found is None:
        raise NotFound(f"Dataset {dataset_id!r} not found.")
    require_dataset(actor, found, Permission.DATASET_READ)
    return found


def dataset_list(
    *,
    actor: Principal,
    space: str,
    name: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """The live datasets of ``space`` (id or exact name), newest first; ``name`` is a
    substring in any letter case or Unicode form."""
    found = space_get(actor=actor, space=space)
    authz.require_in_space(actor, found.id, Permission.DATASET_READ)
    qs = Dataset.objects.filter(space_id=found.id, deleted_at__isnull=True)
    name = (name or "").strip()
    if name:
        qs = qs.filter(name_key__contains=name_key(name))
    return paginate(qs, limit=limit, cursor=cursor)


# --- data rows ------------------------------------------------------------------------------
def _with_key(queryset: QuerySet[DataRow], key: str) -> QuerySet[DataRow]:
    """Rows whose key is ``key`` in any case: the unique index's own expression."""
    return (
        queryset.filter(global_key__isnull=False)
        .alias(key_folded=Lower("global_key"))
        .filter(key_folded=fold(key))
    )


def _clean_filter_key(value: str, field: str) -> str:
    value = value.strip()
    if not value or len(value) > KEY_MAX:
        raise ValidationFailed(
            f"{field} must be 1 to {KEY_MAX} characters.",
            fields={field: [f"1 to {KEY_MAX} characters."]},
        )
    return value


def data_row_get(*, actor: Principal, data_row_id: str) -> DataRow:
    """A row of a live dataset the caller may read."""
    data_row_id = (data_row_id or "").strip()
    row = DataRow.objects.filter(
        id=data_row_id, organization_id=actor.org_id, dataset__deleted_at__isnull=True
    ).first()
    if row is None:
        raise NotFound(f"Data row {data_row_id!r} not found.")
    require_data_row(actor, row, Permission.DATASET_READ)
    return row


def data_row_get_by_global_key(*, actor: Principal, global_key: str) -> DataRow:
    """The row with ``global_key`` (any case) in the caller's organization; 404 when there
    is none or the caller may not read it."""
    key = _clean_filter_key(global_key or "", "global_key")
    qs = DataRow.objects.filter(organization_id=actor.org_id, dataset__deleted_at__isnull=True)
    # At most one row holds a key in an organization: no ORDER BY (``first()`` would add
    # ``ORDER BY id``, and with millions of keyed rows PostgreSQL walked the primary key
    # hoping to meet it — seconds — instead of probing the unique index).
    row = next(iter(_with_key(qs, key).order_by()[:1]), None)
    if row is None or not authz.can_in_space(actor, row.space_id, Permission.DATASET_READ):
        raise NotFound(f"No data row has the global key {key!r}.")
    return row


def data_row_list(
    *,
    actor: Principal,
    dataset_id: str,
    external_id: str | None = None,
    global_key: str | None = None,
    global_key_prefix: str | None = None,
    has_global_key: bool | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """One dataset's rows in the order they were added, filtered by ``external_id``
    (exact), ``global_key`` (exact, any case) and ``has_global_key``. With
    ``global_key_prefix`` (any case) the rows come in key order instead (case-insensitive,
    byte order), walking the prefix index: a prefix that matches millions of keys costs no
    more than one that matches ten."""
    dataset = dataset_get(actor=actor, dataset_id=dataset_id)
    qs = DataRow.objects.filter(dataset_id=dataset.id)
    if external_id is not None and external_id.strip():
        qs = qs.filter(external_id=external_id.strip())
    if global_key is not None:
        key = _clean_filter_key(global_key, "global_key")
        qs = _with_key(qs.filter(organization_id=dataset.organization_id), key)
    if has_global_key is not None:
        qs = qs.filter(global_key__isnull=not has_global_key)
    if global_key_prefix is not None:
        prefix = _clean_filter_key(global_key_prefix, "global_key_prefix")
        qs = qs.filter(organization_id=dataset.organization_id, global_key__isnull=False)
        return _page_by_key(qs, prefix=fold(prefix), limit=limit, cursor=cursor)
    return paginate(qs, limit=limit, cursor=cursor, newest_first=False)


def _page_by_key(qs: QuerySet, *, prefix: str, limit: int, cursor: str | None) -> Page:
    """A page of rows whose folded key starts with ``prefix``, in folded-key byte order,
    walking ``datarow_key_prefix`` on PostgreSQL (``(organization, LOWER(global_key)
    text_pattern_ops)``: ``LIKE 'prefix%'``, then ``~>~`` and ``USING ~<~`` in its own order)
    — 50 entries read however many keys match. The cursor is the last folded key (unique in
    the organization). SQLite compares text bytewise already."""
    check_limit(limit)
    qs = qs.annotate(folded=Lower("global_key")).filter(folded__startswith=prefix)
    after = decode_key_cursor(cursor) if cursor else None
    if connection.vendor == "postgresql":
        if after is not None:
            qs = qs.filter(RawSQL("LOWER(global_key) ~>~ %s", [after], BooleanField()))
        # ORDER BY … USING is beyond the ORM's order_by(): the query is the ORM's, the order
        # and the limit are appended.
        sql, params = qs.order_by().query.sql_with_params()
        rows = list(
            DataRow.objects.raw(
                f"{sql} ORDER BY LOWER(global_key) USING ~<~ LIMIT %s", [*params, limit + 1]
            )
        )
    else:
        if after is not None:
            qs = qs.filter(folded__gt=after)
        rows = list(qs.order_by("folded")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].folded if has_more else None  # as the database folds it
    return Page(
        items=rows, has_more=has_more, next_cursor=encode_key_cursor(last) if last else None
    )


# --- what the permission check asks this domain ----------------------------------------------
def dataset_in_org(dataset_id: str, org_id: str) -> bool:
    return Dataset.objects.filter(
        id=dataset_id, organization_id=org_id, deleted_at__isnull=True
    ).exists()


def data_row_in_org(data_row_id: str, org_id: str) -> bool:
    return DataRow.objects.filter(
        id=data_row_id, organization_id=org_id, dataset__deleted_at__isnull=True
    ).exists()


# --- import formats ---------------------------------------------------------------------------
BUILT_IN_FORMATS = (
    (
        "csv",
        "CSV",
        "A header row (row_data, external_id, global_key, metadata), then rows.",
        [".csv"],
    ),
    ("jsonl", "JSON Lines", "One JSON object a line, with the same fields.", [".jsonl", ".ndjson"]),
)


def import_formats_list(*, actor: Principal) -> ImportFormatList:
    """What an import's ``format`` may be: the built-in formats, then the importers a higher
    layer registered (``catalog.importers``; the enabled plugins' importers). Anyone who can
    call the API may read it: it is the instance's configuration, no organization's data."""
    formats = [
        ImportFormatInfo(id=key, label=label, description=text, extensions=exts)
        for key, label, text, exts in BUILT_IN_FORMATS
    ]
    formats += [
        ImportFormatInfo(
            id=found.key,
            label=found.label,
            description=found.description,
            extensions=list(found.extensions),
            importer=True,
        )
        for found in importers.importers_list()
    ]
    return ImportFormatList(formats=formats)
