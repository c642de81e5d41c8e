"""Keyset (cursor) pagination: page 2,000 costs what page 1 costs (STYLE 6).

Rows are ordered by ``(created_at, id)`` (unique). The cursor is an opaque token carrying
the last row's sort key; the next page is "rows strictly after it", served by the index that
leads with the filter columns and ends with ``created_at, id``. No ``COUNT(*)`` ever.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.db.models import F, Func, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from ninja import Schema
from pydantic import Field

from adminapp.core.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


@dataclass
class Page:
    items: list[Any]
    has_more: bool
    next_cursor: str | None


def encode_cursor(created_at: datetime, pk: str) -> str:
    raw = json.dumps([created_at.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        created_at, pk = datetime.fromisoformat(created_at), str(pk)
        # Ours always carry UTC and a plain id; a forged time outside the datetime range or
        # a NUL in the id would otherwise crash the query (500) instead of being a 422.
        if created_at.tzinfo is None or "\x00" in pk:
            raise ValueError("not one of our cursors")
        return created_at.astimezone(UTC), pk
    except (ValueError, TypeError, OverflowError, binascii.Error) as exc:
        raise ValidationFailed(
            "The cursor is not valid; pass next_cursor from the previous page unchanged.",
            fields={"cursor": ["Invalid cursor."]},
        ) from exc


def check_limit(limit: int, max_limit: int = MAX_LIMIT) -> int:
    if not 1 <= limit <= max_limit:
        raise ValidationFailed(
            f"limit must be between 1 and {max_limit}.",
            fields={"limit": [f"Must be between 1 and {max_limit}."]},
        )
    return limit


def encode_key_cursor(key: str) -> str:
    """A cursor for a list in the order of a unique text key (the last key seen)."""
    raw = json.dumps(["k", key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_key_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        tag, key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if tag != "k" or not isinstance(key, str) or "\x00" in key:
            raise ValueError("not one of our cursors")
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ValidationFailed(
            "The cursor is not valid; pass next_cursor from the previous page unchanged.",
            fields={"cursor": ["Invalid cursor."]},
        ) from exc
    return key


def paginate(
    queryset: QuerySet,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    newest_first: bool = True,
    max_limit: int = MAX_LIMIT,
    walk_index: bool = True,
) -> Page:
    """One page of ``queryset``; ``max_limit`` is raised only by internal batch readers.

    ``walk_index=False`` is for a selective filter served by its own index (a trigram name
    search): the sort key is then wrapped in an expression no index covers, so the planner
    cannot choose to walk the time-ordered index hoping to meet matches early — a plan that
    reads the whole table when the matches are all old. It fetches the matches through the
    filter's index and sorts them instead. The page and the cursor are the same either way.
    """
    check_limit(limit, max_limit)
    sort_key = "created_at" if walk_index else Coalesce("created_at", "created_at")
    if newest_first:
        queryset = queryset.order_by(_desc(sort_key), "-id")
    else:
        queryset = queryset.order_by(_asc(sort_key), "id")
    if cursor:
        created_at, pk = decode_cursor(cursor)
        # The leading range on created_at lets the index seek; the OR breaks ties on id.
        if newest_first:
            queryset = queryset.filter(created_at__lte=created_at).filter(
                Q(created_at__lt=created_at) | Q(id__lt=pk)
            )
        else:
            queryset = queryset.filter(created_at__gte=created_at).filter(
                Q(created_at__gt=created_at) | Q(id__gt=pk)
            )
    rows = list(queryset[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more:
        last = rows[-1]  # a model instance, or a dict from .values()
        if isinstance(last, dict):
            next_cursor = encode_cursor(last["created_at"], last["id"])
        else:
            next_cursor = encode_cursor(last.created_at, last.id)
    return Page(items=rows, has_more=has_more, next_cursor=next_cursor)


def _desc(key):
    return F(key).desc() if isinstance(key, str) else key.desc()


def _asc(key):
    return F(key).asc() if isinstance(key, str) else key.asc()


class PageParams(Schema):
    """The query parameters of every list endpoint, and the page envelope it answers with."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size, 1–100.")
    cursor: str | None = Field(
        None, max_length=512, description="next_cursor of the previous page."
    )

    @staticmethod
    def response(items: list[Any], page: Page) -> dict:
        return {
            "items": items,
            "pagination": {"has_more": page.has_more, "next_cursor": page.next_cursor},
        }


# --- pages in the order of a chosen column ---------------------------------------------------
def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.astimezone(UTC).isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str):
        decoded = datetime.fromisoformat(value["t"])
        if decoded.tzinfo is None:
            raise ValueError("not one of our cursors")
        return decoded.astimezone(UTC)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("not one of our cursors")
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("not one of our cursors")
    return value


class _Row(Func):
    """A row value, ``(a, b)``, compared with another as a whole: ``(a, b) > (x, y)`` is
    ``a > x OR (a = x AND b > y)``, which an index on ``(a, b)`` seeks directly (the OR
    spelled out seeks to ``a = x`` and then reads every row of that tie). PostgreSQL and
    SQLite (3.15+) both have row values."""

    function = ""
    output_field = models.Field()


def paginate_sorted(
    queryset: QuerySet,
    *,
    key: Any,
    name: str,
    descending: bool = False,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    tiebreak: str = "id",
    tiebreak_name: str | None = None,
) -> Page:
    """One page of ``queryset`` ordered by ``key`` (a field name or an expression that is
    never NULL: wrap a nullable column in ``Coalesce``), ties broken by ``tiebreak``: a
    keyset on ``(key, tiebreak)``. ``tiebreak`` is ``id`` or another field of the model that
    is unique within ``queryset`` — a joined row's id when ``key`` is that row's column, so
    that one index on the joined table, ``(key, id)``, yields the whole order (a members
    list sorted by the users' names walks the users' index and stops at a page). ``name``
    names the order; a cursor from another order is refused (422), so a page never
    continues a list sorted differently. ``tiebreak_name``: what the order calls the
    tiebreak, when it is the same value as another queryset's (a list of users paged like
    a list of their memberships, ``user_id``), so that their cursors stay interchangeable.

    A page after a cursor is ``(key, tiebreak) > (value, pk)`` as one row comparison, with
    a leading range on the key: deep inside a large tie (thousands of members never signed
    in) an index on ``(key, tiebreak)`` seeks to the page instead of reading the tie."""
    check_limit(limit)
    label = tiebreak_name or tiebreak
    order = [name, descending] if label == "id" else [name, descending, label]
    expression = F(key) if isinstance(key, str) else key
    queryset = queryset.annotate(_page_key=expression)
    if descending:
        queryset = queryset.order_by(F("_page_key").desc(), F(tiebreak).desc())
    else:
        queryset = queryset.order_by(F("_page_key").asc(), F(tiebreak).asc())
    if cursor:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            tag, cursor_order, value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if tag != "s" or cursor_order != order or not isinstance(pk, str):
                raise ValueError("not a cursor of this order")
            if "\x00" in pk:
                raise ValueError("not one of our cursors")
            value = _decode_value(value)
        except (ValueError, TypeError, OverflowError, binascii.Error) as exc:
            raise ValidationFailed(
                "The cursor is not valid for this order; pass next_cursor from the previous "
                "page unchanged, with the same sort.",
                fields={"cursor": ["Invalid cursor."]},
            ) from exc
        # The leading range on the key seeks where the row comparison cannot (its tiebreak
        # not in the key's index); the row comparison seeks within a tie.
        after = _Row(Value(value), Value(pk))
        queryset = queryset.alias(_page_row=_Row(F("_page_key"), F(tiebreak)))
        if descending:
            queryset = queryset.filter(_page_key__lte=value, _page_row__lt=after)
        else:
            queryset = queryset.filter(_page_key__gte=value, _page_row__gt=after)
    rows = list(queryset[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more:
        last = rows[-1]
        next_cursor = encode_sorted_cursor(order, last._page_key, getattr(last, tiebreak))
    return Page(items=rows, has_more=has_more, next_cursor=next_cursor)


def encode_sorted_cursor(order: list, value: Any, pk: str) -> str:
    """The cursor of ``paginate_sorted`` after the row ``(value, pk)`` in ``order`` (``[name,
    descending]``, or with the tiebreak's name third when it is not ``id``)."""
    raw = json.dumps(["s", order, _encode_value(value), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
