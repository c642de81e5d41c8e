"""Hostile archives, each refused in words by the install job, with nothing installed and
nothing written outside the job's own folder (the archive checks run before a byte is
unpacked). Every case is a real zip built entry by entry."""

from __future__ import annotations

import io
import os
import warnings

import pytest

from adminapp.jobs.models import Job
from adminapp.plugins.models import Plugin
from tests.plugins.factories import (
    FIFO,
    SYMLINK,
    install_archive,
    instance_admin,
    mark_encrypted,
    plugin_files,
    unix_entry,
    zip_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(tenant):
    return instance_admin(tenant)[0]


def refused(admin, path, code: str, words: str, tmp_path):
    before = set(os.listdir(tmp_path))
    job = install_archive(admin, path)
    assert (job.state, job.error_code) == ("FAILED", code), job.error_message
    assert words in job.error_message
    assert Plugin.objects.count() == 0
    cache = tmp_path / "plugin-cache"
    assert not cache.exists() or os.listdir(cache) == []  # the job's folder is gone too
    assert set(os.listdir(tmp_path)) - before <= {"plugin-cache", "media"}
    assert not (tmp_path / "evil.py").exists()
    return job


def with_entry(tmp_path, name, data=b"x = 1\n"):
    return zip_of(tmp_path / "hostile.zip", [*plugin_files().items(), (name, data)])


def test_path_traversal_is_refused(admin, tmp_path):
    path = with_entry(tmp_path, "../evil.py")
    refused(admin, path, "plugin_archive_refused", "climbs out of the plugin with '..'", tmp_path)


def test_a_nested_traversal_is_refused(admin, tmp_path):
    path = with_entry(tmp_path, "macros/../../evil.py")
    refused(admin, path, "plugin_archive_refused", "climbs out", tmp_path)


def test_an_absolute_path_is_refused(admin, tmp_path):
    path = with_entry(tmp_path, f"{tmp_path}/evil.py")
    refused(admin, path, "plugin_archive_refused", "is an absolute path", tmp_path)


def test_a_drive_letter_is_refused(admin, tmp_path):
    path = with_entry(tmp_path, "C:/Windows/evil.py")
    refused(admin, path, "plugin_archive_refused", "starts with a drive letter", tmp_path)


def test_a_backslash_path_is_refused(admin, tmp_path):
    path = with_entry(tmp_path, "..\\evil.py")
    refused(admin, path, "plugin_archive_refused", "has a backslash", tmp_path)


def test_a_symbolic_link_is_refused(admin, tmp_path):
    path = with_entry(tmp_path, unix_entry("evil.py", SYMLINK), b"/etc/passwd")
    refused(admin, path, "plugin_archive_refused", "is a symbolic link", tmp_path)


def test_a_hard_link_or_other_special_entry_is_refused(admin, tmp_path):
    """Zip has no hard-link entry: one made by a tool shows up as file-type bits that are
    not a regular file (here a FIFO's); every such entry is refused."""
    path = with_entry(tmp_path, unix_entry("evil.py", FIFO), b"")
    refused(admin, path, "plugin_archive_refused", "is not a regular file or a folder", tmp_path)


def test_a_duplicate_entry_is_refused(admin, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it writes
        path = with_entry(tmp_path, "lines.py", b"import os  # the second copy\n")
    refused(admin, path, "plugin_archive_refused", "'lines.py' appears more than once", tmp_path)


def test_entries_differing_only_in_case_are_duplicates(admin, tmp_path):
    path = with_entry(tmp_path, "LINES.py")
    refused(admin, path, "plugin_archive_refused", "appears more than once", tmp_path)


def test_too_many_entries_is_refused(admin, tmp_path, settings):
    settings.PLUGINS_MAX_ENTRIES = 20
    files = {**plugin_files(), **{f"data/{i}.txt": b"x" for i in range(20)}}
    refused(
        admin,
        zip_of(tmp_path / "many.zip", files),
        "plugin_archive_refused",
        "23 entries; at most 20",
        tmp_path,
    )


def test_too_many_bytes_unpacked_is_refused(admin, tmp_path, settings):
    settings.PLUGINS_MAX_UNPACKED_BYTES = 200_000
    files = {**plugin_files(), "a.bin": os.urandom(120_000), "b.bin": os.urandom(120_000)}
    refused(
        admin,
        zip_of(tmp_path / "big.zip", files),
        "plugin_archive_refused",
        "unpacks to more than 200000 bytes",
        tmp_path,
    )


def test_a_compression_ratio_bomb_is_refused(admin, tmp_path):
    files = {**plugin_files(), "zeros.bin": b"\0" * (20 * 1024 * 1024)}
    path = zip_of(tmp_path / "bomb.zip", files)
    assert path.stat().st_size < 100_000
    refused(admin, path, "plugin_archive_refused", "would grow", tmp_path)


def test_an_encrypted_entry_is_refused(admin, tmp_path):
    path = mark_encrypted(
        with_entry(tmp_path, "secret.py", b"\x00" * 12 + b"ciphertext"), "secret.py"
    )
    refused(admin, path, "plugin_archive_refused", "'secret.py' is encrypted", tmp_path)


def test_a_file_used_as_a_folder_is_refused(admin, tmp_path):
    path = with_entry(tmp_path, "lines.py/inner.py")
    refused(admin, path, "plugin_archive_refused", "which is a file", tmp_path)


def test_a_missing_manifest_is_refused(admin, tmp_path):
    files = plugin_files()
    del files["plugin.json"]
    job = refused(
        admin,
        zip_of(tmp_path / "nomanifest.zip", files),
        "plugin_manifest_missing",
        "no plugin.json",
        tmp_path,
    )
    assert job.outcome == "FAILURE"


def test_an_invalid_manifest_is_refused_naming_the_field(admin, tmp_path):
    files = plugin_files(version="one")
    refused(
        admin,
        zip_of(tmp_path / "bad.zip", files),
        "plugin_manifest_invalid",
        "manifest.version: must be a semantic version",
        tmp_path,
    )


def test_a_manifest_pointing_outside_is_refused(admin, tmp_path):
    files = plugin_files()
    files["plugin.json"] = files["plugin.json"].replace(b'"lines.py"', b'"../lines.py"')
    refused(
        admin, zip_of(tmp_path / "entry.zip", files), "plugin_manifest_invalid", "'..'", tmp_path
    )


def test_a_file_that_is_not_a_zip_is_refused_at_once_as_invalid_input(tenant, tmp_path, client):
    """422 with the same code and field as the archive's other refusals (an empty file, a
    hostile entry), not a 400 of its own."""
    _, auth = instance_admin(tenant)
    fake = io.BytesIO(b"#!/bin/sh\nrm -rf /\n")
    fake.name = "plugin.zip"
    response = client.post("/api/v1/plugins/install/archive", {"file": fake}, **auth)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["fields"]) == ("plugin_archive_refused", {"file": ["Not a zip."]})
    assert Plugin.objects.count() == 0
    assert not Job.objects.exists()


def test_an_empty_upload_is_refused_as_invalid_input_with_a_code_of_its_own(
    tenant, tmp_path, client
):
    _, auth = instance_admin(tenant)
    empty = io.BytesIO(b"")
    empty.name = "plugin.zip"
    response = client.post("/api/v1/plugins/install/archive", {"file": empty}, **auth)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["fields"]) == ("plugin_archive_empty", {"file": ["Empty file."]})
    assert not Job.objects.exists()


def test_an_oversize_upload_is_refused_with_413(tenant, tmp_path, client, settings):
    settings.PLUGINS_MAX_ARCHIVE_BYTES = 50_000
    _, auth = instance_admin(tenant)
    files = {**plugin_files(), "big.bin": os.urandom(60_000)}
    with open(zip_of(tmp_path / "big.zip", files), "rb") as fh:
        response = client.post("/api/v1/plugins/install/archive", {"file": fh}, **auth)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "plugin_archive_too_large"
    files = {**plugin_files(), "huge.bin": os.urandom(200_000)}  # beyond the body limit itself
    with open(zip_of(tmp_path / "huge.zip", files), "rb") as fh:
        response = client.post("/api/v1/plugins/install/archive", {"file": fh}, **auth)
    assert response.status_code == 413
    assert "PLUGINS_MAX_ARCHIVE_BYTES" in response.json()["error"]["message"]
    assert not list((tmp_path / "media").rglob("*.zip"))  # nothing was stored
