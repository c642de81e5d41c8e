"""Zip archives of plugins, read as hostile input.

``inspect`` refuses, in words, before a byte is written: entries whose names climb out of
the plugin (``..``), absolute paths, drive letters, backslashes, NUL bytes; symbolic links
and every other entry that is neither a regular file nor a directory (a hard link, a device,
a FIFO: zip has no hard-link entry, so one shows up only as such type bits); duplicate
entries (also when they differ only in case, or a file also used as a folder); encrypted
entries; and bombs: too many entries, too many bytes once unpacked, or an entry that would
grow more than ``max_ratio`` times. ``extract`` then writes each entry into a fresh
directory, with ``O_EXCL | O_NOFOLLOW``, no more bytes than the entry declares (zipfile
stops at the declared size and checks the CRC) and within a time limit.

``deterministic_zip`` packs a directory so that the same files always give the same bytes
(sorted entries, fixed timestamps and modes, stored uncompressed: no zlib version can
change them): the store's build tool and git installs use
it, so an archive's sha256 depends on its content only.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from adminapp.core.errors import ValidationFailed

MANIFEST_NAME = "plugin.json"
_COPY_CHUNK = 256 * 1024
RATIO_FLOOR = 64 * 1024  # entries smaller than this unpacked are never ratio bombs
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


class ArchiveRefused(ValidationFailed):
    code = "plugin_archive_refused"


@dataclass(frozen=True)
class Limits:
    max_entries: int
    max_total_bytes: int
    max_ratio: int
    timeout_s: float

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_entries=settings.PLUGINS_MAX_ENTRIES,
            max_total_bytes=settings.PLUGINS_MAX_UNPACKED_BYTES,
            max_ratio=settings.PLUGINS_MAX_RATIO,
            timeout_s=settings.PLUGINS_EXTRACT_TIMEOUT_S,
        )


def _refuse(message: str, **details) -> ArchiveRefused:
    return ArchiveRefused(message, details=details)


def _file_type(info: zipfile.ZipInfo) -> str:
    """'file', 'dir' or what else the entry's Unix mode says it is."""
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if info.create_system == 3 and kind:  # Unix attributes
        if stat.S_ISREG(kind):
            return "file"
        if stat.S_ISDIR(kind):
            return "dir"
        if stat.S_ISLNK(kind):
            return "symlink"
        return "special"
    return "dir" if info.filename.endswith("/") or info.external_attr & 0x10 else "file"


def check_name(name: str) -> list[str]:
    """The name's parts, or ArchiveRefused saying what is wrong with it."""
    if not name or "\x00" in name:
        raise _refuse("An entry has an empty name or a NUL byte in its name.", entry=name)
    if "\\" in name:
        raise _refuse(f"Entry {name!r} has a backslash in its name.", entry=name)
    if name.startswith("/"):
        raise _refuse(f"Entry {name!r} is an absolute path.", entry=name)
    if re.match(r"^[A-Za-z]:", name):
        raise _refuse(f"Entry {name!r} starts with a drive letter.", entry=name)
    parts = [p for p in name.rstrip("/").split("/")]
    if any(p == ".." for p in parts):
        raise _refuse(f"Entry {name!r} climbs out of the plugin with '..'.", entry=name)
    if any(p in ("", ".") for p in parts):
        raise _refuse(f"Entry {name!r} has an empty or '.' part.", entry=name)
    return parts


def inspect(zf: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    """Every entry, checked (see the module's docstring); ArchiveRefused otherwise."""
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise _refuse(
            f"The archive has {len(infos)} entries; at most {limits.max_entries} are accepted.",
            entries=len(infos),
        )
    files: set[str] = set()
    dirs: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        parts = check_name(name)
        if info.flag_bits & 0x1:
            raise _refuse(f"Entry {name!r} is encrypted.", entry=name)
        kind = _file_type(info)
        if kind == "symlink":
            raise _refuse(f"Entry {name!r} is a symbolic link.", entry=name)
        if kind == "special":
            raise _refuse(
                f"Entry {name!r} is not a regular file or a folder (a hard link, device or FIFO).",
                entry=name,
            )
        key = "/".join(parts).casefold()
        if key in files or (kind == "file" and key in dirs):
            raise _refuse(f"Entry {name!r} appears more than once.", entry=name)
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i]).casefold()
            if parent in files:
                raise _refuse(f"Entry {name!r} is inside {parent!r}, which is a file.", entry=name)
            dirs.add(parent)
        if kind == "dir":
            if key in files:
                raise _refuse(f"Entry {name!r} appears more than once.", entry=name)
            dirs.add(key)
            continue
        files.add(key)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise _refuse(
                f"The archive unpacks to more than {limits.max_total_bytes} bytes.",
                max_bytes=limits.max_total_bytes,
            )
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise _refuse(
                f"Entry {name!r} would grow {info.file_size // max(info.compress_size, 1)} "
                f"times when unpacked; at most {limits.max_ratio} times is accepted.",
                entry=name,
            )
    return infos


def open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _refuse("The file is not a zip archive.") from None


def extract(path: Path, dest: Path, limits: Limits | None = None) -> Path:
    """Unpack the archive at ``path`` into ``dest`` (checked first): a directory made here,
    or an empty one the caller has just made for it (``tempfile.mkdtemp``); returns the
    plugin's root in it (``find_root``)."""
    limits = limits or Limits.from_settings()
    deadline = time.monotonic() + limits.timeout_s
    try:
        dest.mkdir(parents=True)
    except FileExistsError:
        with os.scandir(dest) as found:  # raises unless it is a directory
            if next(found, None) is not None:
                raise FileExistsError(f"{dest} is not empty") from None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    root = dest.resolve()
    checked = {dest}  # folders made and found to resolve inside ``dest``
    with open_zip(path) as zf:
        infos = inspect(zf, limits)
        for info in infos:
            parts = check_name(info.filename)
            target = dest.joinpath(*parts)
            folder = target if _file_type(info) == "dir" else target.parent
            if folder not in checked:
                folder.mkdir(parents=True, exist_ok=True)
                # Belt and braces: nothing under ``dest`` is a link (no entry makes one, and
                # files are opened with O_NOFOLLOW), so each folder resolves inside it.
                if not folder.resolve().is_relative_to(root):
                    raise _refuse(f"Entry {info.filename!r} leads outside the plugin.")
                checked.add(folder)
            if folder is target:
                continue
            fd = os.open(target, flags, 0o644)
            try:
                with os.fdopen(fd, "wb") as out, zf.open(info) as src:
                    while block := src.read(_COPY_CHUNK):
                        out.write(block)
                        if time.monotonic() > deadline:
                            raise _refuse(
                                f"Unpacking took longer than {limits.timeout_s:g} s.",
                                timeout_s=limits.timeout_s,
                            )
            except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
                raise _refuse(f"Entry {info.filename!r} cannot be read: {exc}.") from None
    return find_root(dest)


def find_root(directory: Path) -> Path:
    """Where ``plugin.json`` is: the top, or the one folder that holds everything."""
    if (directory / MANIFEST_NAME).is_file():
        return directory
    children = [c for c in directory.iterdir()]
    if len(children) == 1 and children[0].is_dir() and (children[0] / MANIFEST_NAME).is_file():
        return children[0]
    raise ArchiveRefused(
        "The plugin has no plugin.json at its top (or in its one top-level folder).",
        code="plugin_manifest_missing",
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_COPY_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def deterministic_zip(source: Path, target: Path) -> str:
    """Zip the files under ``source`` into ``target``: sorted names, fixed times and modes,
    no folders, symlinks or hidden VCS/cache files; returns the archive's sha256."""
    names = []
    for path in source.rglob("*"):
        rel = path.relative_to(source)
        if any(p in (".git", "__pycache__") for p in rel.parts) or path.suffix == ".pyc":
            continue
        if path.is_symlink() or not path.is_file():
            continue
        names.append(rel.as_posix())
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in sorted(names):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_STORED  # no compressor whose output could vary
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(info, (source / name).read_bytes())
    return sha256_of(target)
