"""Installs, updates and deletes: each checks what it can at once (permissions, the
upload's size and kind, the git URL's rules, the store's entry, usages) and starts a job
(``plugins.jobs``, ``plugins.delete_job``) that does the rest; every request is audited
with its job."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from adminapp.audit.services import audit_record
from adminapp.core.errors import PayloadTooLarge, ValidationFailed
from adminapp.core.principal import Principal
from adminapp.jobs.models import Job
from adminapp.jobs.services import job_create
from adminapp.plugins import archives, gitsource, store, usages
from adminapp.plugins.delete_job import PluginDelete, PluginDeleteParams, usages_conflict
from adminapp.plugins.jobs import UPLOADS, PluginInstall, PluginInstallParams, check_newer
from adminapp.plugins.services.common import installed, require_manage

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _start(
    actor: Principal, params: PluginInstallParams, *, action: str, details: dict, key: str | None
) -> tuple[Job, bool]:
    return job_create(
        actor=actor,
        kind=PluginInstall,
        params=params,
        idempotency_key=key,
        audit=[{"action": action, "details": details}],  # with the job's own, one INSERT
    )


def plugin_install_from_archive(
    *,
    actor: Principal,
    upload,
    filename: str = "",
    allow_downgrade: bool = False,
    update_of: str | None = None,
    idempotency_key: str | None = None,
) -> Job:
    """Start installing an uploaded zip: checked for its size and zip signature here, put
    into the storage in chunks (never read whole), unpacked and validated by the job."""
    require_manage(actor)
    if update_of is not None:
        installed(update_of)
    limit = settings.PLUGINS_MAX_ARCHIVE_BYTES
    size = getattr(upload, "size", None) or 0
    if size > limit:
        raise PayloadTooLarge(
            f"The archive is {size:,} bytes; the limit is {limit:,} (PLUGINS_MAX_ARCHIVE_BYTES).",
            code="plugin_archive_too_large",
        )
    if size == 0:
        raise ValidationFailed(
            "The archive is empty.", code="plugin_archive_empty", fields={"file": ["Empty file."]}
        )
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if head not in ZIP_MAGIC:  # refused as the job refuses a hostile archive: 422, same code
        raise archives.ArchiveRefused(
            "The file is not a zip archive.", fields={"file": ["Not a zip."]}
        )
    filename = (filename or getattr(upload, "name", "") or "plugin.zip")[-255:]
    name = default_storage.save(f"{UPLOADS}/{uuid.uuid4().hex}.zip", upload)
    params = PluginInstallParams(
        source="archive",
        input=name,
        filename=filename,
        allow_downgrade=allow_downgrade,
        plugin_id=update_of or "",
        update=update_of is not None,
    )
    try:
        job, created = _start(
            actor,
            params,
            action="plugin.install_requested",
            details={
                "source": "archive",
                "filename": filename,
                "size": size,
                "update_of": update_of,
            },
            key=idempotency_key,
        )
    except Exception:
        default_storage.delete(name)
        raise
    if not created:
        default_storage.delete(name)
    return job


def plugin_install_from_store(
    *,
    actor: Principal,
    plugin_id: str,
    version: str | None = None,
    allow_downgrade: bool = False,
    update: bool = False,
    idempotency_key: str | None = None,
) -> Job:
    require_manage(actor)
    where = store.location()
    entry = store.entry_for(store.read_index(where), plugin_id, version)
    current = None
    if update:
        plugin = installed(plugin_id)
        current = plugin.current.version if plugin.current else None
    check_newer(entry.id, entry.version, current, allow_downgrade)
    params = PluginInstallParams(
        source="store",
        store=where,
        plugin_id=entry.id,
        version=entry.version,
        store_archive=entry.archive,
        sha256=entry.sha256,
        allow_downgrade=allow_downgrade,
        update=update,
    )
    job, _ = _start(
        actor,
        params,
        action="plugin.install_requested",
        details={"source": "store", "plugin_id": entry.id, "version": entry.version},
        key=idempotency_key,
    )
    return job


def plugin_install_from_git(
    *,
    actor: Principal,
    url: str,
    checkout: str | None = None,
    subpath: str | None = None,
    allow_downgrade: bool = False,
    update_of: str | None = None,
    idempotency_key: str | None = None,
) -> Job:
    """Refuses a hostile URL, checkout or subpath before anything runs (see gitsource); the
    URL never reaches a message, log or audit event unless it was accepted (and an
    accepted URL carries no credentials)."""
    require_manage(actor)
    url = gitsource.check_url(url)
    checkout = gitsource.check_checkout(checkout)
    subpath = gitsource.check_subpath(subpath) or None
    if update_of is not None:
        installed(update_of)
    params = PluginInstallParams(
        source="git",
        url=url,
        checkout=checkout,
        subpath=subpath,
        allow_downgrade=allow_downgrade,
        plugin_id=update_of or "",
        update=update_of is not None,
    )
    job, _ = _start(
        actor,
        params,
        action="plugin.install_requested",
        details={"source": "git", "url": url, "checkout": checkout, "subpath": subpath},
        key=idempotency_key,
    )
    return job


def plugin_update(
    *,
    actor: Principal,
    plugin_id: str,
    checkout: str | None = None,
    allow_downgrade: bool = False,
    idempotency_key: str | None = None,
) -> Job:
    """Update from the plugin's own source: the store's newest version, or the same git URL
    (and checkout, unless another is given). An uploaded archive's plugin is updated by
    uploading the newer archive (``plugin_install_from_archive(update_of=...)``)."""
    require_manage(actor)
    plugin = installed(plugin_id)
    source = plugin.source or {}
    kind = source.get("kind")
    if kind == "store":
        return plugin_install_from_store(
            actor=actor,
            plugin_id=plugin.plugin_id,
            allow_downgrade=allow_downgrade,
            update=True,
            idempotency_key=idempotency_key,
        )
    if kind == "git":
        return plugin_install_from_git(
            actor=actor,
            url=source["url"],
            checkout=checkout if checkout is not None else source.get("checkout"),
            subpath=source.get("subpath"),
            allow_downgrade=allow_downgrade,
            update_of=plugin.plugin_id,
            idempotency_key=idempotency_key,
        )
    raise ValidationFailed(
        f"Plugin {plugin.plugin_id!r} was installed from an uploaded archive: update it by "
        "uploading the newer archive.",
        code="plugin_update_needs_archive",
    )


def plugin_delete(
    *, actor: Principal, plugin_id: str, force: bool = False, idempotency_key: str | None = None
) -> Job:
    """Refused with 409 listing the usages (``details.usages``) unless ``force``; the job
    checks again under a lock."""
    require_manage(actor)
    plugin = installed(plugin_id)
    found = usages.usages_of(plugin)
    if found and not force:
        raise usages_conflict(plugin, found)
    params = PluginDeleteParams(plugin=plugin.id, plugin_id=plugin.plugin_id, force=force)
    with transaction.atomic():
        job, created = job_create(
            actor=actor, kind=PluginDelete, params=params, idempotency_key=idempotency_key
        )
        if created:
            audit_record(
                actor=actor,
                action="plugin.delete_requested",
                target_type="plugin",
                target_id=plugin.id,
                details={"plugin_id": plugin.plugin_id, "force": force, "job": job.id},
            )
    return job
