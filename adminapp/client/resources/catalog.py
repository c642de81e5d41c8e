"""``client.datasets`` and ``client.data_rows`` (SPEC §4); ``client.global_keys`` is in
``global_keys.py``."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from adminapp.client._pagination import CursorPage
from adminapp.client._transport import FileUpload
from adminapp.client.resources._base import Resource, body, seg
from adminapp.client.resources.jobs import Job
from adminapp.client.types.catalog import (
    DataRow,
    DataRowIn,
    DataRowPage,
    DataRowsCreateResult,
    DataRowsDeleteParams,
    DataRowsImportParams,
    DataRowUpdateParams,
    Dataset,
    DatasetCreateParams,
    DatasetPage,
    DatasetUpdateParams,
    ImportFormat,
    ImportFormatInfo,
    ImportFormatList,
    OnInvalid,
)


def _id(value: Any) -> str:
    """An id, or the ``id`` of a wire object (``dataset=client.datasets.get(...)``)."""
    return value if isinstance(value, str) else value.id


def _started(job: Job, *, wait: bool, timeout: float | None) -> Job:
    return job.wait(timeout=timeout) if wait else job


# --- datasets and data rows -----------------------------------------------------------------


class Datasets(Resource):
    """``client.datasets``: the datasets of a space. Every ``space`` argument is a space id
    or its exact name."""

    def create(self, *, space: str, name: str, description: str | None = None) -> Dataset:
        """Create a dataset; a name another dataset of the space has, in any letter case, is
        a ``ConflictError``."""
        return self._send(
            "POST",
            "/datasets",
            Dataset,
            body(DatasetCreateParams, space=space, name=name, description=description),
        )

    def list(
        self,
        *,
        space: str,
        name: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> CursorPage[Dataset]:
        """The space's datasets, newest first (iterate for all of them); ``name`` is a
        case-insensitive substring."""
        params = {"space": space, "name": name, "limit": limit, "cursor": cursor}
        return self._page("/datasets", DatasetPage, params)

    def import_formats(self) -> list[ImportFormatInfo]:
        """What ``client.data_rows.import_file(format=...)`` accepts: csv, jsonl, then the
        enabled plugins' importers (``id`` = ``<plugin id>/<importer id>``)."""
        return self._get("/datasets/import-formats", ImportFormatList).formats

    def get(self, dataset_id: str) -> Dataset:
        return self._get(f"/datasets/{seg(dataset_id)}", Dataset)

    def update(
        self, dataset_id: str, *, name: str | None = None, description: str | None = None
    ) -> Dataset:
        """Rename a dataset and/or change its description (``ValueError`` if neither is
        given: nothing is sent)."""
        if name is None and description is None:
            raise ValueError("Give a new name or description (or both).")
        return self._send(
            "PATCH",
            f"/datasets/{seg(dataset_id)}",
            Dataset,
            body(DatasetUpdateParams, name=name, description=description),
        )

    def delete(self, dataset_id: str, *, idempotency_key: str | None = None) -> Job:
        """Delete a dataset. It is gone from lists at once (its name is free); the returned
        ``dataset_delete`` job removes its rows and frees their global keys (``job.wait()``)."""
        response = self._client.request(
            "DELETE",
            f"/datasets/{seg(dataset_id)}",
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return Job.bind(response.json(), self._client)


class DataRows(Resource):
    """``client.data_rows``: the rows of a dataset."""

    def create(
        self,
        *,
        dataset: str | Dataset,
        rows: Iterable[DataRowIn | Mapping[str, Any]],
        on_invalid: OnInvalid | str = OnInvalid.REJECT,
    ) -> DataRowsCreateResult:
        """Add up to 1,000 rows (dicts or ``DataRowIn``) to a dataset. A row whose global
        key is taken, repeated in ``rows`` or invalid is reported in ``errors`` (with its
        ``index`` and ``code``) and the others are created (``results``, each with its
        ``id`` and ``index``); ``status`` says which happened. More than 1,000 rows is a
        413: import them from a file."""
        sent = [
            row.model_dump(mode="json", exclude_none=True)
            if isinstance(row, DataRowIn)
            else dict(row)
            for row in rows
        ]
        return self._send(
            "POST",
            f"/datasets/{seg(_id(dataset))}/data-rows",
            DataRowsCreateResult,
            {"rows": sent, "on_invalid": str(OnInvalid(on_invalid))},
        )

    def list(
        self,
        *,
        dataset: str | Dataset,
        external_id: str | None = None,
        global_key: str | None = None,
        global_key_prefix: str | None = None,
        has_global_key: bool | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> CursorPage[DataRow]:
        """A dataset's rows in the order they were added (iterate for all of them);
        ``global_key`` and ``global_key_prefix`` compare in any letter case; with a prefix the rows
        come in key order."""
        params = {
            "external_id": external_id,
            "global_key": global_key,
            "global_key_prefix": global_key_prefix,
            "has_global_key": has_global_key,
            "limit": limit,
            "cursor": cursor,
        }
        return self._page(f"/datasets/{seg(_id(dataset))}/data-rows", DataRowPage, params)

    def get(self, data_row_id: str) -> DataRow:
        return self._get(f"/data-rows/{seg(data_row_id)}", DataRow)

    def get_by_global_key(self, global_key: str) -> DataRow:
        """The row with ``global_key`` (any letter case): ``NotFoundError`` if none."""
        return self._get("/data-rows/by-global-key", DataRow, {"global_key": global_key})

    def update(
        self,
        data_row_id: str,
        *,
        row_data: str | None = None,
        external_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> DataRow:
        """Change ``row_data``, ``external_id`` and/or ``metadata`` (``ValueError`` if none
        is given). Global keys change through ``client.global_keys``."""
        if row_data is None and external_id is None and metadata is None:
            raise ValueError("Give row_data, external_id or metadata to change.")
        return self._send(
            "PATCH",
            f"/data-rows/{seg(data_row_id)}",
            DataRow,
            body(
                DataRowUpdateParams, row_data=row_data, external_id=external_id, metadata=metadata
            ),
        )

    def delete(self, data_row_id: str) -> None:
        """Delete a row; its global key is free again."""
        self._send_empty("DELETE", f"/data-rows/{seg(data_row_id)}")

    def delete_many(
        self,
        data_row_ids: Iterable[str | DataRow],
        *,
        wait: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Delete up to 100,000 rows (ids or ``DataRow``s) as a ``data_rows_delete`` job;
        ``job.items(status="ERROR")`` names the ids not deleted and why."""
        payload = body(DataRowsDeleteParams, data_row_ids=[_id(row) for row in data_row_ids])
        response = self._client.request(
            "POST",
            "/data-rows/delete",
            json=payload,
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return _started(Job.bind(response.json(), self._client), wait=wait, timeout=timeout)

    # --- imports (jobs) --------------------------------------------------------------
    def import_file(
        self,
        *,
        dataset: str | Dataset,
        path: str | os.PathLike[str] | None = None,
        file: IO[bytes] | None = None,
        filename: str | None = None,
        format: ImportFormat | str | None = None,
        on_invalid: OnInvalid | str = OnInvalid.REJECT,
        wait: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Import the rows of a CSV (header row: ``row_data``, ``external_id``,
        ``global_key``, ``metadata``) or JSON Lines file into ``dataset`` (its id, or a
        ``Dataset``), as a job. The file is streamed, never read whole; ``format`` defaults
        to the file name's (.csv, .jsonl, .ndjson). A plugin's importer reads other formats:
        ``format="coco-importer/coco"`` (``client.datasets.import_formats()`` lists them). Give its ``path``, or an open binary,
        seekable ``file`` (and the ``filename`` to show, e.g. a web upload's).

        Returns the ``Job`` at once; ``wait=True`` waits for it to finish (``timeout``
        seconds at most: ``JobTimeoutError`` carries the job id, and ``client.jobs.wait``
        resumes). ``job.result`` counts the rows created and refused
        (``DataRowsImportResult``); ``job.items(status="ERROR")`` names each refused row's
        line and why."""
        if (path is None) == (file is None):
            raise TypeError("Give either path or file.")
        fields = {"on_invalid": str(OnInvalid(on_invalid).value)}
        if format is not None:  # a plugin's importer is "<plugin id>/<importer id>"
            text = str(format)
            fields["format"] = text if "/" in text else str(ImportFormat(format).value)
        source: str | os.PathLike[str] | IO[bytes] = file if file is not None else path
        upload = FileUpload(source, filename=filename, fields=fields)
        response = self._client.request(
            "POST",
            f"/datasets/{seg(_id(dataset))}/imports",
            upload=upload,
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return _started(Job.bind(response.json(), self._client), wait=wait, timeout=timeout)

    def create_async(
        self,
        *,
        dataset: str | Dataset,
        rows: Sequence[DataRowIn | Mapping[str, Any]],
        on_invalid: OnInvalid | str = OnInvalid.REJECT,
        wait: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Add up to 100,000 rows as an import job (``create`` takes up to 1,000 at once):
        the same outcomes as ``import_file``, each refused row's ``key`` being its position
        in ``rows`` + 1. Returns the ``Job`` (``wait=True``: finished)."""
        payload = body(DataRowsImportParams, rows=list(rows), on_invalid=OnInvalid(on_invalid))
        response = self._client.request(
            "POST",
            f"/datasets/{seg(_id(dataset))}/data-rows/async",
            json=payload,
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return _started(Job.bind(response.json(), self._client), wait=wait, timeout=timeout)
