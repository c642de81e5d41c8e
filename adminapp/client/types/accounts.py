"""Identity and tenancy: users, organizations, members, API keys, sign-in."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from adminapp.client.types.common import Page, ParamsModel, WireModel

__all__ = [
    "AccountRole",
    "ApiKey",
    "ApiKeyCreateParams",
    "ApiKeyCreated",
    "ApiKeyKind",
    "ApiKeyPage",
    "LoginParams",
    "Me",
    "MemberAddParams",
    "MemberUpdateParams",
    "OrgMember",
    "OrgMemberPage",
    "Organization",
    "OrganizationPage",
    "SwitchOrganizationParams",
    "User",
]


class AccountRole(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    ANNOTATOR = "ANNOTATOR"


class ApiKeyKind(StrEnum):
    PERSONAL = "PERSONAL"
    SERVICE = "SERVICE"


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


class OrganizationPage(Page[Organization]):
    pass


class Me(WireModel):
    principal_type: str = Field(description="user, service_key or space_token")
    user: User | None = None
    api_key_id: str | None = None
    organization: Organization
    role: AccountRole
    is_instance_admin: bool = False
    permissions: list[str] = Field(
        description="What the caller may do outside any one space (Permission values)."
    )


class OrgMember(WireModel):
    user: User
    role: AccountRole
    joined_at: datetime


class OrgMemberPage(Page[OrgMember]):
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


class ApiKeyPage(Page[ApiKey]):
    pass


# --- request bodies -------------------------------------------------------------------------
class LoginParams(ParamsModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class SwitchOrganizationParams(ParamsModel):
    organization_id: str = Field(max_length=40)


class MemberAddParams(ParamsModel):
    email: str = Field(min_length=1, max_length=254)
    role: AccountRole
    name: str = ""
    password: str | None = Field(None, max_length=1024, description="For a new account only.")


class MemberUpdateParams(ParamsModel):
    role: AccountRole


class ApiKeyCreateParams(ParamsModel):
    label: str
    description: str = ""
    kind: ApiKeyKind = ApiKeyKind.PERSONAL
    role: AccountRole | None = Field(None, description="Service keys only: ADMIN or MEMBER.")
    expires_at: datetime | None = None
