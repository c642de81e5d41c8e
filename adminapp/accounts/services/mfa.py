"""Two-factor sign-in: a TOTP authenticator (RFC 6238, ``pyotp``) and ten single-use
recovery codes, the second step of a password sign-in, and an organization's rule that
its members must have it.

The TOTP secret is encrypted at rest (``core.crypto``, the ``ENCRYPTION_KEYS`` list);
recovery codes are kept as SHA-256 digests only and shown once. A TOTP code is accepted
within one 30-second step of drift and never twice (``TwoFactor.last_step``). Wrong codes
are rate limited per user (``RATE_LIMIT_TWO_FACTOR``) and audited (``auth.two_factor_failed``).

The second step of sign-in is a signed challenge (``django.core.signing``, salted, valid
``TWO_FACTOR_CHALLENGE_SECONDS``): it names the user and their password hash's session
hash, so it dies when the password changes, and it proves the password was right.
"""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp
import segno
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from adminapp import authz
from adminapp.accounts.models import Organization, OrgMembership, RecoveryCode, TwoFactor, User
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.core import crypto, ratelimit
from adminapp.core.errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    NotFound,
    ValidationFailed,
)
from adminapp.core.principal import Principal, PrincipalKind

ISSUER = "adminapp"
RECOVERY_CODE_COUNT = 10
CHALLENGE_SALT = "adminapp.accounts.two-factor-challenge"
SETUP_REQUIRED = "two_factor_setup_required"
MFA_REQUIRED = "mfa_required"
CHALLENGE_INVALID = "mfa_challenge_invalid"
INVALID_CODE = "invalid_code"


# --- helpers --------------------------------------------------------------------------------
def _session_user(actor: Principal) -> User:
    if actor.kind != PrincipalKind.USER or actor.key_id or not actor.user_id:
        raise BadRequest(
            "Manage two-factor sign-in from a signed-in browser session, not with an API key.",
            code="session_required",
        )
    return User.objects.get(id=actor.user_id)


def audit_user(actor: Principal, user: User, action: str, details: dict | None = None) -> None:
    """In each of the user's organizations' logs (sign-in is the person's, not one org's)."""
    org_ids = list(user.org_memberships.values_list("organization_id", flat=True)) or [None]
    for org_id in org_ids:
        audit_record(
            actor=actor,
            action=action,
            org_id=org_id,
            target_type="user",
            target_id=user.id,
            details={"email": user.email, **(details or {})},
        )


def _limit(user: User) -> None:
    ratelimit.hit(
        "two_factor",
        user.id,
        settings.RATE_LIMIT_TWO_FACTOR,
        message="Too many two-factor codes tried; wait a few minutes and try again.",
    )


def _normalize(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


def _recovery_digest(code: str) -> str:
    return crypto.digest(_normalize(code))


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones (returned once, stored as
    digests). Each is 10 base32 characters shown as ``xxxxx-xxxxx`` (50 bits)."""
    RecoveryCode.objects.filter(user=user).delete()
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=_recovery_digest(c)) for c in codes
    )
    return codes


def _totp_step(two_factor: TwoFactor, code: str) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), if it is right and
    newer than the last one accepted."""
    code = _normalize(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(crypto.decrypt(two_factor.secret_encrypted))
    now = time.time()
    for drift in (0, -1, 1):
        at = now + drift * totp.interval
        step = int(at // totp.interval)
        if step > two_factor.last_step and hmac.compare_digest(totp.at(at), code):
            return step
    return None


def _use_code(user: User, code: str) -> str | None:
    """Spend ``code`` (a TOTP code or an unused recovery code) for ``user``: ``"totp"`` or
    ``"recovery"`` when it was good, None otherwise. Call inside a transaction."""
    two_factor = TwoFactor.objects.select_for_update().filter(user=user).first()
    if two_factor is None or two_factor.confirmed_at is None:
        return None
    step = _totp_step(two_factor, code)
    if step is not None:
        two_factor.last_step = step
        two_factor.save(update_fields=["last_step", "updated_at"])
        return "totp"
    if len(_normalize(code)) == 10:
        used = RecoveryCode.objects.filter(
            user=user, digest=_recovery_digest(code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if used:
            return "recovery"
    return None


def _is_enabled(user: User) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def has_two_factor(user: User) -> bool:
    """Whether signing in as ``user`` takes a code after the password."""
    return _is_enabled(user)


def _requiring_orgs(user: User) -> list[Organization]:
    return [
        m.organization
        for m in OrgMembership.objects.filter(
            user=user, organization__require_two_factor=True
        ).select_related("organization")
    ]


# --- status and enrolment -------------------------------------------------------------------
def two_factor_status(*, actor: Principal) -> dict:
    user = _session_user(actor)
    two_factor = TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).first()
    return {
        "enabled": two_factor is not None,
        "enabled_at": two_factor.confirmed_at if two_factor else None,
        "recovery_codes_left": RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
        if two_factor
        else 0,
        "required_by": sorted(org.name for org in _requiring_orgs(user)),
    }


def _qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG QR code (no script, no style attribute)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def _setup_out(secret: str, user: User) -> dict:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": _qr_svg(uri)}


def enrolment_pending(*, actor: Principal) -> dict:
    """The secret waiting for its first code (to show its QR code again)."""
    user = _session_user(actor)
    pending = TwoFactor.objects.filter(user=user, confirmed_at__isnull=True).first()
    if pending is None:
        raise NotFound("No two-factor setup is waiting for a code.", code="two_factor_not_started")
    return _setup_out(crypto.decrypt(pending.secret_encrypted), user)


@transaction.atomic
def enrolment_start(*, actor: Principal) -> dict:
    """A new secret waiting for its first code (any earlier unconfirmed one is replaced)."""
    user = _session_user(actor)
    existing = TwoFactor.objects.select_for_update().filter(user=user).first()
    if existing is not None and existing.confirmed_at is not None:
        raise Conflict("Two-factor sign-in is already on.", code="two_factor_enabled")
    secret = pyotp.random_base32()
    if existing is None:
        existing = TwoFactor(user=user)
    existing.secret_encrypted = crypto.encrypt(secret)
    existing.last_step = 0
    existing.save()
    return _setup_out(secret, user)


def enrolment_confirm(*, actor: Principal, code: str) -> list[str]:
    """Turn two-factor on with a first code from the app; returns the recovery codes."""
    user = _session_user(actor)
    _limit(user)
    with transaction.atomic():
        two_factor = TwoFactor.objects.select_for_update().filter(user=user).first()
        if two_factor is None:
            raise NotFound(
                "Start the setup first: no authenticator is waiting for a code.",
                code="two_factor_not_started",
            )
        if two_factor.confirmed_at is not None:
            raise Conflict("Two-factor sign-in is already on.", code="two_factor_enabled")
        step = _totp_step(two_factor, code)
        if step is not None:
            two_factor.confirmed_at = timezone.now()
            two_factor.last_step = step
            two_factor.save()
            codes = _new_recovery_codes(user)
            audit_user(actor, user, "user.two_factor_enable")
            return codes
    raise ValidationFailed(
        "That code is not right. Check the time on your phone and enter the current code.",
        code=INVALID_CODE,
        fields={"code": ["Incorrect code." if code else "Required."]},
    )


def disable(*, actor: Principal, code: str = "", password: str = "") -> None:
    """Turn two-factor off, proven with a current code (or a recovery code) or the password.
    Refused while one of the user's organizations requires it."""
    user = _session_user(actor)
    if not _is_enabled(user):
        raise Conflict("Two-factor sign-in is not on.", code="two_factor_disabled")
    requiring = _requiring_orgs(user)
    if requiring:
        raise Conflict(
            f"{requiring[0].name} requires two-factor sign-in; it cannot be turned off.",
            code="two_factor_required",
        )
    _limit(user)
    with transaction.atomic():
        if password and user.check_password(password):
            proven = True
        else:
            proven = bool(code) and _use_code(user, code) is not None
        if proven:
            TwoFactor.objects.filter(user=user).delete()
            RecoveryCode.objects.filter(user=user).delete()
            audit_user(actor, user, "user.two_factor_disable")
            return
    audit_user(actor, user, "auth.two_factor_failed", {"step": "disable"})
    raise ValidationFailed(
        "Enter a current code from your app, a recovery code, or your password.",
        code=INVALID_CODE,
        fields={"code" if code or not password else "password": ["Incorrect."]},
    )


def recovery_codes_regenerate(*, actor: Principal, code: str) -> list[str]:
    """Ten new recovery codes (the old ones stop working), proven with a current code."""
    user = _session_user(actor)
    if not _is_enabled(user):
        raise Conflict("Two-factor sign-in is not on.", code="two_factor_disabled")
    _limit(user)
    with transaction.atomic():
        if _use_code(user, code) == "totp":
            codes = _new_recovery_codes(user)
            audit_user(actor, user, "user.recovery_codes_regenerate")
            return codes
    audit_user(actor, user, "auth.two_factor_failed", {"step": "recovery_codes"})
    raise ValidationFailed(
        "Enter the current code from your authenticator app.",
        code=INVALID_CODE,
        fields={"code": ["Incorrect code." if code else "Required."]},
    )


# --- the second step of sign-in -------------------------------------------------------------
def _password_mark(user: User) -> str:
    """Changes when the password does (a digest of the session auth hash, not the hash)."""
    return crypto.digest(user.get_session_auth_hash())[:32]


def challenge_issue(user: User) -> str:
    return signing.dumps(
        {"u": user.id, "h": _password_mark(user)}, salt=CHALLENGE_SALT, compress=True
    )


def _challenge_user(token: str) -> User:
    invalid = AuthenticationFailed(
        "This sign-in has expired; enter your email and password again.",
        code=CHALLENGE_INVALID,
    )
    try:
        data = signing.loads(
            token or "", salt=CHALLENGE_SALT, max_age=settings.TWO_FACTOR_CHALLENGE_SECONDS
        )
    except signing.BadSignature:
        raise invalid from None
    user = User.objects.filter(id=data.get("u"), is_active=True).first()
    if user is None or not hmac.compare_digest(_password_mark(user), str(data.get("h", ""))):
        raise invalid
    return user


def challenge_complete(*, token: str, code: str, visitor: Principal) -> tuple[User, str]:
    """The user whose challenge ``token`` is, once ``code`` is right (a TOTP code, or a
    recovery code, which then stops working); and which kind it was."""
    user = _challenge_user(token)
    _limit(user)
    if not _normalize(code):
        raise ValidationFailed("Enter the code.", code=INVALID_CODE, fields={"code": ["Required."]})
    with transaction.atomic():
        kind = _use_code(user, code)
    if kind is None:
        audit_user(visitor, user, "auth.two_factor_failed", {"step": "sign_in"})
        raise AuthenticationFailed(
            "That code is not right. Enter the current code from your app, or a recovery code.",
            code=INVALID_CODE,
        )
    return user, kind


def login_password_step(user: User) -> None:
    """After the password was right: raise ``mfa_required`` (401, with the challenge in
    ``details``) when the user has two-factor on."""
    if _is_enabled(user):
        raise AuthenticationFailed(
            "Enter the code from your authenticator app.",
            code=MFA_REQUIRED,
            details={
                "challenge": challenge_issue(user),
                "expires_in": settings.TWO_FACTOR_CHALLENGE_SECONDS,
            },
        )


# --- the organization's rule ----------------------------------------------------------------
@transaction.atomic
def org_require_set(*, actor: Principal, org_id: str, required: bool) -> Organization:
    """An owner turns "members must use two-factor sign-in" on or off."""
    if org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")
    authz.require(actor, Permission.OWNER_MANAGE, "Only an owner can change this rule.")
    if (
        required
        and actor.user_id
        and not TwoFactor.objects.filter(user_id=actor.user_id, confirmed_at__isnull=False).exists()
    ):
        raise Conflict(
            "Turn on two-factor sign-in for yourself first (your Security page).",
            code="two_factor_disabled",
        )
    org = Organization.objects.select_for_update().get(id=org_id)
    if org.require_two_factor != required:
        org.require_two_factor = required
        org.save(update_fields=["require_two_factor", "updated_at"])
        audit_record(
            actor=actor,
            action="org.two_factor_policy",
            target_type="organization",
            target_id=org.id,
            details={"required": required},
        )
    return org


def setup_required(organization: Organization, user_id: str) -> bool:
    """Whether a browser session of ``user_id`` in ``organization`` must set up two-factor
    before anything else (no query unless the organization requires it)."""
    if not organization.require_two_factor:
        return False
    return not TwoFactor.objects.filter(user_id=user_id, confirmed_at__isnull=False).exists()
