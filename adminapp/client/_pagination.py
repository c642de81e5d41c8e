"""Cursor pages that carry their own request (STYLE 11, after the Anthropic SDK).

page = client.spaces.list(limit=50)
page.items            # this page
page.has_more         # whether another page follows
page = page.next_page()
for space in client.spaces.list():   # every space: this page, then the next ones
    ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from adminapp.client.types.common import Pagination

T = TypeVar("T")


class CursorPage(Generic[T]):
    """One page of a list. Iterating it walks every page from here on, fetching each next
    page only when the current one is used up; ``items`` is this page alone."""

    def __init__(
        self,
        *,
        items: list[T],
        pagination: Pagination,
        fetch: Callable[[str], CursorPage[T]],
        cursor: str | None = None,
    ) -> None:
        self.items = items
        self.pagination = pagination
        self._fetch = fetch
        self._cursor = cursor  # the cursor that fetched this page (None: the first)

    @property
    def has_more(self) -> bool:
        return bool(self.pagination.has_more and self.pagination.next_cursor)

    @property
    def next_cursor(self) -> str | None:
        return self.pagination.next_cursor if self.has_more else None

    def next_page(self) -> CursorPage[T]:
        """The page after this one (``ValueError`` on the last page: check ``has_more``)."""
        if not self.has_more:
            raise ValueError("This is the last page (has_more is False).")
        if self.pagination.next_cursor == self._cursor:  # a server bug, not an endless loop
            raise RuntimeError(f"The API returned the same cursor twice ({self._cursor!r}).")
        return self._fetch(self.pagination.next_cursor)

    def iter_pages(self) -> Iterator[CursorPage[T]]:
        page = self
        yield page
        while page.has_more:
            page = page.next_page()
            yield page

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.items

    def to_df(self, *, all_pages: bool = False) -> Any:
        """This page's items (every page's with ``all_pages=True``) as a pandas DataFrame.
        pandas is optional, not a dependency of the SDK."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("to_df() needs pandas: pip install pandas") from exc
        rows = self if all_pages else self.items
        return pd.DataFrame([item.model_dump(mode="json") for item in rows])

    def __repr__(self) -> str:
        return f"<CursorPage of {len(self.items)} items, has_more={self.has_more}>"
