"""Writes for tenancy and identity: organizations, members, API keys, sign-in.

Every function takes the acting ``Principal`` explicitly, checks permission through
``accounts.permissions``, writes in one transaction and records an audit event in it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from adminapp import authz
from adminapp.accounts import guards
from adminapp.accounts.models import (
    AccountRole,
    ApiKey,
    ApiKeyKind,
    Organization,
    OrgMembership,
    User,
)
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
from adminapp.core.validation import clean_text, name_key

API_KEY_PREFIX = "adm"
# Refresh last_used_at at most this often, so authenticating is not a write per request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


# --- organizations ---------------------------------------------------------------------
@transaction.atomic
def organization_create(
    *, actor: Principal, name: str, owner: User, slug: str = ""
) -> Organization:
    """Instance admins (or the system, e.g. the demo seed) create organizations."""
    authz.require(
        actor, Permission.ORGANIZATION_CREATE, "Only instance admins can create organizations."
    )
    name = clean_text(name, field="name", max_length=255)
    slug = slugify(slug or name)[:64]
    if not slug:
        raise ValidationFailed(
            "The name needs at least one letter or digit.", fields={"name": ["Invalid."]}
        )
    if (
        Organization.objects.filter(name_key=name_key(name)).exists()
        or Organization.objects.filter(slug=slug).exists()
    ):
        raise Conflict(
            f"An organization named {name!r} already exists.", fields={"name": ["Taken."]}
        )
    org = Organization.objects.create(name=name, name_key=name_key(name), slug=slug)
    OrgMembership.objects.create(organization=org, user=owner, account_role=AccountRole.OWNER)
    audit_record(
        actor=actor,
        org_id=org.id,
        action="organization.create",
        target_type="organization",
        target_id=org.id,
        details={"name": name, "owner": owner.email},
    )
    return org


# --- members ----------------------------------------------------------------------------
def _membership(org_id: str, user_id: str, *, lock: bool = False) -> OrgMembership:
    rows = OrgMembership.objects.select_related("user")
    if lock:
        rows = rows.select_for_update(of=("self",))
    try:
        return rows.get(organization_id=org_id, user_id=user_id)
    except OrgMembership.DoesNotExist:
        raise NotFound(f"User {user_id} is not a member of this organization.") from None


def _locked_again(membership: OrgMembership) -> OrgMembership:
    """The membership row locked until the transaction ends, so that whatever checks the
    account role before it writes (a space role being given) waits for this change. Taken
    after the owner rows (``_owners_left_after`` locks them in one order, this one among
    them when it is an owner's); a role that changed since it was read is a 409."""
    locked = _membership(membership.organization_id, membership.user_id, lock=True)
    if locked.account_role != membership.account_role:
        raise Conflict(
            f"{membership.user.email}'s role changed meanwhile (now {locked.account_role}); "
            "reload and try again.",
            code="member_changed",
        )
    return locked


def _check_org(actor: Principal, org_id: str) -> None:
    """An org the caller is not acting in does not exist for them (404, not 403)."""
    if actor.kind != PrincipalKind.SYSTEM and org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")


def _check_role_grant(actor: Principal, role: str) -> None:
    if role not in AccountRole.values:
        raise ValidationFailed(
            f"Unknown role {role!r}.", fields={"role": [f"One of {', '.join(AccountRole.values)}."]}
        )
    if role == AccountRole.OWNER:
        authz.require(actor, Permission.OWNER_MANAGE, "Only owners can grant the OWNER role.")


def _owners_left_after(org_id: str, user_id: str) -> int:
    # Lock every owner row, the leaving one included, in one order: two owners demoting each
    # other at once then queue up (the second sees one owner left and gets a 409) instead of
    # each locking only the other's row and deadlocking on the updates.
    owners = list(
        OrgMembership.objects.select_for_update()
        .filter(organization_id=org_id, account_role=AccountRole.OWNER)
        .order_by("id")
        .values_list("user_id", flat=True)
    )
    return sum(1 for owner in owners if owner != user_id)


@transaction.atomic
def org_member_add(
    *,
    actor: Principal,
    org_id: str,
    email: str,
    role: str,
    name: str = "",
    password: str | None = None,
) -> OrgMembership:
    """Add a user to the org by email, creating the account when it does not exist yet
    (then ``password`` is required). An existing member gets a 409."""
    _check_org(actor, org_id)
    authz.require(actor, Permission.MEMBER_MANAGE)
    _check_role_grant(actor, role)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(
            "Enter a valid email address.", fields={"email": ["Invalid email."]}
        ) from None
    name = clean_text(name, field="name", max_length=150, required=False)
    user = User.objects.filter(email=email).first()
    created = user is None
    if created:
        if not password:
            raise ValidationFailed(
                "This email has no account yet: give an initial password for it.",
                fields={"password": ["Required for a new account."]},
            )
        user = User(email=email, name=name)
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                "The password is too weak.", fields={"password": list(exc.messages)}
            ) from None
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # The account was created meanwhile by another request: add that one.
            user, created = User.objects.get(email=email), False
    already = Conflict(
        f"{email} is already a member of this organization.",
        fields={"email": ["Already a member."]},
    )
    if OrgMembership.objects.filter(organization_id=org_id, user=user).exists():
        raise already
    try:
        with transaction.atomic():  # the unique constraint decides a concurrent add
            membership = OrgMembership.objects.create(
                organization_id=org_id, user=user, account_role=role
            )
    except IntegrityError:
        raise already from None
    audit_record(
        actor=actor,
        action="member.add",
        target_type="user",
        target_id=user.id,
        details={"email": email, "role": role, "account_created": created},
    )
    return membership


@transaction.atomic
def org_member_update_role(
    *, actor: Principal, org_id: str, user_id: str, role: str
) -> OrgMembership:
    _check_org(actor, org_id)
    authz.require(actor, Permission.MEMBER_MANAGE)
    _check_role_grant(actor, role)
    membership = _membership(org_id, user_id)
    if membership.account_role == AccountRole.OWNER and role != AccountRole.OWNER:
        authz.require(actor, Permission.OWNER_MANAGE, "Only owners can change an owner's role.")
        if _owners_left_after(org_id, user_id) == 0:
            raise Conflict(
                "An organization needs at least one owner.", fields={"role": ["Last owner."]}
            )
    previous = membership.account_role
    if previous != role:
        membership = _locked_again(membership)
        # The domains above (spaces) refuse the change or bring the member's roles there
        # in line with it, in this transaction (accounts/guards.py).
        changed_elsewhere = guards.check_account_role_change(membership, role)
        membership.account_role = role
        membership.save(update_fields=["account_role", "updated_at"])
        audit_record(
            actor=actor,
            action="member.update_role",
            target_type="user",
            target_id=user_id,
            details={"from": previous, "to": role, **changed_elsewhere},
        )
    return membership


@transaction.atomic
def org_member_remove(*, actor: Principal, org_id: str, user_id: str) -> None:
    _check_org(actor, org_id)
    authz.require(actor, Permission.MEMBER_MANAGE)
    membership = _membership(org_id, user_id)
    if membership.account_role == AccountRole.OWNER:
        authz.require(actor, Permission.OWNER_MANAGE, "Only owners can remove an owner.")
        if _owners_left_after(org_id, user_id) == 0:
            raise Conflict("An organization needs at least one owner.")
    # Locked before its space memberships go with it (the order a role change locks them in).
    membership = _locked_again(membership)
    # The user's personal keys for this org stop working with the membership.
    ApiKey.objects.filter(organization_id=org_id, user_id=user_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    membership.delete()
    audit_record(
        actor=actor,
        action="member.remove",
        target_type="user",
        target_id=user_id,
        details={"email": membership.user.email},
    )


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
    expires_at, last_used_at, revoked_at = map(_as_aware, (expires_at, last_used_at, revoked_at))
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


def _as_aware(value: datetime | str | None) -> datetime | None:
    """A timestamp column read by a raw query, as an aware UTC datetime (SQLite gives naive
    UTC text; PostgreSQL an aware datetime)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


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
