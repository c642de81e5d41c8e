"""Shared query parameters and the page envelope ``{items, pagination}``."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field

from adminapp.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page


class PageParams(Schema):
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
