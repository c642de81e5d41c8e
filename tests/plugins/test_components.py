"""The component interface the runtime uses: component_get / components_list, each worker's
cache of stored versions, and the usages registry."""

from __future__ import annotations

import os
import stat

import pytest
from django.core.files.storage import default_storage

from adminapp.core.errors import ApplicationError, NotFound
from adminapp.plugins import cache, selectors, usages
from tests.plugins.factories import stored_version

pytestmark = pytest.mark.django_db


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_component_get_finds_an_enabled_plugins_component_and_its_files(tmp_path):
    pv = stored_version(tmp_path, "coco")
    found = selectors.component_get(plugin_id="COCO", component_id="lines", type="importer")
    assert found.plugin.plugin_id == "coco" and found.version == pv
    assert found.component["entry"] == "lines.py"
    root = found.path()
    assert (root / "lines.py").read_text() == "VERSION = '1.0.0'\n"
    assert (root / "macros" / "hello.py").is_file()
    assert root.name == pv.sha256  # keyed by content hash


def test_component_get_refuses_a_disabled_missing_or_mistyped_component(tmp_path):
    pv = stored_version(tmp_path, "coco")
    with pytest.raises(NotFound, match="no importer 'hello'"):
        selectors.component_get(plugin_id="coco", component_id="hello", type="importer")
    with pytest.raises(NotFound, match="No enabled plugin 'other'"):
        selectors.component_get(plugin_id="other", component_id="lines", type="importer")
    pv.plugin.enabled = False
    pv.plugin.save()
    with pytest.raises(NotFound, match="No enabled plugin 'coco'"):
        selectors.component_get(plugin_id="coco", component_id="lines", type="importer")


def test_components_list_shows_only_enabled_plugins_components_of_the_type(tmp_path):
    stored_version(tmp_path, "beta")
    alpha = stored_version(tmp_path, "alpha")
    macros = selectors.components_list(type="macro")
    assert [(c.plugin.plugin_id, c.component["id"]) for c in macros] == [
        ("alpha", "hello"),
        ("beta", "hello"),
    ]
    alpha.plugin.enabled = False
    alpha.plugin.save()
    assert [c.plugin.plugin_id for c in selectors.components_list(type="importer")] == ["beta"]


def test_materialize_unpacks_once_and_a_tampered_archive_is_refused(tmp_path):
    pv = stored_version(tmp_path, "coco")
    root = cache.materialize(pv)
    # Unpacked in a private temporary folder, placed with the cache folder's own mode.
    assert mode_of(root) == mode_of(cache.cache_dir())
    (root / "marker").write_text("still the same copy")
    assert (cache.materialize(pv) / "marker").is_file()  # not unpacked again
    cache.evict(pv.sha256)
    with default_storage.open(pv.archive, "wb") as fh:
        fh.write(b"PK\x05\x06" + b"\x00" * 18)  # another (empty) zip
    with pytest.raises(ApplicationError, match="does not match its sha256"):
        cache.materialize(pv)
    assert list(cache.cache_dir().iterdir()) == []  # nothing half-made left behind


def test_usages_registry_asks_every_finder(tmp_path):
    pv = stored_version(tmp_path, "coco")

    def running_jobs(plugin):
        return [usages.Usage("job", "job_1", f"import with {plugin.plugin_id}")]

    usages.register(running_jobs)
    usages.register(running_jobs)
    try:
        assert usages.usages_of(pv.plugin) == [usages.Usage("job", "job_1", "import with coco")]
    finally:
        usages.unregister(running_jobs)
    assert usages.usages_of(pv.plugin) == []


def test_what_a_killed_install_left_in_the_cache_is_swept_after_a_day(tmp_path):
    import os
    import time

    old = cache.cache_dir() / ".install-killed"
    old.mkdir()
    (old / "plugin.json").write_bytes(b"half")
    old_zip = cache.beside(old, ".zip")  # the fetched archive, beside the unpacked files
    old_zip.write_bytes(b"half")
    recent = cache.cache_dir() / ".install-running"
    recent.mkdir()
    recent_zip = cache.beside(recent, ".zip")
    recent_zip.write_bytes(b"still being written")
    day_ago = time.time() - cache.STALE_AFTER_S - 60
    for path in (old, old_zip):
        os.utime(path, (day_ago, day_ago))
    fresh = cache.workdir("install")
    assert not old.exists() and not old_zip.exists()
    assert recent.is_dir() and recent_zip.is_file() and fresh.is_dir()
