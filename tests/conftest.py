from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import Tenant, make_tenant


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    """Rate-limit counters live in the shared cache; each test starts with none."""
    cache.clear()
    yield


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant()


@pytest.fixture
def other_tenant(db) -> Tenant:
    return make_tenant()
