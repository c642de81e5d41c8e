"""``client.plugins`` (issue 11): the store's catalogue, installs from the store, an
uploaded archive or git, updates and deletes — each a ``Job`` to ``wait()`` on — and the
installed plugins (get, download, enable, disable, usages). Managing plugins takes an
instance admin; ``components()`` any organization member.

Running macros (``run_macro``) is the runtime half's (``resources/plugin_runtime.py``); this
resource inherits it when that half is present."""

from __future__ import annotations

import os
from typing import IO

from pydantic import TypeAdapter

from adminapp.client._pagination import CursorPage
from adminapp.client._transport import FileUpload, Response
from adminapp.client.resources._base import Resource, body, seg
from adminapp.client.resources.jobs import Job
from adminapp.client.types.plugins import (
    ComponentType,
    Plugin,
    PluginComponentRef,
    PluginGitInstallParams,
    PluginPage,
    PluginStoreEntry,
    PluginStoreInstallParams,
    PluginUpdateParams,
    PluginUsage,
)

try:  # the runtime half (macros) of the same resource, written apart
    from adminapp.client.resources.plugin_runtime import PluginRuntime as _RuntimeHalf
except ImportError:  # pragma: no cover - a tree without the runtime half
    _RuntimeHalf = Resource  # type: ignore[misc,assignment]

Archive = str | os.PathLike[str] | IO[bytes]


def _path(plugin_id: str) -> str:
    return f"/plugins/{seg(plugin_id)}"


class Plugins(_RuntimeHalf):  # type: ignore[misc,valid-type]
    def _job(self, response: Response, *, wait: bool, timeout: float | None) -> Job:
        job = Job.bind(response.json(), self._client)
        return job.wait(timeout=timeout) if wait else job

    # --- reading ------------------------------------------------------------------------------
    def list(self, *, limit: int = 50, cursor: str | None = None) -> CursorPage[Plugin]:
        """The installed plugins, oldest first (iterate the page for all of them, or page
        with ``cursor=page.pagination.next_cursor``)."""
        return self._page("/plugins", PluginPage, {"limit": limit, "cursor": cursor})

    def get(self, plugin_id: str) -> Plugin:
        """One plugin: its manifest, components, installed version, source and whether it
        is enabled. ``plugin_id`` is the manifest's id (any case)."""
        return self._get(_path(plugin_id), Plugin)

    def store(self) -> list[PluginStoreEntry]:
        """The store's catalogue, each entry with the version installed here (if any)."""
        data = self._client.request("GET", "/plugins/store").json()
        return TypeAdapter(list[PluginStoreEntry]).validate_python(data)

    def components(self, type: ComponentType | str | None = None) -> list[PluginComponentRef]:  # noqa: A002
        """Enabled plugins' components (``"importer"`` or ``"macro"``; default both): what
        the import choices and the macro lists show. Any organization member."""
        params = {"type": str(ComponentType(type).value)} if type is not None else None
        data = self._client.request("GET", "/plugins/components", params=params).json()
        return TypeAdapter(list[PluginComponentRef]).validate_python(data)

    def usages(self, plugin_id: str) -> list[PluginUsage]:
        """What uses the plugin now (running import or macro jobs, saved configurations):
        what blocks its deletion."""
        data = self._client.request("GET", f"{_path(plugin_id)}/usages").json()
        return TypeAdapter(list[PluginUsage]).validate_python(data)

    def open_download(self, plugin_id: str) -> Response:
        """The installed version's zip as a streamed response (``iter_bytes()``, ``close()``)."""
        return self._client.request("GET", f"{_path(plugin_id)}/download", stream=True)

    def download(self, plugin_id: str) -> bytes:
        """The installed version's zip."""
        with self.open_download(plugin_id) as response:
            return response.content

    # --- enable / disable ----------------------------------------------------------------------
    def enable(self, plugin_id: str) -> Plugin:
        return self._send("POST", f"{_path(plugin_id)}/enable", Plugin)

    def disable(self, plugin_id: str) -> Plugin:
        """Its components leave the import choices and macro lists at once."""
        return self._send("POST", f"{_path(plugin_id)}/disable", Plugin)

    # --- installs, updates, deletes (jobs) -----------------------------------------------------
    def install_from_store(
        self,
        plugin_id: str,
        *,
        version: str | None = None,
        allow_downgrade: bool = False,
        wait: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Install (or update to) the store's ``plugin_id`` (its newest version, or
        ``version``). Returns the ``plugin_install`` job; ``wait=True`` waits for it."""
        response = self._client.request(
            "POST",
            "/plugins/install/store",
            json=body(
                PluginStoreInstallParams,
                plugin_id=plugin_id,
                version=version,
                allow_downgrade=allow_downgrade,
            ),
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return self._job(response, wait=wait, timeout=timeout)

    def install_from_archive(
        self,
        file: Archive,
        *,
        filename: str | None = None,
        allow_downgrade: bool = False,
        wait: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Install the plugin in a zip: a path, or an open binary seekable file (streamed,
        never read whole). A newer version of an installed plugin updates it."""
        return self._upload(
            "/plugins/install/archive",
            file,
            filename,
            allow_downgrade,
            wait,
            timeout,
            idempotency_key,
        )

    def install_from_git(
        self,
        url: str,
        checkout: str | None = None,
        subpath: str | None = None,
        *,
        allow_downgrade: bool = False,
        wait: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Install from a git repository: ``checkout`` a branch, tag or sha (default: the
        remote's default branch), ``subpath`` the folder holding plugin.json."""
        response = self._client.request(
            "POST",
            "/plugins/install/git",
            json=body(
                PluginGitInstallParams,
                url=url,
                checkout=checkout,
                subpath=subpath,
                allow_downgrade=allow_downgrade,
            ),
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return self._job(response, wait=wait, timeout=timeout)

    def update(
        self,
        plugin_id: str,
        *,
        archive: Archive | None = None,
        checkout: str | None = None,
        allow_downgrade: bool = False,
        wait: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Update an installed plugin: from ``archive`` (a zip of a newer version of the
        same plugin) if given, else from its own source — the store's newest version, or
        its git URL (and checkout, unless ``checkout`` names another). Older or the same
        version: refused (409 ``plugin_version_not_newer``) unless ``allow_downgrade``."""
        if archive is not None:
            return self._upload(
                f"{_path(plugin_id)}/update/archive",
                archive,
                None,
                allow_downgrade,
                wait,
                timeout,
                idempotency_key,
            )
        response = self._client.request(
            "POST",
            f"{_path(plugin_id)}/update",
            json=body(PluginUpdateParams, checkout=checkout, allow_downgrade=allow_downgrade),
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return self._job(response, wait=wait, timeout=timeout)

    def delete(
        self,
        plugin_id: str,
        *,
        force: bool = False,
        wait: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Delete the plugin (a ``plugin_delete`` job). While it is in use:
        ``ConflictError`` (code ``plugin_in_use``, the usages in ``details["usages"]``)
        unless ``force``."""
        response = self._client.request(
            "DELETE",
            _path(plugin_id),
            params={"force": "true"} if force else None,
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return self._job(response, wait=wait, timeout=timeout)

    def _upload(
        self,
        path: str,
        file: Archive,
        filename: str | None,
        allow_downgrade: bool,
        wait: bool,
        timeout: float | None,
        idempotency_key: str | None,
    ) -> Job:
        upload = FileUpload(
            file,
            filename=filename,
            content_type="application/zip",
            fields={"allow_downgrade": "true" if allow_downgrade else "false"},
        )
        response = self._client.request(
            "POST", path, upload=upload, creates_job=True, idempotency_key=idempotency_key
        )
        return self._job(response, wait=wait, timeout=timeout)


__all__ = ["Plugins"]
