"""Wire models: the JSON the API returns, defined once (STYLE 7).

The API uses these classes as its response schemas and the SDK parses responses into them,
so server and client cannot drift. Plain pydantic v2; importing this module never imports
Django. Enum values are SCREAMING_SNAKE and frozen: add values, never rename them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class WireModel(BaseModel):
    # Unknown fields from a newer server are ignored, so an old SDK keeps working.
    model_config = ConfigDict(extra="ignore", from_attributes=True)


class AccountRole(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    ANNOTATOR = "ANNOTATOR"


class ApiKeyKind(StrEnum):
    PERSONAL = "PERSONAL"
    SERVICE = "SERVICE"


class JobState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    ABORTED = "ABORTED"

    @property
    def is_terminal(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.ABORTED)


class JobOutcome(StrEnum):
    """What a finished job achieved: SUCCESS (no item errors), PARTIAL_SUCCESS (errors and
    at least one result, or aborted after doing some of its work), FAILURE (nothing done,
    or the job failed)."""

    SUCCESS = "SUCCESS"
    PARTIAL_SUCCESS = "PARTIAL_SUCCESS"
    FAILURE = "FAILURE"


class JobItemStatus(StrEnum):
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"


class Pagination(WireModel):
    has_more: bool
    next_cursor: str | None = None


T = TypeVar("T")


class _Rows:
    """Iteration, ``len()`` and ``to_df()`` over a page's ``items``."""

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_df(self):
        """The items as a pandas DataFrame (pandas is optional, not a dependency)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_df() needs pandas: pip install pandas") from exc
        return pd.DataFrame([item.model_dump(mode="json") for item in self.items])


class _PageBase(_Rows, WireModel, Generic[T]):
    items: list[T]
    pagination: Pagination

    def __iter__(self) -> Iterator[T]:  # type: ignore[override]
        return iter(self.items)


# --- identity ---------------------------------------------------------------------------
class User(WireModel):
    id: str
    email: str
    name: str = ""


class Organization(WireModel):
    id: str
    name: str
    slug: str
    role: AccountRole | None = Field(None, description="The caller's account role in it.")
    created_at: datetime


class OrganizationPage(_PageBase[Organization]):
    pass


class Me(WireModel):
    principal_type: str = Field(description="user or service_key")
    user: User | None = None
    api_key_id: str | None = None
    organization: Organization
    role: AccountRole
    is_instance_admin: bool = False
    permissions: list[str]


class OrgMember(WireModel):
    user: User
    role: AccountRole
    joined_at: datetime


class OrgMemberPage(_PageBase[OrgMember]):
    pass


class ApiKey(WireModel):
    id: str
    kind: ApiKeyKind
    label: str
    description: str = ""
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    role: AccountRole | None = None
    user: User | None = None
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    is_active: bool


class ApiKeyCreated(ApiKey):
    secret: str = Field(description="Shown once, now; only a digest is stored.")


class ApiKeyPage(_PageBase[ApiKey]):
    pass


class PermissionCheck(WireModel):
    has_permission: bool


# --- audit ------------------------------------------------------------------------------
class AuditEvent(WireModel):
    id: str
    actor_type: str
    actor_id: str
    actor_label: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
    request_id: str
    ip: str | None = None
    created_at: datetime


class AuditEventPage(_PageBase[AuditEvent]):
    pass


# --- jobs -------------------------------------------------------------------------------
class JobProgress(WireModel):
    done: int = 0
    total: int | None = None
    stage: str = ""
    message: str = ""

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, int(self.done * 100 / self.total))


class JobError(WireModel):
    code: str
    message: str


class JobCounts(WireModel):
    """Per-item outcomes recorded so far."""

    succeeded: int = 0
    failed: int = 0


class Job(WireModel):
    id: str
    kind: str
    label: str = Field("", description="The kind in words, e.g. 'Space deletion'.")
    state: JobState
    outcome: JobOutcome | None = Field(None, description="Set once the job is finished.")
    counts: JobCounts = Field(default_factory=JobCounts)
    progress: JobProgress
    owner: str = Field(description="Label of the principal that started it.")
    has_result: bool = False
    has_file: bool = Field(False, description="A result file to download (/download).")
    result: dict[str, Any] | None = Field(
        None, description="Summary; omitted by peek. Per-item outcomes are paged separately."
    )
    error: JobError | None = None
    abort_requested: bool = False
    attempts: int = 0
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None


class JobPage(_PageBase[Job]):
    pass


class JobItem(WireModel):
    seq: int
    status: JobItemStatus
    key: str = ""
    data: dict[str, Any] = Field(default_factory=dict)
    error_code: str = ""
    message: str = ""


class JobItemPage(_PageBase[JobItem]):
    pass


# --- spaces -------------------------------------------------------------------------------
# (Spaces, memberships, custom space roles and space tokens: SPEC §1–2, issue 3.)
class SpaceRoleName(StrEnum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    READ_ONLY = "READ_ONLY"
    ANNOTATOR = "ANNOTATOR"


class SpaceRoleType(StrEnum):
    PREDEFINED = "PREDEFINED"
    CUSTOM = "CUSTOM"


class Space(WireModel):
    id: str
    organization_id: str
    name: str
    description: str = ""
    created_at: datetime
    updated_at: datetime
    permissions: list[str] | None = Field(
        None,
        description="The caller's permissions in this space (single-space responses only; "
        "null in lists).",
    )


class SpacePage(_Rows, WireModel):
    """``GET /spaces``: the list is under ``spaces`` (not ``items``)."""

    spaces: list[Space]
    pagination: Pagination

    @property
    def items(self) -> list[Space]:
        return self.spaces

    def __iter__(self) -> Iterator[Space]:  # type: ignore[override]
        return iter(self.spaces)


class SpaceRef(WireModel):
    id: str
    name: str


class SpaceRefList(WireModel):
    """``GET /spaces/all``: every visible space, id and name only, sorted by name (pickers)."""

    spaces: list[SpaceRef]


class PredefinedSpaceRole(WireModel):
    type: Literal["PREDEFINED"] = "PREDEFINED"
    name: SpaceRoleName


class CustomSpaceRole(WireModel):
    type: Literal["CUSTOM"] = "CUSTOM"
    id: str
    name: str | None = Field(None, description="Returned by the server; ignored on input.")


SpaceRoleAssignment = Annotated[PredefinedSpaceRole | CustomSpaceRole, Field(discriminator="type")]


class SpaceMembership(WireModel):
    id: str
    space_id: str
    user_id: str
    user: User
    account_role: AccountRole
    role: SpaceRoleAssignment
    created_at: datetime
    updated_at: datetime


class SpaceMembershipPage(_PageBase[SpaceMembership]):
    pass


class SpaceRole(WireModel):
    """A custom space role of the organization."""

    id: str
    name: str
    description: str = ""
    permissions: list[str]
    created_at: datetime
    updated_at: datetime


class SpaceRolePage(_PageBase[SpaceRole]):
    pass


class SpacePermission(WireModel):
    name: str
    description: str


class SpacePermissionList(WireModel):
    """The vocabulary a custom role is made from."""

    permissions: list[SpacePermission]


class SpaceToken(WireModel):
    id: str
    space_id: str
    label: str = ""
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    role: SpaceRoleName
    permanent: bool
    is_active: bool = Field(description="False once deactivated.")
    is_expired: bool
    expires_at: datetime | None = Field(None, description="24 h after creation; null if permanent.")
    last_used_at: datetime | None = None
    created_by: User | None = None
    created_at: datetime


class SpaceTokenCreated(SpaceToken):
    secret: str = Field(description="Shown once, now; only a digest is stored.")


class SpaceTokenPage(_PageBase[SpaceToken]):
    pass


class SpaceTokensDeleted(WireModel):
    deleted: int
