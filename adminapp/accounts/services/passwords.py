"""Your password: change it (the current one required), or reset a forgotten one through a
link mailed to you. A reset request answers the same whether the email has an account or
not (no account enumeration); the link carries Django's ``PasswordResetTokenGenerator``
token, which expires (``PASSWORD_RESET_TIMEOUT``) and dies once the password changes."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from adminapp.accounts.mail import mail_send
from adminapp.accounts.models import User
from adminapp.accounts.services.mfa import audit_user
from adminapp.core import ratelimit
from adminapp.core.errors import BadRequest, NotFound, ValidationFailed
from adminapp.core.principal import Principal, PrincipalKind

RESET_LINK_INVALID = "reset_link_invalid"


def password_validate(password: str, user: User, *, field: str = "password") -> None:
    """Django's password validators (``AUTH_PASSWORD_VALIDATORS``) on a password ``user`` is
    to get: a weak one is a 422 on ``field``. Every way of setting a password goes through
    here (change, reset, a new member's or an invitee's new account)."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "The password is too weak.", fields={field: list(exc.messages)}
        ) from None


def _validated(password: str | None, user: User, field: str) -> str:
    if not password:
        raise ValidationFailed("Choose a new password.", fields={field: ["Required."]})
    password_validate(password, user, field=field)
    return password


@transaction.atomic
def password_change(*, actor: Principal, current_password: str, new_password: str) -> User:
    """A signed-in person changes their own password. The caller keeps its session signed
    in (``update_session_auth_hash``); every other session of theirs is signed out."""
    if actor.kind != PrincipalKind.USER or actor.key_id:
        raise BadRequest(
            "Change your password from a signed-in browser session, not with an API key.",
            code="session_required",
        )
    ratelimit.hit(
        "password_change",
        actor.user_id,
        settings.RATE_LIMIT_LOGIN,
        message="Too many attempts; wait a minute and try again.",
    )
    user = User.objects.select_for_update().get(id=actor.user_id)
    if not current_password or not user.check_password(current_password):
        raise ValidationFailed(
            "Your current password is incorrect.",
            code="invalid_credentials",
            fields={
                "current_password": ["Incorrect password." if current_password else "Required."]
            },
        )
    user.set_password(_validated(new_password, user, "new_password"))
    user.save(update_fields=["password", "updated_at"])
    audit_user(actor, user, "user.password_change")
    return user


def _reset_token(user: User) -> str:
    return (
        f"{urlsafe_base64_encode(force_bytes(user.id))}.{default_token_generator.make_token(user)}"
    )


def password_reset_request(*, email: str, link_for, visitor: Principal) -> None:
    """Mail a reset link when an active account has ``email``; nothing otherwise. The
    caller answers the same either way. Rate limited per address and per email."""
    email = (email or "").strip().lower()
    ratelimit.hit(
        "password_reset_ip",
        f"{visitor.ip}",
        settings.RATE_LIMIT_LOGIN_IP,
        message="Too many requests from your address; wait a few minutes and try again.",
    )
    ratelimit.hit(
        "password_reset",
        f"{visitor.ip}:{email}",
        settings.RATE_LIMIT_LOGIN,
        message="Too many requests; wait a minute and try again.",
    )
    if not email or len(email) > 254:
        raise ValidationFailed("Enter your email address.", fields={"email": ["Required."]})
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    with transaction.atomic():
        mail_send(
            to=user.email,
            template="password_reset",
            context={
                "link": link_for(_reset_token(user)),
                "hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
            },
        )
        audit_user(visitor, user, "user.password_reset_request")


def _user_of(token: str) -> User:
    uid, dot, secret = (token or "").partition(".")
    invalid = NotFound(
        "This password reset link is not valid: it expired, was used already, or is not "
        "a link we sent. Ask for a new one.",
        code=RESET_LINK_INVALID,
    )
    if not dot or len(token) > 300:
        raise invalid
    try:
        user_id = force_str(urlsafe_base64_decode(uid))
    except (ValueError, TypeError):
        raise invalid from None
    user = User.objects.filter(id=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, secret):
        raise invalid
    return user


def password_reset_inspect(*, token: str) -> User:
    """The account a reset link is for, or ``NotFound`` (``reset_link_invalid``)."""
    return _user_of(token)


@transaction.atomic
def password_reset_confirm(*, token: str, new_password: str, visitor: Principal) -> User:
    """Set a new password through a mailed link; the link then stops working (the token is
    bound to the password it was made for), and every session of the account is signed
    out."""
    user = _user_of(token)
    user = User.objects.select_for_update().get(id=user.id)
    if not default_token_generator.check_token(user, token.partition(".")[2]):
        raise NotFound("This password reset link was used already.", code=RESET_LINK_INVALID)
    user.set_password(_validated(new_password, user, "new_password"))
    user.save(update_fields=["password", "updated_at"])
    audit_user(visitor, user, "user.password_reset")
    return user
