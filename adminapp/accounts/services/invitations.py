"""Invitations: an OWNER or ADMIN invites an email with an account role; the invitee gets
a single-use link by mail (``accounts/mail.py``) and joins with their account, or creates
one. The link's token is ``<invitation id>.<secret>``: only the SHA-256 digest of the secret
is stored and compared in constant time. Every attempt, refused ones included, is audited
(a refusal in a transaction of its own, so that it stays when the request fails)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from adminapp import authz
from adminapp.accounts import principals
from adminapp.accounts.mail import mail_send
from adminapp.accounts.models import AccountRole, Invitation, Organization, OrgMembership, User
from adminapp.accounts.services.passwords import password_validate
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.core import ratelimit
from adminapp.core.errors import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from adminapp.core.principal import Principal, PrincipalKind
from adminapp.core.validation import clean_text

SECRET_BYTES = 32
LinkFor = Callable[[str], str]  # token → the absolute URL of the accept page


class InvitationStatus:
    PENDING = "PENDING"
    EXPIRED = "EXPIRED"
    ACCEPTED = "ACCEPTED"
    REVOKED = "REVOKED"


def invitation_status(invitation: Invitation, now=None) -> str:
    if invitation.accepted_at is not None:
        return InvitationStatus.ACCEPTED
    if invitation.revoked_at is not None:
        return InvitationStatus.REVOKED
    if invitation.expires_at <= (now or timezone.now()):
        return InvitationStatus.EXPIRED
    return InvitationStatus.PENDING


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> tuple[str, str]:
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return secret, _digest(secret)


def _token(invitation: Invitation, secret: str) -> str:
    return f"{invitation.id}.{secret}"


def _ttl() -> timedelta:
    return timedelta(days=settings.INVITATION_TTL_DAYS)


def _check_org(actor: Principal, org_id: str) -> None:
    if actor.kind != PrincipalKind.SYSTEM and org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")


def _may_grant_owner(actor: Principal) -> bool:
    return Permission.OWNER_MANAGE in authz.permissions_of(actor)


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not email:
        raise ValidationFailed("Enter an email address.", fields={"email": ["Required."]})
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(
            "Enter a valid email address.", fields={"email": ["Enter a valid email address."]}
        ) from None
    return email


def _inviter_label(actor: Principal, org: Organization) -> str:
    if actor.user_id:
        user = User.objects.filter(id=actor.user_id).only("name", "email").first()
        if user is not None:
            return user.name or user.email
    return org.name


def _mail(invitation: Invitation, org: Organization, token: str, link_for: LinkFor) -> None:
    mail_send(
        to=invitation.email,
        template="invitation",
        context={
            "inviter": invitation.invited_by_label or org.name,
            "organization": org.name,
            "role": invitation.role.title(),
            "expires_at": invitation.expires_at,
            "link": link_for(token),
        },
    )


def _open(org_id: str, invitation_id: str, *, lock: bool = False) -> Invitation:
    rows = Invitation.objects.filter(organization_id=org_id)
    if lock:
        rows = rows.select_for_update()
    invitation = rows.filter(id=invitation_id).first()
    if invitation is None:
        raise NotFound(f"Invitation {invitation_id} not found.")
    return invitation


# --- what admins do ---------------------------------------------------------------------------
@transaction.atomic
def invitation_create(
    *, actor: Principal, org_id: str, email: str, role: str, link_for: LinkFor
) -> tuple[Invitation, str]:
    """Invite ``email`` as ``role`` and queue the mail; returns the invitation and its
    token (which only the mail carries onwards). An expired open invitation of the same
    email is replaced; a pending one is a 409 (resend it)."""
    _check_org(actor, org_id)
    authz.require(actor, Permission.MEMBER_MANAGE)
    if role not in AccountRole.values:
        raise ValidationFailed(
            f"Unknown role {role!r}.", fields={"role": [f"One of {', '.join(AccountRole.values)}."]}
        )
    if role == AccountRole.OWNER and not _may_grant_owner(actor):
        raise PermissionDenied(
            "Only owners can invite someone as an owner.", code="owner_invite_forbidden"
        )
    email = _clean_email(email)
    org = Organization.objects.get(id=org_id)
    if OrgMembership.objects.filter(organization_id=org_id, user__email=email).exists():
        raise Conflict(
            f"{email} is already a member of this organization.",
            code="already_member",
            fields={"email": ["Already a member."]},
        )
    now = timezone.now()
    earlier = (
        Invitation.objects.select_for_update()
        .filter(organization_id=org_id, email=email, accepted_at=None, revoked_at=None)
        .first()
    )
    if earlier is not None:
        if invitation_status(earlier, now) == InvitationStatus.PENDING:
            raise Conflict(
                f"{email} is already invited; resend that invitation instead.",
                code="already_invited",
                fields={"email": ["Already invited (resend the invitation)."]},
            )
        earlier.revoked_at = now  # expired: this one replaces it
        earlier.save(update_fields=["revoked_at", "updated_at"])
    secret, digest = _new_secret()
    invitation = Invitation(
        organization_id=org_id,
        email=email,
        role=role,
        digest=digest,
        invited_by_id=actor.user_id,
        invited_by_label=_inviter_label(actor, org),
        expires_at=now + _ttl(),
        sent_at=now,
    )
    try:
        with transaction.atomic():  # the open-invitation constraint decides a concurrent invite
            invitation.save(force_insert=True)
    except IntegrityError:
        raise Conflict(
            f"{email} is already invited; resend that invitation instead.",
            code="already_invited",
            fields={"email": ["Already invited (resend the invitation)."]},
        ) from None
    token = _token(invitation, secret)
    _mail(invitation, org, token, link_for)
    audit_record(
        actor=actor,
        action="invitation.create",
        target_type="invitation",
        target_id=invitation.id,
        details={"email": email, "role": role},
    )
    return invitation, token


@transaction.atomic
def invitation_resend(
    *, actor: Principal, org_id: str, invitation_id: str, link_for: LinkFor
) -> tuple[Invitation, str]:
    """A new link (the previous one stops working) valid for another 7 days, mailed again."""
    _check_org(actor, org_id)
    authz.require(actor, Permission.MEMBER_MANAGE)
    invitation = _open(org_id, invitation_id, lock=True)
    status = invitation_status(invitation)
    if status in (InvitationStatus.ACCEPTED, InvitationStatus.REVOKED):
        raise Conflict(
            f"This invitation was {status.lower()}; it cannot be sent again.",
            code=f"invitation_{status.lower()}",
        )
    if invitation.role == AccountRole.OWNER and not _may_grant_owner(actor):
        raise PermissionDenied(
            "Only owners can resend an invitation as an owner.", code="owner_invite_forbidden"
        )
    now = timezone.now()
    secret, invitation.digest = _new_secret()
    invitation.expires_at, invitation.sent_at = now + _ttl(), now
    invitation.save(update_fields=["digest", "expires_at", "sent_at", "updated_at"])
    token = _token(invitation, secret)
    _mail(invitation, invitation.organization, token, link_for)
    audit_record(
        actor=actor,
        action="invitation.resend",
        target_type="invitation",
        target_id=invitation.id,
        details={"email": invitation.email, "role": invitation.role},
    )
    return invitation, token


@transaction.atomic
def invitation_revoke(*, actor: Principal, org_id: str, invitation_id: str) -> Invitation:
    """The link stops working. Revoking twice is a no-op; an accepted one is a 409."""
    _check_org(actor, org_id)
    authz.require(actor, Permission.MEMBER_MANAGE)
    invitation = _open(org_id, invitation_id, lock=True)
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was already accepted.", code="invitation_accepted")
    if invitation.role == AccountRole.OWNER and not _may_grant_owner(actor):
        raise PermissionDenied(
            "Only owners can revoke an invitation as an owner.", code="owner_invite_forbidden"
        )
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            actor=actor,
            action="invitation.revoke",
            target_type="invitation",
            target_id=invitation.id,
            details={"email": invitation.email, "role": invitation.role},
        )
    return invitation


# --- what the invitee does ----------------------------------------------------------------
def _refusal(reason: str) -> ApplicationError:
    if reason == "invalid":
        return NotFound(
            "The link is incomplete, was replaced by a newer invitation, or is not one we "
            "sent. Ask for a new invitation.",
            code="invitation_invalid",
        )
    if reason == "expired":
        return Conflict(
            "Invitations work for 7 days. Ask the organization to send it again.",
            code="invitation_expired",
        )
    if reason == "used":
        return Conflict(
            "It was accepted already, and works only once. If that was you, sign in.",
            code="invitation_used",
        )
    if reason == "revoked":
        return Conflict(
            "The organization withdrew it. Ask them for a new one if you still need it.",
            code="invitation_revoked",
        )
    raise AssertionError(reason)


def _find(token: str) -> tuple[Invitation | None, str | None]:
    """The invitation of ``token`` and why it cannot be accepted (None: it can)."""
    invitation_id, dot, secret = (token or "").partition(".")
    if not dot or not secret or len(token) > 200:
        return None, "invalid"
    invitation = Invitation.objects.select_related("organization").filter(id=invitation_id).first()
    if invitation is None:
        # Compare anyway, so that an unknown id takes as long as a wrong secret.
        hmac.compare_digest(_digest(secret), _digest(""))
        return None, "invalid"
    return invitation, _reason(invitation, secret)


def _reason(invitation: Invitation, secret: str) -> str | None:
    if not hmac.compare_digest(invitation.digest, _digest(secret)):
        return "invalid"  # forged, or the link a resend replaced
    status = invitation_status(invitation)
    return {
        InvitationStatus.ACCEPTED: "used",
        InvitationStatus.REVOKED: "revoked",
        InvitationStatus.EXPIRED: "expired",
    }.get(status)


def _refuse(
    invitation: Invitation | None, reason: str, *, visitor: Principal, error=None
) -> ApplicationError:
    """Audit a refused attempt (committed on its own) and return the error to raise."""
    error = error or _refusal(reason)
    actor = visitor
    if invitation is not None and actor.org_id != invitation.organization_id:
        actor = replace(actor, org_id=invitation.organization_id)
    audit_record(
        actor=actor,
        action="invitation.accept_refused",
        target_type="invitation",
        target_id=invitation.id if invitation else "",
        details={"reason": reason, "email": invitation.email if invitation else ""},
    )
    return error


@dataclass(frozen=True)
class InvitationView:
    invitation: Invitation
    account_exists: bool


def invitation_inspect(*, token: str, visitor: Principal) -> InvitationView:
    """What the accept page shows: the invitation of a valid link, or the refusal."""
    invitation, reason = _find(token)
    if reason:
        raise _refuse(invitation, reason, visitor=visitor)
    return InvitationView(
        invitation=invitation,
        account_exists=User.objects.filter(email=invitation.email).exists(),
    )


@dataclass(frozen=True)
class Accepted:
    membership: OrgMembership
    user: User
    account_created: bool


def invitation_accept(
    *,
    token: str,
    session_user: User | None,
    name: str = "",
    password: str | None = None,
    visitor: Principal,
) -> Accepted:
    """Join the invitation's organization: as the signed-in user (whose email it must be),
    with the password of the email's existing account, or with a new account (name and a
    password Django's validators accept). The caller signs the user in."""
    invitation, reason = _find(token)
    if reason:
        raise _refuse(invitation, reason, visitor=visitor)
    email = invitation.email
    existing = User.objects.filter(email=email).first()
    user, creating = None, False
    if session_user is not None and session_user.is_authenticated:
        if session_user.email != email:
            raise _refuse(
                invitation,
                "wrong_account",
                visitor=visitor,
                error=PermissionDenied(
                    f"This invitation is for {email}; you are signed in as "
                    f"{session_user.email}. Sign out first.",
                    code="invitation_wrong_account",
                ),
            )
        user = session_user
    elif existing is not None:
        ratelimit.hit(
            "login",
            f"{visitor.ip}:{email}",
            settings.RATE_LIMIT_LOGIN,
            message="Too many sign-in attempts; wait a minute and try again.",
        )
        user = authenticate(email=email, password=password) if password else None
        if user is None:
            raise _refuse(
                invitation,
                "bad_password",
                visitor=visitor,
                error=ValidationFailed(
                    f"{email} already has an account: enter its password to join.",
                    code="invalid_credentials",
                    fields={"password": ["Incorrect password." if password else "Required."]},
                ),
            )
    else:
        creating = True
        name = clean_text(name, field="name", max_length=150)
        if not password:
            raise ValidationFailed("Choose a password.", fields={"password": ["Required."]})
        user = User(email=email, name=name)
        password_validate(password, user)
        user.set_password(password)
    if not user.is_active:
        raise _refuse(
            invitation,
            "inactive",
            visitor=visitor,
            error=PermissionDenied("This account is deactivated.", code="account_inactive"),
        )

    refused: tuple[str, ApplicationError | None] | None = None
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(id=invitation.id)
        late = _reason(locked, token.partition(".")[2])  # accepted by a concurrent request?
        if late:
            refused = (late, None)
        elif OrgMembership.objects.filter(
            organization_id=locked.organization_id, user__email=email
        ).exists():
            refused = (
                "already_member",
                Conflict(
                    f"{email} is already a member of {invitation.organization.name}.",
                    code="already_member",
                ),
            )
        else:
            if creating:
                try:
                    with transaction.atomic():
                        user.save(force_insert=True)
                except IntegrityError:
                    refused = (
                        "account_exists",
                        Conflict(
                            f"{email} has an account now: enter its password to join.",
                            code="account_exists",
                        ),
                    )
            if refused is None:
                membership = OrgMembership.objects.create(
                    organization_id=locked.organization_id, user=user, account_role=locked.role
                )
                locked.accepted_at, locked.accepted_by = timezone.now(), user
                locked.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
                actor = principals.for_membership(membership).with_request(
                    ip=visitor.ip, request_id=visitor.request_id
                )
                audit_record(
                    actor=actor,
                    action="invitation.accept",
                    target_type="invitation",
                    target_id=locked.id,
                    details={
                        "email": email,
                        "role": locked.role,
                        "account_created": creating,
                        "invited_by": locked.invited_by_id or "",
                    },
                )
    if refused is not None:
        raise _refuse(invitation, refused[0], visitor=visitor, error=refused[1])
    membership.organization = invitation.organization
    return Accepted(membership=membership, user=user, account_created=creating)
