"""How a request becomes a ``Principal`` (``request.auth``); the principals themselves are
built by ``adminapp.accounts.principals``.

Tried in order: the in-process channel (the dashboard's embedded SDK client), a bearer API
key or space token, then the browser session (with CSRF). The in-process channel is a
Python attribute set on a request object the server built itself: nothing an HTTP caller
sends can reach it.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from adminapp.accounts import principals
from adminapp.accounts import services as account_services
from adminapp.accounts.services import mfa
from adminapp.core.errors import NotFound, PermissionDenied
from adminapp.core.http import is_inprocess
from adminapp.core.principal import Principal
from adminapp.spaces.services import SPACE_TOKEN_PREFIX, space_token_authenticate

# What a browser session may still call while its organization requires two-factor sign-in
# and the user has not set it up: who am I, their own account (/me/...), sign out and in.
_V1 = "/api/v1"
TWO_FACTOR_SETUP_PREFIXES = (f"{_V1}/me/", f"{_V1}/auth/")
TWO_FACTOR_SETUP_PATHS = frozenset({f"{_V1}/me", f"{_V1}/organizations"})


def _session_principal(request: HttpRequest) -> Principal | None:
    """The session's principal, or a 403 ``two_factor_setup_required`` when its
    organization requires two-factor sign-in the user has not set up (API keys are not
    affected: only sessions pass here)."""
    principal = principals.for_session(request)
    if principal is None:
        return None
    membership = principals.session_membership(request, principal)
    organization = membership.organization if membership is not None else None
    if organization is None or not organization.require_two_factor:
        return principal
    path = request.path_info
    if path in TWO_FACTOR_SETUP_PATHS or path.startswith(TWO_FACTOR_SETUP_PREFIXES):
        return principal
    if mfa.setup_required(organization, principal.user_id):
        raise PermissionDenied(
            f"{organization.name} requires two-factor sign-in: set it up on your Security "
            "page first.",
            code=mfa.SETUP_REQUIRED,
        )
    return principal


class InProcessAuth:
    """Accepts only requests built by ``adminapp.api.inprocess.InProcessTransport``."""

    def __call__(self, request: HttpRequest) -> Principal | None:
        if is_inprocess(request):
            return _session_principal(request)
        return None


class ApiKeyAuth(HttpBearer):
    """A bearer API key (``adm_…``) or space token (``spt_…``).

    A space token is authenticated everywhere (so a bad one is a 401 saying why), but only
    routers mounted with ``SPACE_AUTH`` accept it; on every other endpoint it gets a 404,
    since nothing outside its space exists for it. Inside those routers the permission
    resolver confines it to its own space (and the jobs it started)."""

    openapi_description = "An API key or space token: `Authorization: Bearer adm_…` / `spt_…`"

    def __init__(self, *, space_tokens: bool = False) -> None:
        super().__init__()
        self.space_tokens = space_tokens

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        if token.startswith(f"{SPACE_TOKEN_PREFIX}_"):
            space_token = space_token_authenticate(token=token)  # raises 401 with a reason
            if not self.space_tokens:
                raise NotFound("Not found: a space token only reaches its own space.")
            return principals.stamp(
                principals.for_space_token(
                    token_id=space_token.id,
                    org_id=space_token.space.organization_id,
                    space_id=space_token.space_id,
                    role=space_token.role,
                    label=space_token.label or space_token.display_prefix,
                ),
                request,
            )
        key = account_services.api_key_authenticate(token=token)  # raises 401 with a reason
        return principals.stamp(principals.for_api_key(key), request)


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
        return _session_principal(request)


AUTH = [InProcessAuth(), ApiKeyAuth(), SessionAuth()]
# For the routers a space token may use (spaces, jobs): the same, plus space tokens.
SPACE_AUTH = [InProcessAuth(), ApiKeyAuth(space_tokens=True), SessionAuth()]
