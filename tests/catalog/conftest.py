"""Fixtures of the catalog tests (the data they build: ``tests/catalog/factories.py``)."""

from __future__ import annotations

import pytest

from tests.catalog.factories import CatalogWorld, build_catalog_world


@pytest.fixture
def catalog_world(db) -> CatalogWorld:
    return build_catalog_world()
