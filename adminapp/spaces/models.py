"""Spaces, their memberships, custom space roles and space tokens (SPEC §1–2).

Rules that must hold under concurrency are database constraints: a space name is unique per
org among live spaces by its ``name_key`` (NFKC + casefold, the same on every database), a member holds exactly one role (predefined or
custom), a permanent token has no expiry and a temporary one has one.

Name search (``name_key`` contains the query's key) is served on PostgreSQL by a trigram GIN
index on ``name_key`` created by migration 0004 (PostgreSQL only; on SQLite the filter is a
scan of the org's spaces, which is fine at demo scale).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from adminapp.core.models import BaseModel, public_id
from adminapp.core.validation import NAME_KEY_MAX


class SpaceRoleName(models.TextChoices):
    """Predefined space roles; their permissions are in ``accounts.permissions``."""

    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    READ_ONLY = "READ_ONLY"
    ANNOTATOR = "ANNOTATOR"


class Space(BaseModel):
    """A container of datasets inside one organization.

    Deleting is two-phase: ``deleted_at`` hides the space at once everywhere (lists, lookups,
    its tokens, its members' access) and frees its name; the ``space_delete`` job then
    removes what it holds chunk by chunk and finally the row itself."""

    id = public_id("spc")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="spaces"
    )
    name = models.CharField(max_length=255)
    # core.validation.name_key(name): what names are unique by and searched by.
    name_key = models.CharField(max_length=NAME_KEY_MAX)
    description = models.CharField(max_length=1000, blank=True, default="")
    deleted_at = models.DateTimeField(null=True, blank=True)
    delete_job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name_key"],
                condition=Q(deleted_at__isnull=True),
                name="space_name_key_unique",
            ),
        ]
        indexes = [
            # Keyset pages of an org's live spaces (newest first).
            models.Index(
                fields=["organization", "created_at", "id"],
                condition=Q(deleted_at__isnull=True),
                name="space_org_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SpaceRole(BaseModel):
    """A custom space role: an org-defined name for a set of permissions drawn from
    ``accounts.permissions.CUSTOM_ROLE_PERMISSIONS`` (stored sorted, without duplicates)."""

    id = public_id("rol")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="space_roles"
    )
    name = models.CharField(max_length=100)
    name_key = models.CharField(max_length=NAME_KEY_MAX)  # core.validation.name_key(name)
    description = models.CharField(max_length=500, blank=True, default="")
    permissions = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name_key"], name="space_role_name_key_unique"
            ),
        ]
        indexes = [models.Index(fields=["organization", "created_at", "id"])]

    def __str__(self) -> str:
        return self.name


class SpaceMembership(BaseModel):
    """A person's role in a space. It hangs off their org membership, so it cannot exist
    for someone outside the space's org and disappears when they leave the org."""

    id = public_id("smb")
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="memberships")
    org_membership = models.ForeignKey(
        "accounts.OrgMembership", on_delete=models.CASCADE, related_name="space_memberships"
    )
    role = models.CharField(max_length=16, choices=SpaceRoleName.choices, blank=True, default="")
    custom_role = models.ForeignKey(
        SpaceRole, on_delete=models.RESTRICT, null=True, blank=True, related_name="memberships"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["space", "org_membership"], name="space_member_unique"),
            models.CheckConstraint(
                condition=(
                    Q(role__in=SpaceRoleName.values, custom_role__isnull=True)
                    | Q(role="", custom_role__isnull=False)
                ),
                name="space_member_one_role",
            ),
        ]
        indexes = [models.Index(fields=["space", "created_at", "id"])]


class SpaceToken(BaseModel):
    """A bearer credential scoped to one space (``spt_…``); only its SHA-256 digest is kept."""

    id = public_id("stk")
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="tokens")
    label = models.CharField(max_length=100, blank=True, default="")
    role = models.CharField(max_length=16, choices=SpaceRoleName.choices)
    permanent = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    display_prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(permanent=True, expires_at__isnull=True)
                | Q(permanent=False, expires_at__isnull=False),
                name="space_token_expiry_shape",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["MEMBER", "READ_ONLY"]), name="space_token_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["space", "created_at", "id"])]
