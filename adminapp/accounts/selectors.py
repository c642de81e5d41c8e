"""Reads for tenancy and identity. Every read is scoped to the caller's organization."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from adminapp.accounts import permissions as perms
from adminapp.accounts.models import ApiKey, ApiKeyKind, Organization, OrgMembership, User
from adminapp.core.errors import NotFound, ValidationFailed
from adminapp.core.pagination import Page, paginate
from adminapp.core.principal import Principal


def user_get(*, user_id: str) -> User:
    try:
        return User.objects.get(id=user_id)
    except User.DoesNotExist:
        raise NotFound(f"User {user_id} not found.") from None


def organizations_for_user(*, user_id: str) -> list[OrgMembership]:
    """Every org the user belongs to, with their role in it (org switcher, ``/organizations``)."""
    return list(
        OrgMembership.objects.filter(user_id=user_id)
        .select_related("organization")
        .order_by("organization__name", "organization_id")
    )


def organization_get(*, actor: Principal, org_id: str) -> Organization:
    """A user sees the orgs they belong to; a key sees only its own org. Others are 404."""
    if actor.user_id and actor.kind == "user" and not actor.key_id:  # a session, not a key
        membership = (
            OrgMembership.objects.select_related("organization")
            .filter(user_id=actor.user_id, organization_id=org_id)
            .first()
        )
        if membership:
            return membership.organization
    elif actor.org_id == org_id:
        return Organization.objects.get(id=org_id)
    raise NotFound(f"Organization {org_id} not found.")


def membership_get(*, user_id: str, org_id: str) -> OrgMembership | None:
    return OrgMembership.objects.filter(user_id=user_id, organization_id=org_id).first()


def default_org_for_user(*, user_id: str) -> OrgMembership | None:
    return (
        OrgMembership.objects.filter(user_id=user_id)
        .select_related("organization")
        .order_by("organization__name", "organization_id")
        .first()
    )


def org_member_list(
    *,
    actor: Principal,
    org_id: str,
    email: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    if org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")
    perms.require(actor, perms.MEMBER_READ)
    qs = OrgMembership.objects.filter(organization_id=org_id).select_related("user")
    if email:
        qs = qs.filter(user__email__icontains=email.strip())
    return paginate(qs, limit=limit, cursor=cursor, newest_first=False)


def api_key_queryset(*, actor: Principal) -> QuerySet[ApiKey]:
    """Org admins see every key of the org; others only their own personal keys."""
    qs = ApiKey.objects.filter(organization_id=actor.org_id).select_related("user", "created_by")
    if not perms.can(actor, perms.API_KEY_MANAGE):
        qs = qs.filter(kind=ApiKeyKind.PERSONAL, user_id=actor.user_id or "-")
    return qs


def api_key_list(
    *, actor: Principal, include_revoked: bool = False, limit: int = 50, cursor: str | None = None
) -> Page:
    qs = api_key_queryset(actor=actor)
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return paginate(qs, limit=limit, cursor=cursor)


def api_key_get(*, actor: Principal, key_id: str) -> ApiKey:
    key = api_key_queryset(actor=actor).filter(id=key_id).first()
    if key is None:
        raise NotFound(f"API key {key_id} not found.")
    return key


def principal_for_ref(*, org_id: str, ref: str) -> Principal:
    """A user (id or email) or an API key id of ``org_id``, as the principal it acts as.

    A key that no longer authenticates (revoked, expired) or a deactivated user acts as
    nothing: it comes back with no role, so it holds no permission."""
    ref = ref.strip()
    live = True
    if ref.startswith("key_"):
        key = ApiKey.objects.select_related("user").filter(id=ref, organization_id=org_id).first()
        if key is None:
            raise NotFound(f"Principal {ref} not found.")
        live = key.revoked_at is None and (
            key.expires_at is None or key.expires_at > timezone.now()
        )
        if key.kind == ApiKeyKind.SERVICE:
            role = key.role if live else None
            return Principal(kind="service_key", org_id=org_id, role=role, key_id=key.id)
        ref = key.user_id
    lookup = {"user__email": ref.lower()} if "@" in ref else {"user_id": ref}
    membership = (
        OrgMembership.objects.select_related("user")
        .filter(organization_id=org_id, **lookup)
        .first()
    )
    if membership is None:
        raise NotFound(f"Principal {ref} not found.")
    live = live and membership.user.is_active
    return Principal(
        kind="user",
        org_id=org_id,
        role=membership.account_role if live else None,
        user_id=membership.user_id,
    )


def permission_check(
    *, actor: Principal, principal_ref: str, action: str, resource: str | None = None
) -> bool:
    """May ``principal_ref`` do ``action`` (on ``resource``)? Org admins only."""
    perms.require(actor, perms.PERMISSION_CHECK, "Only org admins can check permissions.")
    if action not in perms.ACTIONS:
        raise ValidationFailed(
            f"Unknown action {action!r}.",
            fields={"action": [f"One of: {', '.join(sorted(perms.ACTIONS))}."]},
        )
    target = principal_for_ref(org_id=actor.org_id, ref=principal_ref)
    if resource and not perms.resource_in_org(resource.strip(), actor.org_id):
        raise NotFound(f"Resource {resource} not found.")
    return perms.can_on(target, action, resource.strip() if resource else None)
