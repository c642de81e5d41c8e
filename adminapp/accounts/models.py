from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce, Lower

from adminapp.core.models import BaseModel, public_id
from adminapp.core.validation import NAME_KEY_MAX


class AccountRole(models.TextChoices):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    ANNOTATOR = "ANNOTATOR"


# The members list's sort keys (accounts.selectors.MEMBER_SORTS) that an index below serves:
# the query must spell each expression as the index does, so both take it from here.
ROLE_RANK = models.Case(  # OWNER, ADMIN, MEMBER, ANNOTATOR
    *(
        models.When(account_role=role, then=models.Value(rank))
        for rank, role in enumerate(AccountRole.values)
    ),
    default=models.Value(len(AccountRole.values)),
    output_field=models.IntegerField(),
)
NEVER_SIGNED_IN = datetime(1970, 1, 1, tzinfo=UTC)  # sorts before any sign-in


def name_sort(prefix: str = "") -> Lower:
    return Lower(f"{prefix}name")


def last_login_sort(prefix: str = "") -> Coalesce:
    return Coalesce(
        f"{prefix}last_login",
        models.Value(NEVER_SIGNED_IN),
        output_field=models.DateTimeField(),
    )


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin, BaseModel):
    id = public_id("usr")
    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=150, blank=True, default="")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        # The members list sorted by name or last sign-in (ties: the user's id) walks one of
        # these — by email, the unique index — and looks up each user's membership, until a
        # page is full, instead of sorting the whole organization.
        indexes = [
            models.Index(name_sort(), F("id"), name="user_name_sort"),
            models.Index(last_login_sort(), F("id"), name="user_last_login_sort"),
        ]

    def __str__(self) -> str:
        return self.email


class Organization(BaseModel):
    id = public_id("org")
    name = models.CharField(max_length=255)
    name_key = models.CharField(max_length=NAME_KEY_MAX)  # core.validation.name_key(name)
    slug = models.SlugField(max_length=64, unique=True)
    # Members must have two-factor sign-in to use the dashboard (API keys are unaffected).
    require_two_factor = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name_key"], name="org_name_key_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class OrgMembership(BaseModel):
    id = public_id("mem")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="org_memberships")
    account_role = models.CharField(max_length=16, choices=AccountRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="org_member_unique"),
            models.CheckConstraint(
                condition=models.Q(account_role__in=AccountRole.values),
                name="org_member_role_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "created_at", "id"]),
            # The members list sorted by role: an org's members in that order, straight.
            models.Index(F("organization"), ROLE_RANK, F("id"), name="org_member_role_sort"),
        ]


class ApiKeyKind(models.TextChoices):
    PERSONAL = "PERSONAL"  # acts as its user
    SERVICE = "SERVICE"  # acts with an org role, recorded as its own principal


class ApiKey(BaseModel):
    """Only the SHA-256 digest of the secret is kept; ``display_prefix`` identifies it."""

    id = public_id("key")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    kind = models.CharField(max_length=16, choices=ApiKeyKind.choices)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys"
    )
    role = models.CharField(max_length=16, choices=AccountRole.choices, blank=True, default="")
    label = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True, default="")
    display_prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="PERSONAL", user__isnull=False, role="")
                    | models.Q(kind="SERVICE", user__isnull=True, role__in=["ADMIN", "MEMBER"])
                ),
                name="api_key_kind_shape",
            ),
        ]
        indexes = [models.Index(fields=["organization", "created_at", "id"])]


class Invitation(BaseModel):
    """An email invited into an organization with an account role. The link's token is
    ``<id>.<secret>``; only the SHA-256 digest of the secret is kept. A resend replaces the
    digest (the previous link stops working); accepting or revoking closes it for good."""

    id = public_id("inv")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=16, choices=AccountRole.choices)
    digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_by_label = models.CharField(max_length=255, blank=True, default="")
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One open invitation per email and organization: a second invite is a 409
            # (resend the first), whichever request comes first.
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_open_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=AccountRole.values), name="invitation_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["organization", "created_at", "id"])]


class TwoFactor(BaseModel):
    """A user's TOTP authenticator. The secret is encrypted with ``core.crypto`` (Fernet);
    ``confirmed_at`` is None while enrolment waits for the first code. ``last_step`` is the
    TOTP time step last accepted, so one code cannot be used twice."""

    id = public_id("tfa")
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)


class RecoveryCode(BaseModel):
    """One single-use recovery code: only its SHA-256 digest is kept."""

    id = public_id("rec")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "digest"], name="recovery_code_unique"),
        ]


class UserSession(BaseModel):
    """A signed-in browser session, so a user can list and end theirs (Django's session
    store is not indexed by user). The row's id is kept in the session itself; the session
    key is stored encrypted (to delete that session) and as a digest (to find the row)."""

    id = public_id("ses")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="browser_sessions")
    key_digest = models.CharField(max_length=64, unique=True)
    key_encrypted = models.TextField()
    last_seen_at = models.DateTimeField()
    user_agent = models.CharField(max_length=300, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "last_seen_at"])]
