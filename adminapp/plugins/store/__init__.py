"""The plugin store: a catalogue (``index.json``) and its archives, in a directory or at an
``https://`` URL (``PLUGINS_STORE_URL``; by default the store shipped in
``adminapp/plugins/store/``).

``index.json``::

    {"plugins": [{"id": "coco-importer", "version": "1.0.0", "archive": "coco-importer-1.0.0.zip",
                  "sha256": "…", "size": 1234, "meta": {"label": "COCO importer", …}}]}

An archive is named by a plain file name beside ``index.json``. Whatever the store says is
checked again on install: the archive's sha256 must be the index's, and the plugin.json
inside must carry the index's id and version. Downloads have a time limit and a size cap
(``PLUGINS_DOWNLOAD_TIMEOUT_S``, ``PLUGINS_MAX_ARCHIVE_BYTES``); https certificates are
verified (``PLUGINS_STORE_CA_BUNDLE`` names a CA file for a private store)."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import semver
from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from adminapp.client.types.plugins import ID_PATTERN
from adminapp.core.errors import ApplicationError, NotFound, ValidationFailed

INDEX_NAME = "index.json"
INDEX_MAX_BYTES = 5 * 1024 * 1024
_CHUNK = 256 * 1024


class StoreUnavailable(ApplicationError):
    status_code = 502
    code = "plugin_store_unavailable"


class StoreRefused(ValidationFailed):
    code = "plugin_store_refused"


class StoreEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=ID_PATTERN)
    version: str = Field(max_length=64)
    archive: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.zip$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("archive")
    @classmethod
    def _plain(cls, value: str) -> str:
        if ".." in value:
            raise ValueError("must be a plain file name")
        return value


class StoreIndex(BaseModel):
    model_config = ConfigDict(extra="ignore")

    plugins: list[StoreEntry] = Field(default_factory=list)


def location() -> str:
    return str(settings.PLUGINS_STORE_URL)


def _is_url(where: str) -> bool:
    return "://" in where


def _local_dir(where: str) -> Path:
    if where.startswith("file://"):
        return Path(urlsplit(where).path)
    return Path(where)


def _check_url(where: str) -> None:
    if urlsplit(where).scheme != "https":
        raise StoreRefused(
            "A store is a directory or an https:// URL.", fields={"store": ["Use https://."]}
        )


def _download(url: str, dest, *, limit: int, what: str) -> None:
    """Stream ``url`` into the binary file ``dest``: at most ``limit`` bytes, within
    PLUGINS_DOWNLOAD_TIMEOUT_S (each read and the whole download)."""
    timeout = settings.PLUGINS_DOWNLOAD_TIMEOUT_S
    deadline = time.monotonic() + timeout
    verify = settings.PLUGINS_STORE_CA_BUNDLE or True
    try:
        with requests.get(
            url, stream=True, timeout=(timeout, timeout), verify=verify, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                raise StoreUnavailable(f"The store answered {response.status_code} for {what}.")
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > limit:
                raise StoreRefused(f"The store's {what} is larger than {limit} bytes.")
            got = 0
            for block in response.iter_content(_CHUNK):
                got += len(block)
                if got > limit:
                    raise StoreRefused(f"The store's {what} is larger than {limit} bytes.")
                if time.monotonic() > deadline:
                    raise StoreUnavailable(f"Downloading {what} took longer than {timeout} s.")
                dest.write(block)
    except requests.Timeout:
        raise StoreUnavailable(f"The store did not answer within {timeout} s ({what}).") from None
    except requests.RequestException as exc:
        raise StoreUnavailable(
            f"The store cannot be reached ({what}): {exc.__class__.__name__}."
        ) from None


def read_index(where: str | None = None) -> StoreIndex:
    where = where or location()
    if _is_url(where) and not where.startswith("file://"):
        _check_url(where)
        buffer = io.BytesIO()
        _download(where.rstrip("/") + "/" + INDEX_NAME, buffer, limit=INDEX_MAX_BYTES, what="index")
        raw = buffer.getvalue()
    else:
        path = _local_dir(where) / INDEX_NAME
        if not path.is_file():
            raise StoreUnavailable(f"The store has no {INDEX_NAME} ({where}).")
        if path.stat().st_size > INDEX_MAX_BYTES:
            raise StoreRefused(f"The store's {INDEX_NAME} is larger than {INDEX_MAX_BYTES} bytes.")
        raw = path.read_bytes()
    return _parsed(raw)


@functools.lru_cache(maxsize=8)
def _parsed(raw: bytes) -> StoreIndex:
    """``index.json``'s bytes, validated: cached by the bytes themselves (not by the file's
    mtime, which two writes within a clock tick share), so an unchanged index is not parsed
    again on every install request. The index returned is shared: callers only read it."""
    try:
        return StoreIndex.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        raise StoreRefused(f"The store's {INDEX_NAME} is not valid: {str(exc)[:300]}") from None


def entry_for(index: StoreIndex, plugin_id: str, version: str | None = None) -> StoreEntry:
    """The store's entry for ``plugin_id`` (the highest version, or ``version``)."""
    matches = [e for e in index.plugins if e.id.lower() == plugin_id.lower()]
    if version is not None:
        matches = [e for e in matches if e.version == version]
    if not matches:
        what = f"{plugin_id!r}" + (f" version {version}" if version else "")
        raise NotFound(f"The store has no plugin {what}.", code="plugin_not_in_store")

    def order(entry: StoreEntry):
        return (
            semver.Version.parse(entry.version)
            if semver.Version.is_valid(entry.version)
            else semver.Version(0)
        )

    return max(matches, key=order)


class _Hashing:
    """A binary file's ``write`` that also feeds a sha256 of what it wrote."""

    def __init__(self, fh):
        self.fh, self.digest = fh, hashlib.sha256()

    def write(self, block: bytes) -> None:
        self.digest.update(block)
        self.fh.write(block)


def fetch_archive(entry: StoreEntry, dest: Path, where: str | None = None) -> str:
    """Copy or download ``entry``'s archive to ``dest``; StoreRefused unless its sha256 is
    the index's. Returns the sha256."""
    where = where or location()
    limit = settings.PLUGINS_MAX_ARCHIVE_BYTES
    with open(dest, "wb") as fh:
        out = _Hashing(fh)  # hashed as it is written: the archive is read once
        if _is_url(where) and not where.startswith("file://"):
            _check_url(where)
            _download(where.rstrip("/") + "/" + entry.archive, out, limit=limit, what=entry.archive)
        else:
            src = _local_dir(where) / entry.archive
            if not src.is_file():
                raise StoreUnavailable(f"The store has no file {entry.archive}.")
            if src.stat().st_size > limit:
                raise StoreRefused(f"{entry.archive} is larger than {limit} bytes.")
            with open(src, "rb") as source:
                while block := source.read(_CHUNK):
                    out.write(block)
    sha = out.digest.hexdigest()
    if sha != entry.sha256:
        raise StoreRefused(
            f"{entry.archive}'s sha256 is {sha}, not the {entry.sha256} the store's index "
            "says: refused.",
            code="plugin_sha256_mismatch",
        )
    return sha
