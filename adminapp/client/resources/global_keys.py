"""``client.global_keys``: assign, clear, look up and revert global keys, as jobs (SPEC §4)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any, TypeVar

from pydantic import BaseModel

from adminapp.client._transport import FileUpload
from adminapp.client.resources._base import Resource, body, seg
from adminapp.client.resources.jobs import Job
from adminapp.client.types.catalog import (
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
    OnInvalid,
)
from adminapp.client.types.jobs import JobItem, JobOutcome

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
