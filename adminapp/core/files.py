"""Where files live: Django's default storage (``STORAGES["default"]``) — the filesystem
under ``MEDIA_ROOT`` unless an S3-compatible bucket is configured (``STORAGE_S3_BUCKET``).

Uploads (imports, global key inputs) and job result files (exports) all go through it, so a
web process and workers on different machines see the same files. Whether that needs a
shared ``MEDIA_ROOT`` depends on the storage: only the filesystem one does
(``storage_is_local``; see ``jobs.probes``).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage, storages


def storage_is_local() -> bool:
    """Whether the default storage is the filesystem under MEDIA_ROOT (where the workers
    write their partial files too)."""
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        return False
    return Path(storage.location).resolve() == Path(settings.MEDIA_ROOT).resolve()


def stored_exists(name: str) -> bool:
    """Whether the storage holds ``name`` (False for a name outside it)."""
    try:
        return bool(name) and default_storage.exists(name)
    except SuspiciousFileOperation:
        return False


def store_local_file(path: Path, name: str) -> str:
    """Put the finished local file ``path`` into the storage as ``name`` (streamed, not read
    whole) and remove the local copy; the name it got. On the local filesystem storage the
    file is already there: nothing moves."""
    if storage_is_local():
        return name
    with open(path, "rb") as fh:
        saved = default_storage.save(name, File(fh, name=Path(name).name))
    path.unlink(missing_ok=True)
    return saved
