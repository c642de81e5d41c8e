"""Helpers shared by tests of every package."""

from __future__ import annotations

import time

from django.db import connection


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.1, message: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")
        time.sleep(interval)


def without_index(model, fields: list[str]) -> None:
    """Drop ``model``'s index on ``fields`` for this test (its transaction rolls it back).
    Walking that index hands ties over in id order whatever the query asks, which would
    hide a missing tie-break; without it the database sorts, and ties come in whatever
    order it stored them."""
    [index] = [i for i in model._meta.indexes if i.fields == fields]
    with connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX "{index.name}"')
