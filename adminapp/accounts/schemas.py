"""ORM → wire conversions for accounts. Response shapes and request bodies (``*Params``,
which forbid unknown fields: a 422 naming them) are the SDK's, in
``adminapp.client.types.accounts``, so the server and the SDK cannot drift."""

from __future__ import annotations

from adminapp.accounts.models import ApiKey, Invitation, OrgMembership
from adminapp.client import types as wire


def user_out(user) -> wire.User:
    return wire.User(id=user.id, email=user.email, name=user.name)


def organization_out(org, role: str | None) -> wire.Organization:
    return wire.Organization(
        id=org.id,
        name=org.name,
        slug=org.slug,
        role=role,
        created_at=org.created_at,
        require_two_factor=org.require_two_factor,
    )


def member_out(membership: OrgMembership) -> wire.OrgMember:
    return wire.OrgMember(
        user=user_out(membership.user),
        role=membership.account_role,
        joined_at=membership.created_at,
        is_active=membership.user.is_active,
        last_login=membership.user.last_login,
    )


def instance_organization_out(org, member_count: int) -> wire.InstanceOrganization:
    return wire.InstanceOrganization(
        id=org.id,
        name=org.name,
        slug=org.slug,
        created_at=org.created_at,
        member_count=member_count,
    )


def instance_user_out(user, memberships=None):
    data = dict(
        id=user.id,
        email=user.email,
        name=user.name,
        is_active=user.is_active,
        is_instance_admin=user.is_superuser,
        last_login=user.last_login,
        created_at=user.created_at,
    )
    if memberships is None:
        return wire.InstanceUser(**data)
    return wire.InstanceUserDetail(
        **data,
        organizations=[organization_out(m.organization, m.account_role) for m in memberships],
    )


def api_key_out(key: ApiKey, *, secret: str | None = None) -> wire.ApiKey:
    from django.utils import timezone

    data = dict(
        id=key.id,
        kind=key.kind,
        label=key.label,
        description=key.description,
        prefix=key.display_prefix,
        role=key.role or None,
        user=user_out(key.user) if key.user_id else None,
        created_at=key.created_at,
        expires_at=key.expires_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
        is_active=key.revoked_at is None
        and (key.expires_at is None or key.expires_at > timezone.now()),
    )
    if secret is not None:
        return wire.ApiKeyCreated(secret=secret, **data)
    return wire.ApiKey(**data)


def invitation_out(invitation: Invitation) -> wire.Invitation:
    from adminapp.accounts.services import invitation_status

    return wire.Invitation(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        status=invitation_status(invitation),
        invited_by=invitation.invited_by_label,
        created_at=invitation.created_at,
        sent_at=invitation.sent_at,
        expires_at=invitation.expires_at,
        accepted_at=invitation.accepted_at,
        revoked_at=invitation.revoked_at,
    )


def invitation_preview_out(view) -> wire.InvitationPreview:
    invitation = view.invitation
    return wire.InvitationPreview(
        organization_name=invitation.organization.name,
        email=invitation.email,
        role=invitation.role,
        invited_by=invitation.invited_by_label or invitation.organization.name,
        expires_at=invitation.expires_at,
        account_exists=view.account_exists,
    )


def browser_session_out(row, *, current_id: str | None) -> wire.BrowserSession:
    return wire.BrowserSession(
        id=row.id,
        user_agent=row.user_agent,
        ip=row.ip,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        current=row.id == current_id,
    )
