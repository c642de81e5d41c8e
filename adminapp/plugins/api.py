"""/api/v1/plugins: the store's catalogue, installs (store, uploaded archive, git) and
updates and deletes as jobs (202 with the Job), the installed plugins, enable/disable,
usages and downloads. Instance admins only (``plugin.manage``: 403 otherwise), except
``GET /plugins/components``, which any organization member may list.

The runtime side mounts its own router at /plugins too (macro runs); the paths differ."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from pydantic import Field

from adminapp.client import types as wire
from adminapp.client.types.plugins import ComponentType
from adminapp.core.errors import NotFound
from adminapp.core.pagination import PageParams
from adminapp.jobs.schemas import job_out
from adminapp.plugins import selectors, services
from adminapp.plugins.schemas import plugin_out, resolved_out

router = Router(tags=["plugins"])

PLUGIN = "/{plugin_id}"


def _key(request: HttpRequest) -> str | None:
    return request.headers.get("Idempotency-Key")


class ComponentQuery(Schema):
    type: ComponentType | None = Field(None, description="importer or macro; default both.")


class DeleteQuery(Schema):
    force: bool = Field(False, description="Delete even while the plugin is in use.")


# --- fixed paths first (a plugin id is never taken for one of them) ----------------------------
@router.get("", response=wire.PluginPage, summary="List installed plugins")
def list_plugins(request: HttpRequest, params: Query[PageParams]):
    page = selectors.plugin_list(actor=request.auth, limit=params.limit, cursor=params.cursor)
    return params.response([plugin_out(p, detail=False) for p in page.items], page)


@router.get(
    "/components",
    response=list[wire.PluginComponentRef],
    summary="Enabled plugins' components (any member): the import choices and macros",
)
def list_components(request: HttpRequest, params: Query[ComponentQuery]):
    kind = params.type.value if params.type else None
    return [resolved_out(c) for c in selectors.components_for(actor=request.auth, type=kind)]


@router.get("/store", response=list[wire.PluginStoreEntry], summary="The store's catalogue")
def store_catalogue(request: HttpRequest):
    return [
        wire.PluginStoreEntry(**entry.model_dump(), installed_version=installed)
        for entry, installed in selectors.store_catalogue(actor=request.auth)
    ]


@router.post(
    "/install/store",
    response={202: wire.Job},
    summary="Install (or update to) a plugin of the store (a job)",
)
def install_from_store(request: HttpRequest, payload: wire.PluginStoreInstallParams):
    job = services.plugin_install_from_store(
        actor=request.auth,
        plugin_id=payload.plugin_id,
        version=payload.version,
        allow_downgrade=payload.allow_downgrade,
        idempotency_key=_key(request),
    )
    return Status(202, job_out(job, include_result=False))


@router.post(
    "/install/archive",
    response={202: wire.Job},
    summary="Install a plugin from an uploaded zip (a job)",
    description=(
        "multipart/form-data: `file` (a zip with plugin.json at its top or in its one "
        "folder), `allow_downgrade`. At most PLUGINS_MAX_ARCHIVE_BYTES (413 above)."
    ),
)
def install_from_archive(
    request: HttpRequest, file: File[UploadedFile], allow_downgrade: Form[bool] = False
):
    job = services.plugin_install_from_archive(
        actor=request.auth,
        upload=file,
        filename=file.name or "",
        allow_downgrade=allow_downgrade,
        idempotency_key=_key(request),
    )
    return Status(202, job_out(job, include_result=False))


@router.post(
    "/install/git",
    response={202: wire.Job},
    summary="Install a plugin from a git repository (a job)",
)
def install_from_git(request: HttpRequest, payload: wire.PluginGitInstallParams):
    job = services.plugin_install_from_git(
        actor=request.auth,
        url=payload.url,
        checkout=payload.checkout,
        subpath=payload.subpath,
        allow_downgrade=payload.allow_downgrade,
        idempotency_key=_key(request),
    )
    return Status(202, job_out(job, include_result=False))


# --- one plugin ------------------------------------------------------------------------------
@router.get(PLUGIN, response=wire.Plugin, summary="A plugin: manifest, components, source")
def get_plugin(request: HttpRequest, plugin_id: str):
    return plugin_out(selectors.plugin_get(actor=request.auth, plugin_id=plugin_id))


@router.get(PLUGIN + "/download", summary="The installed version's archive (zip)")
def download_plugin(request: HttpRequest, plugin_id: str):
    plugin = selectors.plugin_get(actor=request.auth, plugin_id=plugin_id)
    if plugin.current is None or not default_storage.exists(plugin.current.archive):
        raise NotFound("The installed version's archive is not in the storage.")
    return FileResponse(
        default_storage.open(plugin.current.archive, "rb"),
        as_attachment=True,
        filename=f"{plugin.plugin_id}-{plugin.current.version}.zip",
        content_type="application/zip",
    )


@router.get(PLUGIN + "/usages", response=list[wire.PluginUsage], summary="What uses a plugin")
def plugin_usages(request: HttpRequest, plugin_id: str):
    return [
        wire.PluginUsage(kind=u.kind, id=u.id, label=u.label)
        for u in selectors.plugin_usages(actor=request.auth, plugin_id=plugin_id)
    ]


@router.post(PLUGIN + "/enable", response=wire.Plugin, summary="Enable a plugin")
def enable_plugin(request: HttpRequest, plugin_id: str):
    plugin = services.plugin_set_enabled(actor=request.auth, plugin_id=plugin_id, enabled=True)
    return plugin_out(plugin)


@router.post(
    PLUGIN + "/disable",
    response=wire.Plugin,
    summary="Disable a plugin (its components disappear at once)",
)
def disable_plugin(request: HttpRequest, plugin_id: str):
    plugin = services.plugin_set_enabled(actor=request.auth, plugin_id=plugin_id, enabled=False)
    return plugin_out(plugin)


@router.post(
    PLUGIN + "/update",
    response={202: wire.Job},
    summary="Update a plugin from its source: the store's newest version, or its git URL",
)
def update_plugin(request: HttpRequest, plugin_id: str, payload: wire.PluginUpdateParams):
    job = services.plugin_update(
        actor=request.auth,
        plugin_id=plugin_id,
        checkout=payload.checkout,
        allow_downgrade=payload.allow_downgrade,
        idempotency_key=_key(request),
    )
    return Status(202, job_out(job, include_result=False))


@router.post(
    PLUGIN + "/update/archive",
    response={202: wire.Job},
    summary="Update a plugin from an uploaded zip of a newer version (a job)",
)
def update_plugin_from_archive(
    request: HttpRequest,
    plugin_id: str,
    file: File[UploadedFile],
    allow_downgrade: Form[bool] = False,
):
    job = services.plugin_install_from_archive(
        actor=request.auth,
        upload=file,
        filename=file.name or "",
        allow_downgrade=allow_downgrade,
        update_of=plugin_id,
        idempotency_key=_key(request),
    )
    return Status(202, job_out(job, include_result=False))


@router.delete(
    PLUGIN,
    response={202: wire.Job},
    summary="Delete a plugin (a job); 409 listing its usages unless force",
)
def delete_plugin(request: HttpRequest, plugin_id: str, params: Query[DeleteQuery]):
    job = services.plugin_delete(
        actor=request.auth, plugin_id=plugin_id, force=params.force, idempotency_key=_key(request)
    )
    return Status(202, job_out(job, include_result=False))
