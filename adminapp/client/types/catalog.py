"""Wire types of the catalog: datasets, data rows and global keys (SPEC §4)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from adminapp.client.types.common import ParamsModel, WireModel

__all__: list[str] = [
    "GlobalKeyAssignItem",
    "GlobalKeyAssignParams",
    "GlobalKeyErrorCode",
    "GlobalKeyExistsParams",
    "GlobalKeyExistsResult",
    "GlobalKeyKeysParams",
    "GlobalKeyLookupParams",
    "GlobalKeyRevertParams",
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
