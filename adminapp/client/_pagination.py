"""Auto-paging over cursor pages (STYLE 11): ``iter()`` follows ``next_cursor``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

from adminapp.client.models import Pagination

T = TypeVar("T", covariant=True)


class PageLike(Protocol[T]):
    items: list[Any]
    pagination: Pagination


def auto_paging(
    fetch: Callable[[str | None], PageLike[T]], *, cursor: str | None = None
) -> Iterator[Any]:
    """Every item of every page, fetching the next page only when the current one is used up."""
    while True:
        page = fetch(cursor)
        yield from page.items
        next_cursor = page.pagination.next_cursor
        if not page.pagination.has_more or not next_cursor:
            return
        if next_cursor == cursor:  # a server bug must not become an endless loop
            raise RuntimeError(f"The API returned the same cursor twice ({cursor!r}).")
        cursor = next_cursor
