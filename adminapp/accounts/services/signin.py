"""Signing in with email and password (rate limited), the session audit events, and the
development seed user."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError

from adminapp.accounts.models import (
    OrgMembership,
    User,
)
from adminapp.audit.services import audit_record
from adminapp.core import ratelimit
from adminapp.core.errors import (
    AuthenticationFailed,
    BadRequest,
    ValidationFailed,
)
from adminapp.core.principal import Principal


# --- sign-in ----------------------------------------------------------------------------
def user_login_check(*, email: str, password: str, ip: str | None) -> User:
    """Check a password sign-in, rate limited per IP and email (guessing one password) and
    per IP across emails (trying one password on many accounts). The caller opens the
    session."""
    email = (email or "").strip().lower()
    ratelimit.hit(
        "login_ip",
        f"{ip}",
        settings.RATE_LIMIT_LOGIN_IP,
        message="Too many sign-in attempts from your address; wait a few minutes and try again.",
    )
    ratelimit.hit(
        "login",
        f"{ip}:{email}",
        settings.RATE_LIMIT_LOGIN,
        message="Too many sign-in attempts; wait a minute and try again.",
    )
    if not email or not password:
        raise ValidationFailed(
            "Enter your email and password.",
            fields={
                k: ["Required."] for k, v in (("email", email), ("password", password)) if not v
            },
        )
    user = authenticate(email=email, password=password)
    if user is None:
        raise AuthenticationFailed("Email or password is incorrect.", code="invalid_credentials")
    # Everyone acts in an organization, instance admins included (there is no org-less UI).
    if not OrgMembership.objects.filter(user=user).exists():
        raise AuthenticationFailed(
            "This account belongs to no organization yet.", code="no_organization"
        )
    return user


def session_record(*, actor: Principal, action: str) -> None:
    """Audit a browser session opening or closing (``auth.login`` / ``auth.logout``)."""
    audit_record(actor=actor, action=action, target_type="user", target_id=actor.user_id or "")


def seed_user(*, email: str, password: str, name: str = "", superuser: bool = False) -> User:
    """Create or reset a user for the demo seed and tests' setup (system use only)."""
    try:
        user, _ = User.objects.get_or_create(email=email.lower(), defaults={"name": name})
    except IntegrityError as exc:  # pragma: no cover - concurrent seed
        raise BadRequest(str(exc)) from exc
    user.name = name or user.name
    user.is_superuser = user.is_staff = superuser
    user.set_password(password)
    user.save()
    return user
