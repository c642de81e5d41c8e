"""Wire types of the catalog: datasets, data rows and global keys (SPEC §4)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from adminapp.client.types.common import Page, ParamsModel, WireModel
from adminapp.client.types.jobs import JobError, JobOutcome

__all__: list[str] = [
    "DataRow",
    "DataRowCreated",
    "DataRowIn",
    "DataRowPage",
    "DataRowUpdateParams",
    "DataRowsDeleteParams",
    "DataRowsCreateParams",
    "DataRowsCreateResult",
    "Dataset",
    "DatasetCreateParams",
    "DatasetPage",
    "DatasetUpdateParams",
    "GlobalKeyAssignItem",
    "GlobalKeyAssignParams",
    "GlobalKeyAssignResult",
    "GlobalKeyAssignment",
    "GlobalKeyClearResult",
    "GlobalKeyCleared",
    "GlobalKeyError",
    "GlobalKeyErrorCode",
    "GlobalKeyExistsParams",
    "GlobalKeyExistsResult",
    "GlobalKeyJobSummary",
    "GlobalKeyKeysParams",
    "GlobalKeyLookupParams",
    "GlobalKeyLookupResult",
    "GlobalKeyRevertParams",
    "GlobalKeyRevertResult",
    "ItemError",
    "OnInvalid",
]

# --- datasets and data rows -----------------------------------------------------------------


class GlobalKeyErrorCode(StrEnum):
    """The machine codes of per-item errors (SPEC §4), the same at every size and door."""

    KEY_TAKEN = "KEY_TAKEN"  # another row of the organization has the key (any case)
    DUPLICATE_IN_REQUEST = "DUPLICATE_IN_REQUEST"  # a later occurrence (any case) in one request
    DATA_ROW_NOT_FOUND = "DATA_ROW_NOT_FOUND"
    ACCESS_DENIED = "ACCESS_DENIED"  # the row is in a space the caller cannot write
    INVALID_KEY = "INVALID_KEY"  # breaks the key rules (and could not be sanitized)
    NOT_FOUND = "NOT_FOUND"  # clear: no row has the key
    CONFLICT = "CONFLICT"  # revert: the row changed since the reverted job


class OnInvalid(StrEnum):
    """What to do with a global key that breaks the rules: refuse the item (``INVALID_KEY``)
    or replace the characters not allowed with ``_`` (the item says ``sanitized: true``)."""

    REJECT = "reject"
    SANITIZE = "sanitize"


class Dataset(WireModel):
    id: str
    space_id: str
    name: str
    description: str = ""
    row_count: int = Field(description="Exact: kept by every write, never counted.")
    created_at: datetime
    updated_at: datetime


class DatasetPage(Page[Dataset]):
    pass


class DataRow(WireModel):
    id: str
    dataset_id: str
    space_id: str
    row_data: str = Field(description="A URL or a text.")
    external_id: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    global_key: str | None = None
    created_at: datetime
    updated_at: datetime


class DataRowPage(Page[DataRow]):
    pass


class DataRowCreated(DataRow):
    """A row ``POST …/data-rows`` created, with its position in the request."""

    index: int = Field(description="The row's position in the request's ``rows`` (from 0).")
    sanitized: bool = Field(False, description="Its global key was sanitized (on_invalid).")


class ItemError(WireModel):
    """One input item that was not applied, and why."""

    index: int = Field(description="The item's position in the request (from 0).")
    code: str = Field(description="A GlobalKeyErrorCode value, e.g. KEY_TAKEN.")
    message: str
    input: Any = Field(None, description="The item as it was sent.")


class DataRowsCreateResult(WireModel):
    """SUCCESS: every row created; PARTIAL_SUCCESS: some rows created, some refused;
    FAILURE: none created."""

    status: JobOutcome
    results: list[DataRowCreated]
    errors: list[ItemError]


# --- request bodies -------------------------------------------------------------------------
class DatasetCreateParams(ParamsModel):
    space: str = Field(description="The space's id or exact name.")
    name: str
    description: str | None = None


class DatasetUpdateParams(ParamsModel):
    name: str | None = None
    description: str | None = None


class DataRowIn(ParamsModel):
    """One row to create."""

    row_data: str = Field(description="A URL or a text, at most 4,096 characters.")
    external_id: str | None = Field(None, description="Your own id, at most 255 characters.")
    metadata: dict[str, Any] | None = Field(
        None, description="A JSON object of at most 4,096 bytes as compact JSON."
    )
    global_key: str | None = Field(None, description="Unique in the organization, any case.")


class DataRowsCreateParams(ParamsModel):
    rows: list[DataRowIn] = Field(description="1 to 1,000 rows; import a file for more.")
    on_invalid: OnInvalid = OnInvalid.REJECT


class DataRowsDeleteParams(ParamsModel):
    """Data rows to delete as a job (``POST /data-rows/delete``)."""

    data_row_ids: list[str] = Field(description="1 to 100,000 data row ids.")


class DataRowUpdateParams(ParamsModel):
    """The global key is not changed here: assign or clear it with the global-key jobs."""

    row_data: str | None = None
    external_id: str | None = None
    metadata: dict[str, Any] | None = None


# --- datasets and data rows: imports -------------------------------------------------------
__all__ += [
    "DataRowsImportParams",
    "DataRowsImportResult",
    "ImportFormat",
    "ImportFormatInfo",
    "ImportFormatList",
]


class ImportFormat(StrEnum):
    """An import file's format: CSV with a header row, or JSON Lines (one object a line).
    Either has the fields ``row_data`` (required), ``external_id``, ``global_key`` and
    ``metadata`` (a JSON object; in CSV, a cell holding one)."""

    CSV = "csv"
    JSONL = "jsonl"


class DataRowsImportParams(ParamsModel):
    """Rows to import as a job (``POST …/data-rows/async``): more than the synchronous
    create takes, as JSON; the same job and outcomes as a JSONL file."""

    rows: list[DataRowIn] = Field(description="1 to 100,000 rows; upload a file for more.")
    on_invalid: OnInvalid = OnInvalid.REJECT


class DataRowsImportResult(WireModel):
    """A finished import job's ``result``. Its items are the rows refused (``ERROR``, with
    the line as ``key``) and the rows whose key was sanitized (``SUCCESS``)."""

    rows: int = Field(description="Rows read: created + failed.")
    created: int
    failed: int
    sanitized: int = Field(description="Rows created with a sanitized global key.")
    errors: dict[str, int] = Field(description="Refused rows by error code.")
    lines: int = Field(description="The last line read.")
    bytes: int = Field(description="Bytes read.")
    format: ImportFormat
    filename: str = ""
    importer: str | None = Field(
        None, description="The plugin importer that read the file (<plugin id>/<importer id>)."
    )


class ImportFormatInfo(WireModel):
    """A choice of the import's ``format``: built in (csv, jsonl) or a plugin's importer."""

    id: str = Field(description="What to send as format: csv, jsonl or <plugin id>/<importer id>.")
    label: str
    description: str = ""
    extensions: list[str] = Field(default_factory=list, description="File names it reads.")
    importer: bool = Field(False, description="A plugin's importer (not built in).")


class ImportFormatList(WireModel):
    """``GET /datasets/import-formats``: the built-in formats, then the enabled importers."""

    formats: list[ImportFormatInfo]


# --- global keys ----------------------------------------------------------------------------
# GlobalKeyErrorCode and OnInvalid are also defined by the datasets slice (same names and
# values): keep one copy when both land.


class GlobalKeyAssignItem(ParamsModel):
    data_row_id: str = Field(max_length=255)
    global_key: str = Field(max_length=1000)


class GlobalKeyAssignParams(ParamsModel):
    items: list[GlobalKeyAssignItem] = Field(
        description="Up to 100,000 pairs; more as a file to /global-keys/assign/file."
    )
    on_invalid: OnInvalid = OnInvalid.REJECT
    dry_run: bool = Field(False, description="Preview: the outcomes, nothing changed.")


class GlobalKeyKeysParams(ParamsModel):
    global_keys: list[str] = Field(description="Up to 100,000 keys; more as a file.")
    dry_run: bool = False


class GlobalKeyLookupParams(ParamsModel):
    global_keys: list[str] = Field(description="Up to 100,000 keys; more as a file.")


class GlobalKeyRevertParams(ParamsModel):
    job_id: str = Field(description="A finished, applied assign or clear job.")


class GlobalKeyExistsParams(ParamsModel):
    global_keys: list[str] = Field(description="Up to 10,000 keys.")


class GlobalKeyExistsResult(WireModel):
    results: list[bool] = Field(description="Per key, in input order.")


# The SDK's answers to client.global_keys.assign / clear / lookup / revert: the finished job
# with every per-item outcome paged in from /jobs/{id}/items (not a response of one endpoint).


class GlobalKeyError(WireModel):
    """One input the job did not carry out."""

    position: int = Field(description="The input's position, from 0.")
    code: str = Field(description="A GlobalKeyErrorCode, e.g. KEY_TAKEN.")
    message: str = ""
    input: GlobalKeyAssignItem | str = Field(
        description="The input as given: the pair (assign), the key (clear, lookup) or the "
        "data row id (revert)."
    )


class GlobalKeyAssignment(WireModel):
    """A row that holds its key after the job (``changed`` False: it already did)."""

    data_row_id: str
    global_key: str | None = Field(None, description="The key it holds now (revert: restored).")
    previous_global_key: str | None = None
    changed: bool = True
    sanitized: bool = Field(False, description="on_invalid=sanitize rewrote the input key.")


class GlobalKeyCleared(WireModel):
    global_key: str = Field(description="The key as given.")
    data_row_id: str = Field(description="The row that held it and holds none now.")
    previous_global_key: str | None = Field(None, description="Its spelling on the row.")


class GlobalKeyJobSummary(WireModel):
    """What every global key job answers with in the SDK."""

    job_id: str = Field(description="client.jobs.get(job_id) for the job itself.")
    status: JobOutcome
    dry_run: bool = Field(False, description="A preview: nothing was changed.")
    counts: dict[str, int] = Field(
        default_factory=dict, description="Items by outcome code; SUCCESS for the fine."
    )
    errors: list[GlobalKeyError] = Field(default_factory=list, description="In input order.")
    error: JobError | None = Field(None, description="Why the job itself failed, if it did.")


class GlobalKeyAssignResult(GlobalKeyJobSummary):
    results: list[GlobalKeyAssignment] = Field(default_factory=list)


class GlobalKeyClearResult(GlobalKeyJobSummary):
    results: list[GlobalKeyCleared] = Field(default_factory=list)


class GlobalKeyLookupResult(GlobalKeyJobSummary):
    results: list[str | None] = Field(
        default_factory=list,
        description="Per input key, in order: the data row id, or None where no row you "
        "can read holds it.",
    )


class GlobalKeyRevertResult(GlobalKeyJobSummary):
    results: list[GlobalKeyAssignment] = Field(
        default_factory=list, description="Rows given back their previous key."
    )
