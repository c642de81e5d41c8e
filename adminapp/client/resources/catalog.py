"""``client.datasets``, ``client.data_rows`` and ``client.global_keys`` (SPEC §4)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from adminapp.client._multipart import MultipartBody
from adminapp.client.resources._base import Resource, body, seg
from adminapp.client.resources.jobs import Job
from adminapp.client.types.catalog import DataRowIn, DataRowsImportParams, ImportFormat, OnInvalid

# --- datasets and data rows -----------------------------------------------------------------


class Datasets(Resource):
    """``client.datasets``: the datasets of a space."""


class DataRows(Resource):
    """``client.data_rows``: the rows of a dataset."""

    # --- imports (jobs) --------------------------------------------------------------
    def import_file(
        self,
        *,
        dataset: str | Any,
        path: str | os.PathLike[str],
        format: ImportFormat | str | None = None,
        on_invalid: OnInvalid | str = OnInvalid.REJECT,
        wait: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Import the rows of a CSV (header row: ``row_data``, ``external_id``,
        ``global_key``, ``metadata``) or JSON Lines file into ``dataset`` (its id, or a
        ``Dataset``), as a job. The file is streamed, never read whole; ``format`` defaults
        to the file name's (.csv, .jsonl, .ndjson).

        Returns the ``Job`` at once; ``wait=True`` waits for it to finish (``timeout``
        seconds at most: ``JobTimeoutError`` carries the job id, and ``client.jobs.wait``
        resumes). ``job.result`` counts the rows created and refused
        (``DataRowsImportResult``); ``job.items(status="ERROR")`` names each refused row's
        line and why."""
        path = Path(path)
        fields = {"on_invalid": str(OnInvalid(on_invalid).value)}
        if format is not None:
            fields["format"] = str(ImportFormat(format).value)
        with open(path, "rb") as fh:
            upload = MultipartBody(fields=fields, file_field="file", fileobj=fh, filename=path.name)
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
        dataset: str | Any,
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


def _id(thing: str | Any) -> str:
    return thing if isinstance(thing, str) else thing.id


def _started(job: Job, *, wait: bool, timeout: float | None) -> Job:
    return job.wait(timeout=timeout) if wait else job


# --- global keys ----------------------------------------------------------------------------


class GlobalKeys(Resource):
    """``client.global_keys``: assign, clear and look up global keys, as jobs."""
