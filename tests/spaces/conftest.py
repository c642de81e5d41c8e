"""Fixtures of the spaces tests (the data they build: ``tests/spaces/factories.py``)."""

from __future__ import annotations

import pytest

from tests.spaces.factories import World, build_world


@pytest.fixture
def world(db) -> World:
    return build_world()
