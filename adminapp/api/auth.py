"""How a request becomes a ``Principal`` (``request.auth``).

Tried in order: the in-process channel (the dashboard's embedded SDK client), a bearer API
key, then the browser session (with CSRF). The in-process channel is a Python attribute set
on a request object the server built itself: nothing an HTTP caller sends can reach it.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from adminapp.accounts import selectors as account_selectors
from adminapp.accounts import services as account_services
from adminapp.accounts.models import ApiKeyKind
from adminapp.core.errors import NotFound
from adminapp.core.principal import Principal

INPROCESS_ATTR = "_adminapp_inprocess"
SPACE_TOKEN_PREFIX = "spt_"  # noqa: S105 - a prefix, not a secret
SESSION_ORG_KEY = "adminapp_org_id"
MEMBERSHIP_MEMO_ATTR = "_adminapp_memberships"


def _stamp(request: HttpRequest, principal: Principal) -> Principal:
    return principal.with_request(
        ip=getattr(request, "client_ip", None), request_id=getattr(request, "request_id", None)
    )


def principal_for_session(request: HttpRequest) -> Principal | None:
    """The signed-in user acting in the org chosen in their session (or their first org)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    org_id = request.session.get(SESSION_ORG_KEY)
    # The dashboard makes several in-process API calls per page, all with this same user
    # object: look the membership up once per request (InProcessTransport forgets it after
    # any call that may have changed it).
    memo = user.__dict__.setdefault(MEMBERSHIP_MEMO_ATTR, {})
    if org_id not in memo:
        membership = None
        if org_id:
            membership = account_selectors.membership_get(user_id=user.id, org_id=org_id)
        if membership is None:
            membership = account_selectors.default_org_for_user(user_id=user.id)
        memo[org_id] = membership
    membership = memo[org_id]
    if membership is None:
        return None
    return _stamp(
        request,
        Principal(
            kind="user",
            org_id=membership.organization_id,
            role=membership.account_role,
            user_id=user.id,
            label=user.email,
            is_superuser=user.is_superuser,
        ),
    )


class InProcessAuth:
    """Accepts only requests built by ``adminapp.api.inprocess.InProcessTransport``."""

    def __call__(self, request: HttpRequest) -> Principal | None:
        if getattr(request, INPROCESS_ATTR, False) is True:
            return principal_for_session(request)
        return None


class ApiKeyAuth(HttpBearer):
    """A bearer API key (``adm_…``) or space token (``spt_…``).

    A space token is authenticated everywhere (so a bad one is a 401 saying why), but only
    routers mounted with ``SPACE_AUTH`` accept it; on every other endpoint it gets a 404,
    since nothing outside its space exists for it. Inside the spaces router the permission
    resolver confines it to its own space."""

    openapi_description = "An API key or space token: `Authorization: Bearer adm_…` / `spt_…`"

    def __init__(self, *, space_tokens: bool = False) -> None:
        super().__init__()
        self.space_tokens = space_tokens

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        if token.startswith(SPACE_TOKEN_PREFIX):
            return self._space_token(request, token)
        key = account_services.api_key_authenticate(token=token)  # raises 401 with a reason
        if key.kind == ApiKeyKind.SERVICE:
            principal = Principal(
                kind="service_key",
                org_id=key.organization_id,
                role=key.role,
                key_id=key.id,
                label=f"key:{key.label}",
            )
        else:
            if key.member_role is None:  # the key's user has left its org
                return None
            principal = Principal(
                kind="user",
                org_id=key.organization_id,
                role=key.member_role,
                user_id=key.user_id,
                key_id=key.id,
                label=key.user.email,
                is_superuser=key.user.is_superuser,
            )
        return _stamp(request, principal)

    def _space_token(self, request: HttpRequest, token: str) -> Principal:
        from adminapp.spaces.services import space_token_authenticate

        space_token = space_token_authenticate(token=token)  # raises 401 with a reason
        if not self.space_tokens:
            raise NotFound("Not found: a space token only reaches its own space.")
        return _stamp(
            request,
            Principal(
                kind="space_token",
                org_id=space_token.space.organization_id,
                role=None,
                key_id=space_token.id,
                label=f"token:{space_token.label or space_token.display_prefix}",
                space_id=space_token.space_id,
                space_role=space_token.role,
            ),
        )


class SessionAuth(APIKeyCookie):
    """The browser's session cookie; unsafe methods need the CSRF token (X-CSRFToken)."""

    param_name = "sessionid"

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        # CSRF protects a signed-in session. Without one there is nothing to protect, and the
        # caller must hear "authentication required" (401), not "CSRF check failed" (403).
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        return principal_for_session(request)


AUTH = [InProcessAuth(), ApiKeyAuth(), SessionAuth()]
# For the routers a space token may use (spaces): the same, plus space tokens.
SPACE_AUTH = [InProcessAuth(), ApiKeyAuth(space_tokens=True), SessionAuth()]
