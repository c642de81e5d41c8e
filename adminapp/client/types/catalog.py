"""Wire types of the catalog: datasets, data rows and global keys (SPEC §4)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from adminapp.client.types.common import ParamsModel, WireModel
from adminapp.client.types.jobs import JobError, JobOutcome

__all__: list[str] = [
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
    "GlobalKeyKeysParams",
    "GlobalKeyJobSummary",
    "GlobalKeyLookupParams",
    "GlobalKeyLookupResult",
    "GlobalKeyRevertParams",
    "GlobalKeyRevertResult",
    "OnInvalid",
]

# --- datasets and data rows -----------------------------------------------------------------

# --- global keys ----------------------------------------------------------------------------
# GlobalKeyErrorCode and OnInvalid are also defined by the datasets slice (same names and
# values): keep one copy when both land.


class GlobalKeyErrorCode(StrEnum):
    KEY_TAKEN = "KEY_TAKEN"
    DUPLICATE_IN_REQUEST = "DUPLICATE_IN_REQUEST"
    DATA_ROW_NOT_FOUND = "DATA_ROW_NOT_FOUND"
    ACCESS_DENIED = "ACCESS_DENIED"
    INVALID_KEY = "INVALID_KEY"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"  # revert: the row changed since the reverted job


class OnInvalid(StrEnum):
    REJECT = "reject"
    SANITIZE = "sanitize"


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
