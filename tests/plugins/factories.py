"""Plugins built by the tests: a folder with a plugin.json and its entry files, zipped by
hand (``zip_of``) so that hostile archives can be built entry by entry."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.core.files.storage import default_storage

from adminapp.plugins import archives
from adminapp.plugins.models import Plugin, PluginVersion
from adminapp.plugins.store import build as store_build


def manifest(plugin_id: str = "demo", version: str = "1.0.0", **overrides: Any) -> dict:
    data = {
        "id": plugin_id,
        "version": version,
        "meta": {"label": f"{plugin_id} plugin", "description": "Made by a test."},
        "components": [
            {
                "type": "importer",
                "id": "lines",
                "label": "Lines",
                "entry": "lines.py",
                "extensions": [".txt"],
            },
            {
                "type": "macro",
                "id": "hello",
                "label": "Say hello",
                "entry": "macros/hello.py",
                "params": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string", "title": "Name"}},
                },
            },
        ],
    }
    data.update(overrides)
    return data


def plugin_files(plugin_id: str = "demo", version: str = "1.0.0", **overrides: Any) -> dict:
    """name -> bytes of a valid plugin."""
    return {
        "plugin.json": json.dumps(manifest(plugin_id, version, **overrides)).encode(),
        "lines.py": f"VERSION = {version!r}\n".encode(),
        "macros/hello.py": b"print('hello')\n",
    }


def write_dir(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def zip_of(path: Path, files: dict[str, bytes] | list[tuple[Any, bytes]]) -> Path:
    """A zip of ``files`` (name or ZipInfo -> bytes), entries in the order given."""
    items = files.items() if isinstance(files, dict) else files
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in items:
            zf.writestr(name, data)
    return path


def unix_entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


SYMLINK = stat.S_IFLNK | 0o777
FIFO = stat.S_IFIFO | 0o644


def stored_version(
    tmp_path: Path, plugin_id: str = "demo", version: str = "1.0.0", **kw
) -> PluginVersion:
    """A Plugin with one version whose archive is in the default storage, made directly
    (the install services are tested on their own)."""
    src = write_dir(tmp_path / f"src-{plugin_id}-{version}", plugin_files(plugin_id, version))
    zip_path = tmp_path / f"{plugin_id}-{version}.zip"
    sha = archives.deterministic_zip(src, zip_path)
    with open(zip_path, "rb") as fh:
        name = default_storage.save(f"plugins/{plugin_id}/{sha}.zip", File(fh))
    plugin, _ = Plugin.objects.get_or_create(plugin_id=plugin_id, defaults={"enabled": True, **kw})
    pv = PluginVersion.objects.create(
        plugin=plugin,
        version=version,
        manifest=json.loads((src / "plugin.json").read_text()),
        sha256=sha,
        archive=name,
        size=zip_path.stat().st_size,
    )
    plugin.current = pv
    plugin.save(update_fields=["current", "updated_at"])
    return pv


# --- instance admins and installs through the real services ------------------------------------
def instance_admin(tenant):
    """A superuser who is a MEMBER of ``tenant``'s organization: (principal, auth kwargs)."""
    from tests.factories import add_member, make_key, make_user, principal_for

    user = make_user(superuser=True)
    add_member(tenant.org, role="MEMBER", user=user)
    key = make_key(user, tenant.org)
    return principal_for(user, tenant.org), {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def upload(path: Path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/zip")


def install_archive(actor, path: Path, **kwargs):
    """Start and run (in process) an archive install; the job, refreshed."""
    from adminapp.jobs.engine import job_run
    from adminapp.plugins import services

    job = services.plugin_install_from_archive(actor=actor, upload=upload(path), **kwargs)
    job_run(job_id=job.id)
    job.refresh_from_db()
    return job


def run(job):
    from adminapp.jobs.engine import job_run

    job_run(job_id=job.id)
    job.refresh_from_db()
    return job


def mark_encrypted(path: Path, name: str) -> Path:
    """Set the "encrypted" flag of entry ``name`` in its local header and its central
    directory record, as a zip made with a password has it (zipfile cannot write one)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    data[info.header_offset + 6] |= 0x1  # local file header: general purpose flags
    encoded = name.encode()
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) != -1:
        name_len = int.from_bytes(data[at + 28 : at + 30], "little")
        if bytes(data[at + 46 : at + 46 + name_len]) == encoded:
            data[at + 8] |= 0x1  # central directory record: general purpose flags
        at += 4
    path.write_bytes(bytes(data))
    return path


def make_store(tmp_path, *plugins: tuple[str, str], name="store"):
    """A built store of test plugins (id, version) under tmp_path/name."""
    out = tmp_path / name
    for plugin_id, version in plugins:
        src = tmp_path / f"src-{name}-{version}"
        write_dir(src / plugin_id, plugin_files(plugin_id, version))
        # one version per build: build each into the store, keeping the earlier archives
        index = store_build.build(src, tmp_path / f"build-{plugin_id}-{version}")
        entry = index["plugins"][0]
        out.mkdir(exist_ok=True)
        (out / entry["archive"]).write_bytes(
            (tmp_path / f"build-{plugin_id}-{version}" / entry["archive"]).read_bytes()
        )
        current = (
            json.loads((out / "index.json").read_text())
            if (out / "index.json").exists()
            else {"plugins": []}
        )
        current["plugins"].append(entry)
        (out / "index.json").write_text(json.dumps(current))
    return out
