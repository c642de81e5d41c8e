"""Reads for tenancy and identity. Every read is scoped to the caller's organization."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from adminapp import authz
from adminapp.accounts import principals
from adminapp.accounts.models import (
    ApiKey,
    ApiKeyKind,
    Invitation,
    Organization,
    OrgMembership,
    User,
)
from adminapp.authz import Permission
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


def org_member_list(
    *,
    actor: Principal,
    org_id: str,
    email: str | None = None,
    search: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """Oldest first; ``email`` is a substring of the email, ``search`` of the email or the
    name (a picker's typeahead)."""
    if org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")
    authz.require(actor, Permission.MEMBER_READ)
    qs = OrgMembership.objects.filter(organization_id=org_id).select_related("user")
    if email:
        qs = qs.filter(user__email__icontains=email.strip())
    if search and search.strip():
        term = search.strip()
        qs = qs.filter(Q(user__email__icontains=term) | Q(user__name__icontains=term))
    return paginate(qs, limit=limit, cursor=cursor, newest_first=False)


def org_member_get(*, actor: Principal, org_id: str, user_id: str) -> OrgMembership:
    if org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")
    authz.require(actor, Permission.MEMBER_READ)
    membership = (
        OrgMembership.objects.filter(organization_id=org_id, user_id=(user_id or "").strip())
        .select_related("user")
        .first()
    )
    if membership is None:
        raise NotFound(f"User {user_id} is not a member of this organization.")
    return membership


def api_key_queryset(*, actor: Principal) -> QuerySet[ApiKey]:
    """Org admins see every key of the org; others only their own personal keys."""
    qs = ApiKey.objects.filter(organization_id=actor.org_id).select_related("user", "created_by")
    if not authz.can(actor, Permission.API_KEY_MANAGE):
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


def permission_check(
    *, actor: Principal, principal_ref: str, action: str, resource: str | None = None
) -> bool:
    """May ``principal_ref`` do ``action`` (on ``resource``)? Org admins only."""
    authz.require(actor, Permission.PERMISSION_CHECK, "Only org admins can check permissions.")
    if action not in set(Permission):
        raise ValidationFailed(
            f"Unknown action {action!r}.",
            fields={"action": [f"One of: {', '.join(sorted(Permission))}."]},
        )
    target = principals.for_ref(org_id=actor.org_id, ref=principal_ref)
    if resource and not authz.resource_in_org(resource.strip(), actor.org_id):
        raise NotFound(f"Resource {resource} not found.")
    return authz.can_on(target, action, resource.strip() if resource else None)


def invitation_list(
    *, actor: Principal, org_id: str, limit: int = 50, cursor: str | None = None
) -> Page:
    """The organization's open invitations (pending or expired, not accepted or revoked),
    newest first; for those who manage members."""
    if org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")
    authz.require(actor, Permission.MEMBER_MANAGE)
    rows = Invitation.objects.filter(
        organization_id=org_id, accepted_at__isnull=True, revoked_at__isnull=True
    )
    return paginate(rows, limit=limit, cursor=cursor)


def invitation_get(*, actor: Principal, org_id: str, invitation_id: str) -> Invitation:
    if org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")
    authz.require(actor, Permission.MEMBER_MANAGE)
    invitation = Invitation.objects.filter(organization_id=org_id, id=invitation_id).first()
    if invitation is None:
        raise NotFound(f"Invitation {invitation_id} not found.")
    return invitation
