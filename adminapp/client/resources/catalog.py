"""``client.datasets``, ``client.data_rows`` and ``client.global_keys`` (SPEC §4)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any, TypeVar

from pydantic import BaseModel

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
    GlobalKeyAssignItem,
    GlobalKeyAssignment,
    GlobalKeyAssignParams,
    GlobalKeyAssignResult,
    GlobalKeyCleared,
    GlobalKeyClearResult,
    GlobalKeyError,
    GlobalKeyExistsParams,
    GlobalKeyExistsResult,
    GlobalKeyJobSummary,
    GlobalKeyKeysParams,
    GlobalKeyLookupParams,
    GlobalKeyLookupResult,
    GlobalKeyRevertParams,
    GlobalKeyRevertResult,
    ImportFormat,
    OnInvalid,
)
from adminapp.client.types.jobs import JobItem, JobOutcome


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
        ``global_key`` and ``global_key_prefix`` compare in any letter case."""
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
        to the file name's (.csv, .jsonl, .ndjson). Give its ``path``, or an open binary,
        seekable ``file`` (and the ``filename`` to show, e.g. a web upload's).

        Returns the ``Job`` at once; ``wait=True`` waits for it to finish (``timeout``
        seconds at most: ``JobTimeoutError`` carries the job id, and ``client.jobs.wait``
        resumes). ``job.result`` counts the rows created and refused
        (``DataRowsImportResult``); ``job.items(status="ERROR")`` names each refused row's
        line and why."""
        if (path is None) == (file is None):
            raise TypeError("Give either path or file.")
        fields = {"on_invalid": str(OnInvalid(on_invalid).value)}
        if format is not None:
            fields["format"] = str(ImportFormat(format).value)
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


# --- global keys ----------------------------------------------------------------------------


R = TypeVar("R", bound=GlobalKeyJobSummary)
FileSource = str | os.PathLike[str] | IO[bytes]
ITEMS_PAGE = 100  # the most /jobs/{id}/items gives per page


def _pair(item: GlobalKeyAssignItem | Mapping[str, Any]) -> dict[str, Any]:
    return item.model_dump() if isinstance(item, BaseModel) else dict(item)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _content_type(name: str) -> str:
    return "text/csv" if name.lower().endswith(".csv") else "application/x-ndjson"


class GlobalKeys(Resource):
    """``client.global_keys``: assign, clear and look up global keys, as jobs.

    ``assign``, ``clear``, ``lookup`` and ``revert`` start the job, wait for it (up to
    ``timeout_seconds``; None waits as long as it takes) and return every outcome: ``status``
    (SUCCESS, PARTIAL_SUCCESS or FAILURE), ``results`` and ``errors`` (each with its ``code``,
    ``message`` and ``input``), paged in for you. If the time runs out they raise
    ``JobTimeoutError``: the job keeps running, and ``client.jobs.get(exc.job_id).wait()``
    resumes. The ``*_async`` and ``*_file`` variants return the ``Job`` at once.

    Inputs: up to 100,000 per call as JSON; more (up to 5,000,000) as a file:
    a ``data_row_id,global_key`` CSV or JSON lines for ``assign_file``, a ``global_key`` CSV
    or JSON lines of keys for ``clear_file`` / ``lookup_file`` (streamed, never read whole).
    """

    # --- jobs started from Python values --------------------------------------------
    def _start(self, path: str, payload: dict[str, Any], idempotency_key: str | None) -> Job:
        response = self._client.request(
            "POST", path, json=payload, creates_job=True, idempotency_key=idempotency_key
        )
        return Job.bind(response.json(), self._client)

    def assign_async(
        self,
        inputs: Iterable[GlobalKeyAssignItem | Mapping[str, Any]],
        *,
        on_invalid: OnInvalid | str = OnInvalid.REJECT,
        dry_run: bool = False,
        idempotency_key: str | None = None,
    ) -> Job:
        """Start a ``global_key_assign`` job for ``{data_row_id, global_key}`` pairs (dicts
        or ``GlobalKeyAssignItem``); ``dry_run=True`` previews it and changes nothing."""
        payload = body(
            GlobalKeyAssignParams,
            items=[_pair(item) for item in inputs],
            on_invalid=on_invalid,
            dry_run=dry_run,
        )
        return self._start("/global-keys/assign", payload, idempotency_key)

    def clear_async(
        self,
        global_keys: Iterable[str],
        *,
        dry_run: bool = False,
        idempotency_key: str | None = None,
    ) -> Job:
        """Start a ``global_key_clear`` job: the rows holding these keys lose them."""
        payload = body(GlobalKeyKeysParams, global_keys=list(global_keys), dry_run=dry_run)
        return self._start("/global-keys/clear", payload, idempotency_key)

    def lookup_async(
        self, global_keys: Iterable[str], *, idempotency_key: str | None = None
    ) -> Job:
        """Start a ``global_key_lookup`` job (data row ids for keys, in input order)."""
        payload = body(GlobalKeyLookupParams, global_keys=list(global_keys))
        return self._start("/global-keys/lookup", payload, idempotency_key)

    def revert_async(self, job_id: str, *, idempotency_key: str | None = None) -> Job:
        """Start a ``global_key_revert`` job undoing a finished assign or clear job."""
        payload = body(GlobalKeyRevertParams, job_id=job_id)
        return self._start("/global-keys/revert", payload, idempotency_key)

    # --- jobs started from a file ---------------------------------------------------
    def _start_file(
        self,
        path: str,
        source: FileSource,
        fields: dict[str, str],
        filename: str | None,
        idempotency_key: str | None,
    ) -> Job:
        name = filename or os.path.basename(
            os.fspath(source)
            if isinstance(source, str | os.PathLike)
            else str(getattr(source, "name", ""))
        )
        upload = FileUpload(source, filename=name, fields=fields, content_type=_content_type(name))
        response = self._client.request(
            "POST", path, upload=upload, creates_job=True, idempotency_key=idempotency_key
        )
        return Job.bind(response.json(), self._client)

    def assign_file(
        self,
        path: FileSource,
        *,
        on_invalid: OnInvalid | str = OnInvalid.REJECT,
        dry_run: bool = False,
        filename: str | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Start a ``global_key_assign`` job from a ``data_row_id,global_key`` CSV (``.csv``)
        or a JSON lines file (``.jsonl``) — a path or a seekable binary file (then name it
        with ``filename`` if its own name does not end in .csv / .jsonl)."""
        fields = {
            "on_invalid": str(OnInvalid(on_invalid).value),
            "dry_run": "true" if dry_run else "false",
        }
        return self._start_file("/global-keys/assign/file", path, fields, filename, idempotency_key)

    def clear_file(
        self,
        path: FileSource,
        *,
        dry_run: bool = False,
        filename: str | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Start a ``global_key_clear`` job from a ``global_key`` CSV or JSON lines file."""
        fields = {"dry_run": "true" if dry_run else "false"}
        return self._start_file("/global-keys/clear/file", path, fields, filename, idempotency_key)

    def lookup_file(
        self, path: FileSource, *, filename: str | None = None, idempotency_key: str | None = None
    ) -> Job:
        """Start a ``global_key_lookup`` job from a ``global_key`` CSV or JSON lines file."""
        return self._start_file("/global-keys/lookup/file", path, {}, filename, idempotency_key)

    # --- the same, waited for -------------------------------------------------------
    def assign(
        self,
        inputs: Iterable[GlobalKeyAssignItem | Mapping[str, Any]],
        *,
        on_invalid: OnInvalid | str = OnInvalid.REJECT,
        dry_run: bool = False,
        timeout_seconds: float | None = 60,
        idempotency_key: str | None = None,
    ) -> GlobalKeyAssignResult:
        """Assign keys to data rows and return every outcome (see the class docstring);
        ``dry_run=True`` returns exactly what a real run would, and changes nothing."""
        job = self.assign_async(
            inputs, on_invalid=on_invalid, dry_run=dry_run, idempotency_key=idempotency_key
        )
        return self.assign_result(job, timeout_seconds=timeout_seconds)

    def clear(
        self,
        global_keys: Iterable[str],
        *,
        dry_run: bool = False,
        timeout_seconds: float | None = 60,
        idempotency_key: str | None = None,
    ) -> GlobalKeyClearResult:
        """Clear keys; ``results`` name each cleared key and its row, ``errors`` NOT_FOUND,
        ACCESS_DENIED and DUPLICATE_IN_REQUEST."""
        job = self.clear_async(global_keys, dry_run=dry_run, idempotency_key=idempotency_key)
        return self.clear_result(job, timeout_seconds=timeout_seconds)

    def lookup(
        self,
        global_keys: Iterable[str],
        *,
        timeout_seconds: float | None = 60,
        idempotency_key: str | None = None,
    ) -> GlobalKeyLookupResult:
        """``results``: per key, in input order, the data row id or None (no row you can
        read holds it)."""
        job = self.lookup_async(global_keys, idempotency_key=idempotency_key)
        return self.lookup_result(job, timeout_seconds=timeout_seconds)

    def revert(
        self,
        job_id: str,
        *,
        timeout_seconds: float | None = 60,
        idempotency_key: str | None = None,
    ) -> GlobalKeyRevertResult:
        """Undo a finished assign or clear job: each row it changed gets its previous key
        back, unless the row changed since (error CONFLICT) or the key was taken since
        (KEY_TAKEN)."""
        job = self.revert_async(job_id, idempotency_key=idempotency_key)
        return self.revert_result(job, timeout_seconds=timeout_seconds)

    def exists(self, global_keys: Iterable[str]) -> list[bool]:
        """Per key (up to 10,000), in order: whether a data row you can read holds it."""
        payload = body(GlobalKeyExistsParams, global_keys=list(global_keys))
        return self._send("POST", "/global-keys/exists", GlobalKeyExistsResult, payload).results

    # --- results of a job (also for a Job from an *_async / *_file call) -------------
    def assign_result(
        self, job: Job | str, *, timeout_seconds: float | None = 60
    ) -> GlobalKeyAssignResult:
        """The outcomes of an assign job (waits for it like ``assign``)."""

        def error(item: JobItem) -> GlobalKeyAssignItem:
            return GlobalKeyAssignItem.model_construct(
                data_row_id=str(item.data.get("data_row_id") or ""),
                global_key=str(item.data.get("input_global_key") or item.key),
            )

        return self._collect(job, timeout_seconds, GlobalKeyAssignResult, _assignment, error)

    def clear_result(
        self, job: Job | str, *, timeout_seconds: float | None = 60
    ) -> GlobalKeyClearResult:
        """The outcomes of a clear job (waits for it like ``clear``)."""

        def result(item: JobItem) -> GlobalKeyCleared:
            return GlobalKeyCleared(
                global_key=str(item.data.get("global_key") or item.key),
                data_row_id=str(item.data.get("data_row_id") or ""),
                previous_global_key=_text(item.data.get("previous_global_key")),
            )

        return self._collect(
            job,
            timeout_seconds,
            GlobalKeyClearResult,
            result,
            lambda item: str(item.data.get("global_key") or item.key),
        )

    def lookup_result(
        self, job: Job | str, *, timeout_seconds: float | None = 60
    ) -> GlobalKeyLookupResult:
        """The outcomes of a lookup job (waits for it like ``lookup``)."""
        return self._collect(
            job,
            timeout_seconds,
            GlobalKeyLookupResult,
            lambda item: _text(item.data.get("data_row_id")),
            lambda item: str(item.data.get("global_key") or item.key),
        )

    def revert_result(
        self, job: Job | str, *, timeout_seconds: float | None = 60
    ) -> GlobalKeyRevertResult:
        """The outcomes of a revert job (waits for it like ``revert``)."""
        return self._collect(
            job,
            timeout_seconds,
            GlobalKeyRevertResult,
            _assignment,
            lambda item: str(item.data.get("data_row_id") or item.key),
        )

    def _collect(
        self,
        job: Job | str,
        timeout_seconds: float | None,
        model: type[R],
        result: Callable[[JobItem], Any],
        error_input: Callable[[JobItem], Any],
    ) -> R:
        """Wait for ``job`` (``JobTimeoutError`` with its id if time runs out), then page in
        every item: successes become ``results``, the rest ``errors``, both in input order."""
        if isinstance(job, str):
            job = Job.bind(self._client.request("GET", f"/jobs/{seg(job)}").json(), self._client)
        finished = job.wait(timeout=timeout_seconds)
        results: list[Any] = []
        errors: list[GlobalKeyError] = []
        for item in finished.items(limit=ITEMS_PAGE):
            if item.status == "SUCCESS":
                results.append(result(item))
            else:
                errors.append(
                    GlobalKeyError(
                        position=item.seq,
                        code=item.error_code,
                        message=item.message,
                        input=error_input(item),
                    )
                )
        summary = finished.result or {}
        return model(
            job_id=finished.id,
            status=finished.outcome or JobOutcome.FAILURE,
            dry_run=bool(summary.get("dry_run", finished.params.get("dry_run", False))),
            counts=dict(summary.get("counts") or {}),
            results=results,
            errors=errors,
            error=finished.error,
        )


def _assignment(item: JobItem) -> GlobalKeyAssignment:
    data = item.data
    return GlobalKeyAssignment(
        data_row_id=str(data.get("data_row_id") or ""),
        global_key=_text(data.get("global_key")),
        previous_global_key=_text(data.get("previous_global_key")),
        changed=bool(data.get("changed", True)),
        sanitized=bool(data.get("sanitized", False)),
    )
