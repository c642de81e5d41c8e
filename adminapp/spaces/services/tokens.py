"""Space tokens: bearer credentials scoped to one space, shown once, temporary (24 h) or
permanent (at most 5 active per space)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from adminapp import authz
from adminapp.audit.services import audit_record
from adminapp.authz import Permission
from adminapp.core import crypto
from adminapp.core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    ValidationFailed,
)
from adminapp.core.principal import Principal
from adminapp.core.validation import clean_text
from adminapp.spaces import selectors
from adminapp.spaces.models import Space, SpaceRoleName, SpaceToken
from adminapp.spaces.services.naming import lock_space

TOKEN_LABEL_MAX = 100
SPACE_TOKEN_PREFIX = "spt"  # noqa: S105 - a prefix, not a secret
TEMPORARY_TOKEN_TTL = timedelta(hours=24)
MAX_ACTIVE_PERMANENT_TOKENS = 5
DEFAULT_TOKEN_ROLE = SpaceRoleName.MEMBER
# Refresh a token's last_used_at at most this often (not a write per request).
LAST_USED_RESOLUTION = timedelta(seconds=60)


def _token_in_space(actor: Principal, space: str, token_id: str) -> tuple[Space, SpaceToken]:
    found = selectors.space_get(actor=actor, space=space)
    authz.require_in_space(actor, found.id, Permission.TOKEN_MANAGE)
    token = (
        SpaceToken.objects.select_for_update(of=("self",))
        .select_related("created_by")
        .filter(id=(token_id or "").strip(), space=found)
        .first()
    )
    if token is None:
        raise NotFound(f"Token {token_id} not found in space {found.name!r}.")
    return found, token


@transaction.atomic
def space_token_create(
    *,
    actor: Principal,
    space: str,
    label: str = "",
    permanent: bool = False,
    role: str = DEFAULT_TOKEN_ROLE,
) -> tuple[SpaceToken, str]:
    """Create a token; returns it with its secret (the only time the secret exists).

    A temporary token expires 24 h after creation; a permanent one never, and a space has
    at most 5 active permanent tokens (the space row is locked while counting, so two
    concurrent requests cannot both take the fifth slot). A token's role is MEMBER (the
    default: read and write data) or READ_ONLY; it never manages the space."""
    found = selectors.space_get(actor=actor, space=space)
    authz.require_in_space(actor, found.id, Permission.TOKEN_MANAGE)
    label = clean_text(label, field="label", max_length=TOKEN_LABEL_MAX, required=False)
    if role not in authz.TOKEN_ROLES:
        raise ValidationFailed(
            f"A space token's role is {' or '.join(authz.TOKEN_ROLES)}, not {role!r}.",
            fields={"role": [f"One of {', '.join(authz.TOKEN_ROLES)}."]},
        )
    found = lock_space(found)
    if permanent:
        active = SpaceToken.objects.filter(space=found, permanent=True, is_active=True).count()
        if active >= MAX_ACTIVE_PERMANENT_TOKENS:
            raise Conflict(
                f"This space already has {active} active permanent tokens (the limit is "
                f"{MAX_ACTIVE_PERMANENT_TOKENS}); deactivate or delete one first.",
                code="permanent_token_limit",
                fields={"permanent": [f"At most {MAX_ACTIVE_PERMANENT_TOKENS} active."]},
            )
    secret = crypto.mint_secret(SPACE_TOKEN_PREFIX)
    token = SpaceToken.objects.create(
        space=found,
        label=label,
        role=role,
        permanent=permanent,
        display_prefix=secret.display_prefix,
        digest=secret.digest,
        created_by_id=actor.user_id,
        expires_at=None if permanent else timezone.now() + TEMPORARY_TOKEN_TTL,
    )
    audit_record(
        actor=actor,
        action="space.token.create",
        target_type="space_token",
        target_id=token.id,
        details={"space_id": found.id, "label": label, "role": role, "permanent": permanent},
    )
    return token, secret.value


@transaction.atomic
def space_token_deactivate(*, actor: Principal, space: str, token_id: str) -> SpaceToken:
    found, token = _token_in_space(actor, space, token_id)
    if token.is_active:
        token.is_active = False
        token.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action="space.token.deactivate",
            target_type="space_token",
            target_id=token.id,
            details={"space_id": found.id, "label": token.label},
        )
    return token


@transaction.atomic
def space_token_delete(*, actor: Principal, space: str, token_id: str) -> None:
    found, token = _token_in_space(actor, space, token_id)
    token.delete()
    audit_record(
        actor=actor,
        action="space.token.delete",
        target_type="space_token",
        target_id=token_id,
        details={"space_id": found.id, "label": token.label, "permanent": token.permanent},
    )


@transaction.atomic
def space_tokens_delete(*, actor: Principal, space: str, permanent: bool | None = None) -> int:
    """Delete every token of the space, or only the permanent (``True``) or temporary
    (``False``) ones; returns how many were deleted."""
    found = selectors.space_get(actor=actor, space=space)
    authz.require_in_space(actor, found.id, Permission.TOKEN_MANAGE)
    tokens = SpaceToken.objects.filter(space=found)
    if permanent is not None:
        tokens = tokens.filter(permanent=permanent)
    deleted, _ = tokens.delete()
    audit_record(
        actor=actor,
        action="space.token.delete_many",
        target_type="space",
        target_id=found.id,
        details={
            "which": "all" if permanent is None else ("permanent" if permanent else "temporary"),
            "deleted": deleted,
        },
    )
    return deleted


def space_token_authenticate(*, token: str) -> SpaceToken:
    """Resolve a bearer ``spt_…`` secret to a live token; every failure is a 401 saying why."""
    if not token.startswith(f"{SPACE_TOKEN_PREFIX}_") or len(token) > 200:
        raise AuthenticationFailed("Malformed space token.", code="invalid_api_key")
    token_digest = crypto.digest(token)
    found = SpaceToken.objects.select_related("space").filter(digest=token_digest).first()
    if found is None or not crypto.digests_match(found.digest, token_digest):
        raise AuthenticationFailed("Unknown space token.", code="invalid_api_key")
    now = timezone.now()
    if found.space.deleted_at is not None:
        raise AuthenticationFailed(
            "This space token's space has been deleted.", code="space_token_inactive"
        )
    if not found.is_active:
        raise AuthenticationFailed(
            "This space token has been deactivated.", code="space_token_inactive"
        )
    if found.expires_at is not None and found.expires_at <= now:
        raise AuthenticationFailed("This space token has expired.", code="space_token_expired")
    if found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION:
        SpaceToken.objects.filter(id=found.id).update(last_used_at=now)
        found.last_used_at = now
    return found
