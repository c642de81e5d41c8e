"""The plugin install job kind (store, uploaded archive or git — an update is an install of
a newer version of an installed id); delete is ``plugins.delete_job``.

An install does two things, in this order:

1. ``unpacked`` — outside any transaction: fetch the archive (a copy of the upload, the
   store's file with its sha256 checked, or a git checkout zipped deterministically), unpack
   it with the archive checks into a folder of the worker's cache, validate its manifest
   (and the store's id and version, and that it is newer than the installed one), put the
   archive into Django's storage under its sha256 and rename the unpacked folder into the
   cache under that hash — beside the version in use, which nothing has touched;
2. ``switched`` — one transaction: the version row, ``current`` pointed at it, the source,
   the audit event. Readers see the old version until it commits, the new one after.

An uploaded archive or a git checkout is installed in two chunks, one per step: step 1's
checkpoint names the archive it stored (its hash is known only once it is fetched), so a
job given up after a killed worker still has it removed, and a re-run continues with the
switch. A store install knows its archive's sha256 before it runs (the index's, read by the
request, in its params: the archive fetched must have it), so the name step 1 stores it
under is in the job's params: it runs as **one chunk** — step 1 before the chunk's
transaction opens, the switch in it, the job finished in the same transaction (one
transaction, abort and owner check and checkpoint less). Whatever stops it before that
commit (an abort or a revoked owner seen before the switch, a refused version, a killed
worker given up by the reaper) leaves the old version current and, once the job is
finished, no stored archive behind (``cleanup``): nothing but the job's record.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import semver
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from pydantic import BaseModel

from adminapp.audit.services import audit_record
from adminapp.core.errors import Conflict, NotFound
from adminapp.jobs.kinds import Chunk, ItemOutcome, JobContext, JobKind, Queue, register
from adminapp.plugins import archives, cache, gitsource, manifest, store
from adminapp.plugins.models import Plugin, PluginVersion

ARCHIVES = "plugins/archives"
UPLOADS = "plugins/uploads"


class PluginInstallParams(BaseModel):
    source: Literal["store", "archive", "git"]
    input: str = ""  # archive: the uploaded file's name in the storage
    filename: str = ""
    store: str = ""  # store: where the store was when the install was asked
    # store: the index's entry when the install was asked (its file and the sha256 the
    # archive fetched must have); empty in a job asked before they were recorded
    store_archive: str = ""
    sha256: str = ""
    plugin_id: str = ""  # store: the id asked; an update: the installed plugin's id
    version: str | None = None
    url: str = ""
    checkout: str | None = None
    subpath: str | None = None
    allow_downgrade: bool = False
    update: bool = False  # the manifest's id must be an installed plugin's (plugin_id)


class PluginInstallResult(BaseModel):
    plugin_id: str
    version: str
    previous_version: str | None = None
    action: Literal["installed", "updated", "downgraded", "reinstalled"]
    sha256: str


def version_order(new: str, old: str) -> int:
    return semver.Version.parse(new).compare(semver.Version.parse(old))


def check_newer(plugin_id: str, new: str, installed: str | None, allow_downgrade: bool) -> None:
    if installed is None or allow_downgrade:
        return
    if version_order(new, installed) <= 0:
        raise Conflict(
            f"{plugin_id} {installed} is installed; {new} is not newer (allow_downgrade "
            "installs an older or the same version).",
            code="plugin_version_not_newer",
            details={"installed": installed, "offered": new},
        )


def _plugins(plugin_id: str):
    return Plugin.objects.annotate(key=Lower("plugin_id")).filter(key=plugin_id.lower())


def _installed_version(plugin_id: str) -> tuple[bool, str | None]:
    """Whether the plugin is installed, and its current version (None: none in use)."""
    found = list(_plugins(plugin_id).values_list("current__version", flat=True)[:1])
    return bool(found), found[0] if found else None


def _locked(plugin_id: str) -> tuple[Plugin | None, str | None]:
    """The installed plugin (its id, manifest id and current version's id only), its row
    locked, and its current version.

    One statement in the usual case: the version is read by a sub-select beside the
    locked row. On PostgreSQL a row locked after waiting for another transaction is
    re-read as that one committed it, but the sub-select still sees the statement's older
    snapshot: a version row inserted by that transaction is not in it (NULL), while one
    that is has the right string (a version row never changes). So a NULL beside a
    ``current_id`` is read again by its own query, after the lock. Hand-written: the ORM
    spent ~1 ms of CPU compiling the lock and the lookup on every install."""
    with connection.cursor() as cursor:
        cursor.execute(_locked_sql(), [plugin_id.lower()])
        row = cursor.fetchone()
        if row is None:
            return None, None
        plugin = Plugin(id=row[0], plugin_id=row[1], current_id=row[2])
        if plugin.current_id is None or row[3] is not None:
            return plugin, row[3]
        cursor.execute(_version_sql(), [plugin.current_id])
        found = cursor.fetchone()
    return plugin, found[0] if found else None


@functools.cache
def _locked_sql() -> str:
    q = connection.ops.quote_name
    plugins, versions = q(Plugin._meta.db_table), q(PluginVersion._meta.db_table)
    lock = " FOR UPDATE OF p" if connection.features.has_select_for_update_of else ""
    if lock == "" and connection.features.has_select_for_update:
        lock = " FOR UPDATE"
    # LOWER(plugin_id): the expression of the unique index (plugin_id_unique_ci).
    return (
        f"SELECT p.id, p.plugin_id, p.current_id,"  # noqa: S608
        f" (SELECT v.version FROM {versions} v WHERE v.id = p.current_id)"
        f" FROM {plugins} p WHERE LOWER(p.plugin_id) = %s{lock}"
    )


@functools.cache
def _version_sql() -> str:
    table = connection.ops.quote_name(PluginVersion._meta.db_table)
    return f"SELECT version FROM {table} WHERE id = %s"  # noqa: S608


_SWITCHED = ("current", "plugin_id", "source", "updated_at")


def _switch_to(plugin: Plugin, version: PluginVersion, source: dict) -> None:
    """``current`` pointed at ``version`` (with the manifest's spelling of the id and the
    source): one UPDATE, its values prepared by the model's fields."""
    plugin.current, plugin.source = version, source
    plugin.updated_at = timezone.now()
    fields = [Plugin._meta.get_field(name) for name in _SWITCHED]
    values = [f.get_db_prep_save(getattr(plugin, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_switch_sql(), [*values, plugin.id])


@functools.cache
def _switch_sql() -> str:
    q = connection.ops.quote_name
    columns = [Plugin._meta.get_field(name).column for name in _SWITCHED]
    sets = ", ".join(f"{q(column)} = %s" for column in columns)
    return f"UPDATE {q(Plugin._meta.db_table)} SET {sets} WHERE id = %s"  # noqa: S608


def _store_entry(params: PluginInstallParams) -> store.StoreEntry:
    """The store's entry the install was asked for (validated again: a plain file name, a
    sha256); read from the store's index for a job asked before params carried it."""
    if params.sha256:
        return store.StoreEntry(
            id=params.plugin_id,
            version=params.version or "",
            archive=params.store_archive,
            sha256=params.sha256,
        )
    index = store.read_index(params.store)
    return store.entry_for(index, params.plugin_id, params.version)


def one_chunk(params: PluginInstallParams) -> bool:
    """Whether the install runs as one chunk: the archive's name in the storage is known
    before it runs (see the module's docstring)."""
    return params.source == "store" and bool(params.sha256)


def _fetch(params: PluginInstallParams, zip_path: Path, scratch: Path) -> tuple[str, dict]:
    """The archive to install, written to ``zip_path``: its sha256 (taken as it was
    written: the archive is not read a second time for it) and its source (no credentials).
    ``scratch``: where a git checkout goes."""
    if params.source == "archive":
        digest = hashlib.sha256()
        with default_storage.open(params.input, "rb") as src, open(zip_path, "wb") as out:
            while block := src.read(256 * 1024):
                digest.update(block)
                out.write(block)
        return digest.hexdigest(), {"kind": "archive", "filename": params.filename}
    if params.source == "store":
        entry = _store_entry(params)
        sha = store.fetch_archive(entry, zip_path, params.store)
        source = {"kind": "store", "store": params.store, "expect": [entry.id, entry.version]}
        return sha, source
    fetched = gitsource.fetch(params.url, params.checkout, params.subpath, scratch)
    sha = archives.deterministic_zip(fetched.directory, zip_path)
    source = {
        "kind": "git",
        "url": params.url,
        "checkout": params.checkout,
        "commit": fetched.commit,
        "subpath": params.subpath or None,
    }
    return sha, source


class WorkFile(File):
    """The fetched archive, handed to the storage as a file it may take: a filesystem
    storage moves it into place (one rename, as it does with a large upload's temporary
    file) instead of copying its bytes; any other storage reads it as usual. A copy the
    storage did not take is removed afterwards."""

    def temporary_file_path(self) -> str:
        return self.file.name


def prepare(params: PluginInstallParams, *, check_installed: bool = True) -> dict:
    """Step 1 (see the module's docstring): the new version stored and unpacked beside the
    old one, and what step 2 needs to switch to it. ``check_installed``: refuse a version
    that is not newer than the installed one before storing it (the switch checks again,
    under the plugin's lock; a one-chunk install, whose switch follows at once, checks
    there only)."""
    # The new version's files are unpacked straight into a fresh folder of the cache, which
    # is renamed into place as it is; the archive and a git checkout go beside it (on this
    # VM a folder made or removed costs ~0.3 ms of CPU, as much as unpacking 1 MB).
    files = cache.workdir("install")
    zip_path, scratch = cache.beside(files, ".zip"), cache.beside(files, ".git")
    try:
        sha, source = _fetch(params, zip_path, scratch)
        size = zip_path.stat().st_size
        if size > settings.PLUGINS_MAX_ARCHIVE_BYTES:
            raise archives.ArchiveRefused(
                f"The archive is {size} bytes; at most {settings.PLUGINS_MAX_ARCHIVE_BYTES}."
            )
        root = archives.extract(zip_path, files)
        m = manifest.load(root)
        expect = source.pop("expect", None)
        if expect and (m.id.lower() != expect[0].lower() or m.version != expect[1]):
            raise store.StoreRefused(
                f"The store's index says {expect[0]} {expect[1]}; the archive's plugin.json "
                f"says {m.id} {m.version}: refused.",
                code="plugin_store_mismatch",
            )
        if params.update and m.id.lower() != params.plugin_id.lower():
            raise Conflict(
                f"This is plugin {m.id!r}, not {params.plugin_id!r}: an update must be a "
                "version of the same plugin.",
                code="plugin_id_mismatch",
            )
        if check_installed:
            installed, current = _installed_version(m.id)
            if params.update and not installed:
                raise NotFound(
                    f"No plugin {params.plugin_id!r} is installed.", code="plugin_not_found"
                )
            check_newer(m.id, m.version, current, params.allow_downgrade)
        name = f"{ARCHIVES}/{sha}.zip"
        if not default_storage.exists(name):
            with open(zip_path, "rb") as fh:
                name = default_storage.save(name, WorkFile(fh, name=f"{sha}.zip"))
        cache.adopt(sha, files)
        return {
            "plugin_id": m.id,
            "version": m.version,
            "manifest": m.model_dump(mode="json", by_alias=True, exclude_none=True),
            "sha256": sha,
            "archive": name,
            "size": size,
            "source": source,
        }
    finally:
        zip_path.unlink(missing_ok=True)  # unless the storage took it
        shutil.rmtree(files, ignore_errors=True)  # unless adopted
        shutil.rmtree(scratch, ignore_errors=True)


def switch(ctx: JobContext[PluginInstallParams], new: dict) -> PluginInstallResult:
    """Step 2: one transaction (the engine's chunk transaction)."""
    params = ctx.params
    plugin, previous = _locked(new["plugin_id"])
    check_newer(new["plugin_id"], new["version"], previous, params.allow_downgrade)
    if plugin is None:
        if params.update:
            raise NotFound(f"No plugin {params.plugin_id!r} is installed.", code="plugin_not_found")
        try:
            with transaction.atomic():
                plugin = Plugin.objects.create(plugin_id=new["plugin_id"], enabled=True)
        except IntegrityError:
            raise Conflict(
                f"Plugin {new['plugin_id']!r} was installed by another job meanwhile.",
                code="plugin_install_conflict",
            ) from None
    version = PluginVersion.objects.create(
        plugin=plugin,
        version=new["version"],
        manifest=new["manifest"],
        sha256=new["sha256"],
        archive=new["archive"],
        size=new["size"],
    )
    plugin.plugin_id = new["plugin_id"]  # the manifest's spelling
    _switch_to(plugin, version, new["source"])
    if previous is None:
        action = "installed"
    else:
        order = version_order(new["version"], previous)
        action = "updated" if order > 0 else ("reinstalled" if order == 0 else "downgraded")
    audit_record(
        actor=ctx.principal,
        action="plugin.install" if previous is None else "plugin.update",
        target_type="plugin",
        target_id=plugin.id,
        details={
            "plugin_id": plugin.plugin_id,
            "version": new["version"],
            "previous_version": previous,
            "sha256": new["sha256"],
            "source": new["source"],
            "job": ctx.job_id,
        },
    )
    return PluginInstallResult(
        plugin_id=plugin.plugin_id,
        version=new["version"],
        previous_version=previous,
        action=action,
        sha256=new["sha256"],
    )


@register
class PluginInstall(JobKind[PluginInstallParams, PluginInstallResult]):
    name = "plugin_install"
    label = "Plugin install"
    queue = Queue.IO
    unit = "steps"
    permission = "plugin.manage"
    total = 2  # unpacked, switched

    def chunks(self, ctx: JobContext[PluginInstallParams], after) -> Iterator[Chunk]:
        if after is None and one_chunk(ctx.params):
            # Both steps: the archive work now, before the chunk's transaction; the switch in it.
            new = prepare(ctx.params, check_installed=False)
            yield Chunk(payload=new, after="switched", size=2, stage="switched", last=True)
            return
        if after is None:
            yield Chunk(
                payload=prepare(ctx.params), after="unpacked", stage="unpacked and validated"
            )
        if after in (None, "unpacked"):
            yield Chunk(payload=None, after="switched", stage="switched", last=True)

    def apply(self, ctx: JobContext[PluginInstallParams], chunk: Chunk) -> list[ItemOutcome]:
        if chunk.after == "unpacked":
            ctx.state["new"] = chunk.payload
            new = chunk.payload
            return [
                ItemOutcome.success(key=f"{new['plugin_id']} {new['version']}", step="unpacked")
            ]
        new = ctx.state["new"] if chunk.payload is None else chunk.payload
        result = switch(ctx, new)
        ctx.state["result"] = result.model_dump(mode="json")
        key = f"{result.plugin_id} {result.version}"
        switched = ItemOutcome.success(key=key, step="switched")
        if chunk.payload is None:
            return [switched]
        return [ItemOutcome.success(key=key, step="unpacked"), switched]

    def result(self, ctx: JobContext[PluginInstallParams]) -> PluginInstallResult:
        return PluginInstallResult.model_validate(ctx.state["result"])

    def finished(self, ctx: JobContext[PluginInstallParams], state: str) -> None:
        """After a success nothing is left but an uploaded archive's copy (the version
        switched to holds the stored archive): the job is not read back for it."""
        if state != "SUCCEEDED":
            self.cleanup(ctx.job_id)
        elif ctx.params.input.startswith(UPLOADS + "/"):
            default_storage.delete(ctx.params.input)

    def cleanup(self, job_id: str) -> None:
        from adminapp.jobs.models import Job

        found = (
            Job.objects.filter(id=job_id).values_list("params", "checkpoint", "attempts").first()
        )
        if found is None:
            return
        params, checkpoint, attempts = found[0] or {}, found[1] or {}, found[2]
        name = params.get("input", "")
        if name.startswith(UPLOADS + "/"):
            default_storage.delete(name)
        # A version stored by step 1 that the switch never committed (the job failed or was
        # aborted in between, or its worker was killed and the reaper gave it up): its
        # archive is nobody's. Once switched (the checkpoint says so, written in the
        # switch's transaction) a version row holds it.
        if checkpoint.get("after") == "switched":
            return
        if attempts and one_chunk(PluginInstallParams.model_validate(params)):
            stored = f"{ARCHIVES}/{params['sha256']}.zip"  # what step 1 stores it as
        else:
            new = (checkpoint.get("state") or {}).get("new") or {}
            stored = new.get("archive", "")
        if (
            stored.startswith(ARCHIVES + "/")
            and not PluginVersion.objects.filter(archive=stored).exists()
        ):
            default_storage.delete(stored)
