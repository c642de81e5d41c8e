"""Every ``Principal`` is built here (STYLE 4a): a signed-in session, a personal API key (acts
as its user), an org service key, a space token, the system — and the owner of a job,
re-resolved before each chunk of its work so that it never acts with rights it has lost.

Callers: the API's authentication (``adminapp.api.auth``), the in-process transport, the
jobs engine, the permission check, management commands and tests. Nothing else constructs
a ``Principal``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from adminapp.accounts.models import ApiKey, ApiKeyKind, OrgMembership, User
from adminapp.core import logs
from adminapp.core.errors import ApplicationError, NotFound
from adminapp.core.models import aware_timestamp
from adminapp.core.principal import SYSTEM, Principal, PrincipalKind

__all__ = [
    "SESSION_ORG_KEY",
    "SYSTEM",
    "OwnerGone",
    "OwnerQuery",
    "OwnerRef",
    "for_api_key",
    "for_membership",
    "for_ref",
    "for_service_key",
    "for_session",
    "for_space_token",
    "for_user",
    "for_visitor",
    "is_member",
    "owner_of",
    "owner_query",
    "register_owner_resolver",
    "resolve_owner",
    "stamp",
]

SESSION_ORG_KEY = "adminapp_org_id"  # the organization a browser session acts in
MEMBERSHIP_MEMO_ATTR = "_adminapp_memberships"


# --- the builders ---------------------------------------------------------------------------
def for_user(user: User, *, org_id: str, role: str | None, key_id: str | None = None) -> Principal:
    """A person acting in ``org_id`` with account ``role`` (by session, or by ``key_id``)."""
    return Principal(
        kind=PrincipalKind.USER,
        org_id=org_id,
        role=role,
        user_id=user.id,
        key_id=key_id,
        label=user.email,
        is_superuser=user.is_superuser,
    )


def for_visitor(
    *, org_id: str | None, label: str = "", request: HttpRequest | None = None
) -> Principal:
    """Someone not signed in (following an invitation link), for the audit log only: no
    role, no permission."""
    principal = Principal(kind="anonymous", org_id=org_id, role=None, label=label)
    return stamp(principal, request) if request is not None else principal


def for_membership(membership: OrgMembership, *, key_id: str | None = None) -> Principal:
    return for_user(
        membership.user,
        org_id=membership.organization_id,
        role=membership.account_role,
        key_id=key_id,
    )


def for_service_key(*, key_id: str, org_id: str, role: str | None, label: str) -> Principal:
    return Principal(
        kind=PrincipalKind.SERVICE_KEY,
        org_id=org_id,
        role=role,
        key_id=key_id,
        label=f"key:{label}",
    )


def for_space_token(
    *, token_id: str, org_id: str, space_id: str, role: str, label: str
) -> Principal:
    """A space token: no org role at all, one space and its role in it."""
    return Principal(
        kind=PrincipalKind.SPACE_TOKEN,
        org_id=org_id,
        role=None,
        key_id=token_id,
        label=f"token:{label}",
        space_id=space_id,
        space_role=role,
    )


def for_api_key(key: ApiKey) -> Principal | None:
    """The principal of a key returned by ``accounts.services.api_key_authenticate`` (which
    sets ``member_role``); None when a personal key's user has left the key's org."""
    if key.kind == ApiKeyKind.SERVICE:
        return for_service_key(
            key_id=key.id, org_id=key.organization_id, role=key.role, label=key.label
        )
    if key.member_role is None:
        return None
    return for_user(key.user, org_id=key.organization_id, role=key.member_role, key_id=key.id)


def for_session(request: HttpRequest) -> Principal | None:
    """The signed-in user acting in the org chosen in their session (or their first org).

    The dashboard makes several in-process API calls per page with the same user object, so
    the membership is looked up once per request (the in-process transport forgets it after
    any call that may have changed it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    org_id = request.session.get(SESSION_ORG_KEY)
    memo = user.__dict__.setdefault(MEMBERSHIP_MEMO_ATTR, {})
    if org_id not in memo:
        membership = None
        memberships = OrgMembership.objects.filter(user_id=user.id).select_related("organization")
        if org_id:
            membership = memberships.filter(organization_id=org_id).first()
        if membership is None:
            membership = memberships.order_by("organization__name", "organization_id").first()
        memo[org_id] = membership
    membership = memo[org_id]
    if membership is None:
        return None
    return stamp(
        for_user(user, org_id=membership.organization_id, role=membership.account_role), request
    )


def session_membership(request: HttpRequest, principal: Principal) -> OrgMembership | None:
    """The membership (with its organization) that ``for_session`` looked up for this
    request, when ``principal`` is that session's: it saves reading them again."""
    user = getattr(request, "user", None)
    if principal.kind != PrincipalKind.USER or principal.key_id or user is None:
        return None
    if getattr(user, "id", None) != principal.user_id:
        return None
    memo = user.__dict__.get(MEMBERSHIP_MEMO_ATTR, {})
    membership = memo.get(request.session.get(SESSION_ORG_KEY))
    if membership is None or membership.organization_id != principal.org_id:
        return None
    return membership


def stamp(principal: Principal | None, request: HttpRequest) -> Principal | None:
    """The principal with the request's client IP and request id (for the audit log)."""
    if principal is None:
        return None
    logs.bind(org_id=principal.org_id, principal=principal.actor_id)
    return principal.with_request(
        ip=getattr(request, "client_ip", None), request_id=getattr(request, "request_id", None)
    )


def forget_session_memo(request: HttpRequest) -> None:
    user = getattr(request, "user", None)
    if user is not None:
        user.__dict__.pop(MEMBERSHIP_MEMO_ATTR, None)


def is_member(*, org_id: str | None, user_id: str) -> bool:
    """Whether ``user_id`` belongs to ``org_id`` (for the domains above, e.g. a member's
    spaces)."""
    return (
        bool(org_id)
        and OrgMembership.objects.filter(organization_id=org_id, user_id=user_id).exists()
    )


def _key_is_live(key: ApiKey) -> bool:
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > timezone.now())


def for_ref(*, org_id: str, ref: str) -> Principal:
    """A user (id or email) or an API key id of ``org_id``, as the principal it acts as (the
    permission check). A key that no longer authenticates (revoked, expired) or a
    deactivated user comes back with no role, so it holds no permission."""
    ref = ref.strip()
    live = True
    key_id = None
    if ref.startswith("key_"):
        key = ApiKey.objects.filter(id=ref, organization_id=org_id).first()
        if key is None:
            raise NotFound(f"Principal {ref} not found.")
        live = _key_is_live(key)
        if key.kind == ApiKeyKind.SERVICE:
            role = key.role if live else None
            return for_service_key(key_id=key.id, org_id=org_id, role=role, label=key.label)
        ref, key_id = key.user_id, key.id
    lookup = {"user__email": ref.lower()} if "@" in ref else {"user_id": ref}
    membership = (
        OrgMembership.objects.select_related("user")
        .filter(organization_id=org_id, **lookup)
        .first()
    )
    if membership is None:
        raise NotFound(f"Principal {ref} not found.")
    live = live and membership.user.is_active
    return for_user(
        membership.user,
        org_id=org_id,
        role=membership.account_role if live else None,
        key_id=key_id,
    )


# --- owners of long work ----------------------------------------------------------------------
class OwnerGone(ApplicationError):
    """A job's owner can no longer act: its credential was revoked or expired, or the person
    left the organization or was deactivated. ``code`` says which."""

    status_code = 403
    code = "owner_gone"


@dataclass(frozen=True)
class OwnerRef:
    """How a job remembers who started it (its ``owner_*`` columns)."""

    kind: str  # a PrincipalKind
    id: str  # the user for people; the key or token for machine principals; "system"
    credential_id: str  # the API key or space token used; "" for a session or the system
    label: str


def owner_of(principal: Principal) -> OwnerRef:
    return OwnerRef(
        kind=str(principal.kind),
        id=principal.actor_id or "system",
        credential_id=principal.key_id or "",
        label=principal.label,
    )


# Resolvers for owner kinds whose credentials another domain stores (space tokens).
_owner_resolvers: dict[str, Callable[[OwnerRef, str], Principal]] = {}


def register_owner_resolver(kind: str, resolve: Callable[[OwnerRef, str], Principal]) -> None:
    """``resolve(owner, org_id)`` returns the live principal or raises ``OwnerGone``."""
    _owner_resolvers[str(kind)] = resolve


def resolve_owner(*, org_id: str, owner: OwnerRef, request_id: str = "") -> Principal:
    """The owner of a job as it stands now: the credential it used must still work and a
    person must still belong to the org (with the role they hold *now*). Raises
    ``OwnerGone`` otherwise, so work never continues with rights its owner has lost."""
    query = owner_query(org_id=org_id, owner=owner, request_id=request_id)
    if query is not None:
        with connection.cursor() as cursor:
            cursor.execute(query.sql, query.params)
            return query.resolve(cursor.fetchone())
    if owner.kind == PrincipalKind.SYSTEM:
        principal = Principal(kind=PrincipalKind.SYSTEM, org_id=org_id, role=None, label="system")
    else:
        principal = _owner_resolvers[owner.kind](owner, org_id)
    return principal.with_request(ip=None, request_id=request_id or None)


@dataclass(frozen=True)
class OwnerQuery:
    """How an account owner (a person, by session or personal key, or a service key) is
    resolved: one hand-written statement reading the credential the job used, the owner's
    membership of the org and their user, whichever exist (``sql`` with ``params``, one
    row), and ``resolve(row)`` on its row. A caller may fold the statement into one of its
    own (the jobs engine reads a job's abort flag beside it, before every chunk)."""

    sql: str
    params: list
    org_id: str
    owner: OwnerRef
    request_id: str = ""

    def resolve(self, row) -> Principal:
        principal = _account_owner(self.org_id, self.owner, row)
        return principal.with_request(ip=None, request_id=self.request_id or None)


def owner_query(*, org_id: str, owner: OwnerRef, request_id: str = "") -> OwnerQuery | None:
    """The statement that resolves ``owner`` (see ``OwnerQuery``); None for owners that are
    resolved otherwise (the system; kinds with a registered resolver, as space tokens)."""
    if owner.kind == PrincipalKind.SYSTEM or owner.kind in _owner_resolvers:
        return None
    return OwnerQuery(
        sql=_owner_sql(),
        params=[owner.credential_id, org_id, owner.id, org_id],
        org_id=org_id,
        owner=owner,
        request_id=request_id,
    )


def _owner_sql() -> str:
    key, user, member = ApiKey._meta.db_table, User._meta.db_table, OrgMembership._meta.db_table
    # Only table names from model metadata are interpolated; every value is a parameter.
    return (
        "SELECT k.id AS key_id, k.kind AS key_kind, k.role AS key_role,"  # noqa: S608
        " k.label AS key_label, k.revoked_at, k.expires_at, m.account_role,"
        " u.id AS user_id, u.email, u.is_active, u.is_superuser"
        " FROM (SELECT 1 AS one) o"
        f" LEFT JOIN {key} k ON k.id = %s AND k.organization_id = %s"
        f" LEFT JOIN {member} m ON m.user_id = %s AND m.organization_id = %s"
        f" LEFT JOIN {user} u ON u.id = m.user_id"
    )


def _account_owner(org_id: str, owner: OwnerRef, row) -> Principal:
    (
        key_id,
        key_kind,
        key_role,
        key_label,
        revoked_at,
        expires_at,
        member_role,
        user_id,
        email,
        user_active,
        user_superuser,
    ) = row
    if owner.credential_id:
        if key_id is None or revoked_at is not None:
            raise OwnerGone(
                "The API key that started this job has been revoked.",
                code="owner_credential_revoked",
            )
        expires_at = aware_timestamp(expires_at)
        if expires_at is not None and expires_at <= timezone.now():
            raise OwnerGone(
                "The API key that started this job has expired.",
                code="owner_credential_expired",
            )
        if key_kind == ApiKeyKind.SERVICE:
            return for_service_key(key_id=key_id, org_id=org_id, role=key_role, label=key_label)
    if user_id is None:
        raise OwnerGone(
            "The person who started this job is no longer a member of the organization.",
            code="owner_removed",
        )
    if not user_active:
        raise OwnerGone(
            "The person who started this job has been deactivated.", code="owner_deactivated"
        )
    user = User(id=user_id, email=email, is_active=True, is_superuser=bool(user_superuser))
    return for_user(user, org_id=org_id, role=member_role, key_id=key_id)
