"""Personal and service API keys: create (the secret shown once, only its digest kept),
revoke, and authenticate a bearer token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from adminapp import authz
from adminapp.accounts.models import (
    AccountRole,
    ApiKey,
    ApiKeyKind,
    OrgMembership,
    User,
)
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.core import crypto, ratelimit
from adminapp.core.errors import (
    AuthenticationFailed,
    NotFound,
    ValidationFailed,
)
from adminapp.core.models import aware_timestamp
from adminapp.core.principal import Principal
from adminapp.core.validation import clean_text

API_KEY_PREFIX = "adm"
# Refresh last_used_at at most this often, so authenticating is not a write per request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


# --- API keys ---------------------------------------------------------------------------
@transaction.atomic
def api_key_create(
    *,
    actor: Principal,
    label: str,
    description: str = "",
    kind: str = ApiKeyKind.PERSONAL,
    role: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret: the only time the secret exists."""
    ratelimit.hit(
        "api_key_create",
        f"{actor.org_id}:{actor.actor_id}",
        settings.RATE_LIMIT_KEY_CREATE,
        message="Too many API keys created in a short time; wait and try again.",
    )
    label = clean_text(label, field="label", max_length=100)
    description = clean_text(description, field="description", max_length=500, required=False)
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            raise ValidationFailed(
                "expires_at needs a time zone.", fields={"expires_at": ["Include a UTC offset."]}
            )
        try:
            expires_at = expires_at.astimezone(UTC)
        except OverflowError:
            raise ValidationFailed(
                "expires_at is out of range.", fields={"expires_at": ["Out of range."]}
            ) from None
        if expires_at <= timezone.now():
            raise ValidationFailed(
                "expires_at must be in the future.",
                fields={"expires_at": ["Must be in the future."]},
            )
    if kind == ApiKeyKind.PERSONAL:
        authz.require(
            actor, Permission.API_KEY_MANAGE_OWN, "Only people can have personal API keys."
        )
        if role:
            raise ValidationFailed(
                "A personal key acts as you; it takes no role.", fields={"role": ["Not allowed."]}
            )
        user_id, role = actor.user_id, ""
    elif kind == ApiKeyKind.SERVICE:
        authz.require(actor, Permission.API_KEY_MANAGE, "Only org admins can create service keys.")
        if role not in (AccountRole.ADMIN, AccountRole.MEMBER):
            raise ValidationFailed(
                "A service key needs role ADMIN or MEMBER.", fields={"role": ["ADMIN or MEMBER."]}
            )
        user_id = None
    else:
        raise ValidationFailed(
            f"Unknown key kind {kind!r}.", fields={"kind": ["PERSONAL or SERVICE."]}
        )

    secret = crypto.mint_secret(API_KEY_PREFIX)
    key = ApiKey.objects.create(
        organization_id=actor.org_id,
        kind=kind,
        user_id=user_id,
        role=role,
        label=label,
        description=description,
        display_prefix=secret.display_prefix,
        digest=secret.digest,
        created_by_id=actor.user_id,
        expires_at=expires_at,
    )
    audit_record(
        actor=actor,
        action="api_key.create",
        target_type="api_key",
        target_id=key.id,
        details={
            "label": label,
            "kind": kind,
            "role": role,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return key, secret.value


def _key_for_management(actor: Principal, key_id: str) -> ApiKey:
    key = ApiKey.objects.filter(id=key_id, organization_id=actor.org_id).first()
    if key is None:
        raise NotFound(f"API key {key_id} not found.")
    own = key.kind == ApiKeyKind.PERSONAL and key.user_id == actor.user_id and actor.user_id
    if not authz.can(actor, Permission.API_KEY_MANAGE):
        if not own:
            # A member cannot learn that someone else's key exists.
            raise NotFound(f"API key {key_id} not found.")
        authz.require(actor, Permission.API_KEY_MANAGE_OWN)
    return key


@transaction.atomic
def api_key_revoke(*, actor: Principal, key_id: str) -> ApiKey:
    key = _key_for_management(actor, key_id)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            actor=actor,
            action="api_key.revoke",
            target_type="api_key",
            target_id=key.id,
            details={"label": key.label},
        )
    return key


def _key_lookup_sql() -> str:
    key, user, member = ApiKey._meta.db_table, User._meta.db_table, OrgMembership._meta.db_table
    # Only table names from model metadata are interpolated; the digest is a bound parameter.
    return (
        f"SELECT k.id, k.organization_id, k.kind, k.user_id, k.role, k.label, k.digest,"  # noqa: S608
        f" k.expires_at, k.last_used_at, k.revoked_at, u.email, u.is_active, u.is_superuser,"
        f" m.account_role"
        f" FROM {key} k"
        f" LEFT JOIN {user} u ON u.id = k.user_id"
        f" LEFT JOIN {member} m ON m.user_id = k.user_id"
        f" AND m.organization_id = k.organization_id"
        f" WHERE k.digest = %s"
    )


def api_key_authenticate(*, token: str) -> ApiKey:
    """Resolve a bearer token to a live key; every failure is a 401 saying why.

    This runs on every API request, so it is one hand-written query (the key, its user and
    that user's current role in the key's org) instead of the ORM's compiled equivalent,
    which cost several times as much. The key comes back with ``member_role`` set (None
    once a personal key's user has left the org) and ``user`` filled in.
    """
    if not token.startswith(f"{API_KEY_PREFIX}_") or len(token) > 200:
        raise AuthenticationFailed("Malformed API key.", code="invalid_api_key")
    token_digest = crypto.digest(token)
    with connection.cursor() as cursor:
        cursor.execute(_key_lookup_sql(), [token_digest])
        row = cursor.fetchone()
    if row is None or not crypto.digests_match(row[6], token_digest):
        raise AuthenticationFailed("Unknown API key.", code="invalid_api_key")
    (
        key_id,
        org_id,
        kind,
        user_id,
        role,
        label,
        digest_,
        expires_at,
        last_used_at,
        revoked_at,
        email,
        user_active,
        user_superuser,
        member_role,
    ) = row
    expires_at, last_used_at, revoked_at = map(
        aware_timestamp, (expires_at, last_used_at, revoked_at)
    )
    now = timezone.now()
    if revoked_at is not None:
        raise AuthenticationFailed("This API key has been revoked.", code="api_key_revoked")
    if expires_at is not None and expires_at <= now:
        raise AuthenticationFailed("This API key has expired.", code="api_key_expired")
    if user_id is not None and not user_active:
        raise AuthenticationFailed("This API key's user is deactivated.", code="invalid_api_key")
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(id=key_id).update(last_used_at=now)
        last_used_at = now
    key = ApiKey(
        id=key_id,
        organization_id=org_id,
        kind=kind,
        user_id=user_id,
        role=role,
        label=label,
        digest=digest_,
        expires_at=expires_at,
        last_used_at=last_used_at,
        revoked_at=revoked_at,
    )
    if user_id is not None:
        key.user = User(
            id=user_id, email=email, is_active=bool(user_active), is_superuser=bool(user_superuser)
        )
    key.member_role = member_role
    return key
