"""Spaces, their members and roles, custom space roles and space tokens (SPEC §1–2)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from adminapp.client.types.accounts import AccountRole, User
from adminapp.client.types.common import Page, Pagination, ParamsModel, WireModel

__all__ = [
    "CustomSpaceRole",
    "MemberSpace",
    "MemberSpacePage",
    "CustomSpaceRoleParams",
    "PredefinedSpaceRole",
    "PredefinedSpaceRoleParams",
    "Space",
    "SpaceCreateParams",
    "SpaceMemberParams",
    "SpaceMembership",
    "SpaceMembershipPage",
    "SpacePage",
    "SpacePermission",
    "SpacePermissionList",
    "SpaceRef",
    "SpaceRefList",
    "SpaceRole",
    "SpaceRoleAssignment",
    "SpaceRoleCreateParams",
    "SpaceRoleName",
    "SpaceRolePage",
    "SpaceRoleParams",
    "SpaceRoleType",
    "SpaceRoleUpdateParams",
    "SpaceToken",
    "SpaceTokenCreateParams",
    "SpaceTokenCreated",
    "SpaceTokenPage",
    "SpaceTokensDeleted",
    "SpaceUpdateParams",
]


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
        description="The caller's permissions in this space (Permission values; single-space "
        "responses only, null in lists).",
    )


class SpacePage(WireModel):
    """``GET /spaces``: the list is under ``spaces`` (not ``items``)."""

    spaces: list[Space]
    pagination: Pagination


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


class SpaceMembershipPage(Page[SpaceMembership]):
    pass


class MemberSpace(WireModel):
    """One space a member belongs to, with their role in it (a member's page)."""

    space_id: str
    space_name: str
    role: SpaceRoleAssignment
    joined_at: datetime


class MemberSpacePage(Page[MemberSpace]):
    pass


class SpaceRole(WireModel):
    """A custom space role of the organization."""

    id: str
    name: str
    description: str = ""
    permissions: list[str]
    created_at: datetime
    updated_at: datetime


class SpaceRolePage(Page[SpaceRole]):
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


class SpaceTokenPage(Page[SpaceToken]):
    pass


class SpaceTokensDeleted(WireModel):
    deleted: int


# --- request bodies -------------------------------------------------------------------------
class SpaceCreateParams(ParamsModel):
    name: str
    description: str | None = None
    organization_id: str | None = Field(None, description="Defaults to the caller's org.")


class SpaceUpdateParams(ParamsModel):
    name: str | None = None
    description: str | None = None


class PredefinedSpaceRoleParams(ParamsModel):
    type: Literal["PREDEFINED"]
    name: SpaceRoleName


class CustomSpaceRoleParams(ParamsModel):
    type: Literal["CUSTOM"]
    id: str = Field(max_length=40)
    name: str | None = Field(None, description="Ignored (the server returns it).")


SpaceRoleParams = Annotated[
    PredefinedSpaceRoleParams | CustomSpaceRoleParams, Field(discriminator="type")
]


class SpaceMemberParams(ParamsModel):
    user_id: str = Field(min_length=1, max_length=40)
    role: SpaceRoleParams


class SpaceRoleCreateParams(ParamsModel):
    name: str
    description: str = ""
    permissions: list[str] = Field(default_factory=list, max_length=50)


class SpaceRoleUpdateParams(ParamsModel):
    name: str | None = None
    description: str | None = None
    permissions: list[str] | None = Field(None, max_length=50)


class SpaceTokenCreateParams(ParamsModel):
    label: str = ""
    permanent: bool = Field(False, description="False: expires in 24 h. True: never expires.")
    role: SpaceRoleName = Field(SpaceRoleName.MEMBER, description="MEMBER (default) or READ_ONLY.")
