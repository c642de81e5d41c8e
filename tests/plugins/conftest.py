"""Every plugins test has its own MEDIA_ROOT (the stored archives) and its own worker
cache (``PLUGINS_CACHE_DIR``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _plugin_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PLUGINS_CACHE_DIR = tmp_path / "plugin-cache"
    return tmp_path
