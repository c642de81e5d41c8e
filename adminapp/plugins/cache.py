"""Each worker's local copy of installed versions, keyed by the archive's sha256.

A version's archive lives in Django's default storage (a shared folder or an S3 bucket), so
workers on other machines run the same code: ``materialize`` copies it into
``PLUGINS_CACHE_DIR/<sha256>/`` once per worker — downloaded to a temporary file while its
hash is checked, unpacked with the archive checks into a temporary folder beside the final
one, then that folder renamed into place in one step (two processes racing both unpack; the
first rename wins, the other's copy is dropped). A half-made copy is never seen under the
final name."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

from adminapp.core.errors import ApplicationError
from adminapp.plugins import archives

_CHUNK = 256 * 1024


class CacheCorrupt(ApplicationError):
    status_code = 500
    code = "plugin_archive_corrupt"


def cache_dir() -> Path:
    path = Path(settings.PLUGINS_CACHE_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def materialize(version) -> Path:
    """The plugin root of ``version`` (a PluginVersion) on this machine."""
    base = cache_dir()
    final = base / version.sha256
    if final.is_dir():
        return archives.find_root(final)
    tmp = Path(tempfile.mkdtemp(prefix=f".{version.sha256[:12]}-", dir=base))
    zip_path = beside(tmp, ".zip")
    try:
        digest = hashlib.sha256()
        with default_storage.open(version.archive, "rb") as src, open(zip_path, "wb") as out:
            while block := src.read(_CHUNK):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != version.sha256:
            raise CacheCorrupt(
                f"The stored archive of {version.plugin_id} {version.version} does not match "
                "its sha256."
            )
        archives.extract(zip_path, tmp)
        _open_up(tmp, base)
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        zip_path.unlink(missing_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)  # unless renamed into place
    return archives.find_root(final)


def evict(sha256: str) -> None:
    """Drop a version's local copy (a deleted plugin's)."""
    shutil.rmtree(cache_dir() / sha256, ignore_errors=True)


STALE_AFTER_S = 24 * 3600


def sweep() -> None:
    """Remove temporary folders a killed process left in the cache (older than a day)."""
    now = time.time()
    for path in cache_dir().glob(".*"):
        try:
            if now - path.lstat().st_mtime > STALE_AFTER_S:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink()
        except OSError:
            continue


SWEEP_EVERY_S = 600
_swept: dict[Path, float] = {}  # cache folder -> when this process last swept it


def workdir(prefix: str) -> Path:
    """A fresh temporary folder inside the cache (same filesystem: what is unpacked in it
    can be renamed into place); stale ones of killed processes are swept first, at most
    every ``SWEEP_EVERY_S`` per process (a sweep lists the whole cache folder: ~0.3 ms of
    CPU on every install, for folders that go stale after a day)."""
    base = cache_dir()
    now = time.monotonic()
    if now - _swept.get(base, -SWEEP_EVERY_S) >= SWEEP_EVERY_S:
        sweep()
        _swept[base] = now
    return Path(tempfile.mkdtemp(prefix=f".{prefix}-", dir=base))


def beside(folder: Path, suffix: str) -> Path:
    """A name for a temporary file or folder beside ``folder`` (a ``workdir``): unique as
    the folder's own name is, and swept with it if a killed process leaves it behind."""
    return folder.with_name(folder.name + suffix)


def _open_up(folder: Path, base: Path) -> None:
    """Give a ``workdir`` (made 0700 by ``mkdtemp``) the mode of the cache folder that will
    hold it, as a folder made there would have."""
    folder.chmod(stat.S_IMODE(base.stat().st_mode))


def adopt(sha256: str, directory: Path) -> Path:
    """Move an unpacked and validated copy into place under its hash, in one rename (an
    existing copy of the same content wins). Returns the plugin root."""
    base = cache_dir()
    final = base / sha256
    if not final.is_dir():
        _open_up(directory, base)
        try:
            os.rename(directory, final)
        except OSError:
            if not final.is_dir():
                raise
    return archives.find_root(final)
