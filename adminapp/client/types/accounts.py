"""Identity and tenancy: users, organizations, members, API keys, sign-in."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from adminapp.client.types.common import Page, ParamsModel, WireModel

__all__ = [
    "AccountRole",
    "InstanceOrganization",
    "InstanceOrganizationCreateParams",
    "InstanceOrganizationCreated",
    "InstanceOrganizationPage",
    "InstanceUser",
    "InstanceUserDetail",
    "InstanceUserPage",
    "MemberSort",
    "OrganizationUpdateParams",
    "OwnershipTransferParams",
    "ApiKey",
    "ApiKeyCreateParams",
    "ApiKeyCreated",
    "ApiKeyKind",
    "ApiKeyPage",
    "Invitation",
    "InvitationAcceptParams",
    "InvitationAccepted",
    "InvitationCreateParams",
    "InvitationPage",
    "InvitationPreview",
    "InvitationStatus",
    "InvitationTokenParams",
    "LoginParams",
    "Me",
    "MemberAddParams",
    "MemberUpdateParams",
    "OrgMember",
    "OrgMemberPage",
    "Organization",
    "OrganizationPage",
    "PasswordChangeParams",
    "PasswordResetConfirmParams",
    "PasswordResetInspectParams",
    "PasswordResetLink",
    "PasswordResetParams",
    "PasswordResetRequested",
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
    require_two_factor: bool = Field(
        False, description="Members must use two-factor sign-in for the dashboard."
    )


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
    is_active: bool = Field(True, description="False once the account is deactivated.")
    last_login: datetime | None = Field(None, description="Their last sign-in (None: never).")


class MemberSort(StrEnum):
    """The columns the members list sorts by (``sort=``; ``order=asc|desc``)."""

    JOINED = "joined"
    NAME = "name"
    EMAIL = "email"
    ROLE = "role"  # OWNER, ADMIN, MEMBER, ANNOTATOR
    LAST_LOGIN = "last_login"


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


class InvitationStatus(StrEnum):
    PENDING = "PENDING"
    EXPIRED = "EXPIRED"
    ACCEPTED = "ACCEPTED"
    REVOKED = "REVOKED"


class Invitation(WireModel):
    id: str
    email: str
    role: AccountRole
    status: InvitationStatus
    invited_by: str = Field("", description="Who invited (name or email), as the mail says.")
    created_at: datetime
    sent_at: datetime = Field(description="When the current link was mailed.")
    expires_at: datetime
    accepted_at: datetime | None = None
    revoked_at: datetime | None = None


class InvitationPage(Page[Invitation]):
    pass


class InvitationPreview(WireModel):
    """What the holder of an invitation link sees before accepting it."""

    organization_name: str
    email: str
    role: AccountRole
    invited_by: str
    expires_at: datetime
    account_exists: bool = Field(
        description="The email has an account: accept signed in as it, or with its password."
    )


class InvitationAccepted(WireModel):
    organization: Organization
    user: User
    account_created: bool


class PasswordResetRequested(WireModel):
    message: str = Field(description="The same whether the email has an account or not.")


class PasswordResetLink(WireModel):
    email: str = Field(description="The account the reset link is for.")


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


class InvitationCreateParams(ParamsModel):
    email: str = Field(max_length=254)
    role: AccountRole = AccountRole.MEMBER


class InvitationTokenParams(ParamsModel):
    token: str = Field(max_length=200, description="The token of the invitation link.")


class InvitationAcceptParams(ParamsModel):
    token: str = Field(max_length=200)
    name: str = Field("", max_length=150, description="For a new account.")
    password: str | None = Field(
        None, max_length=1024, description="A new account's, or the existing account's."
    )


class PasswordChangeParams(ParamsModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class PasswordResetParams(ParamsModel):
    email: str = Field(max_length=254)


class PasswordResetInspectParams(ParamsModel):
    token: str = Field(max_length=300, description="The token of the mailed reset link.")


class PasswordResetConfirmParams(ParamsModel):
    token: str = Field(max_length=300, description="The token of the mailed reset link.")
    new_password: str = Field(max_length=1024)


class OrganizationUpdateParams(ParamsModel):
    name: str = Field(min_length=1, max_length=255)


class OwnershipTransferParams(ParamsModel):
    user_id: str = Field(min_length=1, max_length=40, description="The member who becomes OWNER.")


# --- the instance (instance admins) -----------------------------------------------------------
class InstanceOrganization(WireModel):
    id: str
    name: str
    slug: str
    created_at: datetime
    member_count: int


class InstanceOrganizationPage(Page[InstanceOrganization]):
    pass


class InstanceOrganizationCreateParams(ParamsModel):
    name: str = Field(min_length=1, max_length=255)
    owner_email: str = Field(min_length=1, max_length=254)


class InstanceOrganizationCreated(WireModel):
    organization: InstanceOrganization
    owner: User | None = Field(None, description="The existing account made OWNER at once.")
    invitation: Invitation | None = Field(
        None, description="Or the invitation mailed to an email with no account yet."
    )


class InstanceUser(WireModel):
    id: str
    email: str
    name: str = ""
    is_active: bool
    is_instance_admin: bool
    last_login: datetime | None = None
    created_at: datetime


class InstanceUserPage(Page[InstanceUser]):
    pass


class InstanceUserDetail(InstanceUser):
    organizations: list[Organization] = Field(
        default_factory=list, description="Their organizations, with their role in each."
    )


# --- two-factor sign-in, sessions, profile ------------------------------------------------------
class LoginTwoFactorParams(ParamsModel):
    challenge: str = Field(
        max_length=2000, description="details.challenge of the mfa_required answer."
    )
    code: str = Field(max_length=64, description="A TOTP code or an unused recovery code.")


class TwoFactorStatus(WireModel):
    enabled: bool
    enabled_at: datetime | None = None
    recovery_codes_left: int = 0
    required_by: list[str] = Field(
        default_factory=list, description="Your organizations that require two-factor sign-in."
    )


class TwoFactorSetup(WireModel):
    secret: str = Field(description="The base32 secret, for typing into the app by hand.")
    otpauth_uri: str
    qr_svg: str = Field(description="The otpauth URI as an SVG QR code.")


class TwoFactorCodeParams(ParamsModel):
    code: str = Field(max_length=64)


class TwoFactorDisableParams(ParamsModel):
    code: str = Field("", max_length=64, description="A current code or a recovery code…")
    password: str = Field("", max_length=1024, description="…or your password.")


class RecoveryCodes(WireModel):
    codes: list[str] = Field(description="Shown once; each works once.")


class BrowserSession(WireModel):
    id: str
    user_agent: str = ""
    ip: str | None = None
    created_at: datetime
    last_seen_at: datetime
    current: bool = Field(False, description="The session making this call.")


class BrowserSessionList(WireModel):
    items: list[BrowserSession]


class SessionsEnded(WireModel):
    ended: int


class TwoFactorPolicyParams(ParamsModel):
    required: bool


class ProfileUpdateParams(ParamsModel):
    name: str = Field(max_length=150)


__all__ += [
    "BrowserSession",
    "BrowserSessionList",
    "LoginTwoFactorParams",
    "ProfileUpdateParams",
    "RecoveryCodes",
    "SessionsEnded",
    "TwoFactorCodeParams",
    "TwoFactorDisableParams",
    "TwoFactorPolicyParams",
    "TwoFactorSetup",
    "TwoFactorStatus",
]
