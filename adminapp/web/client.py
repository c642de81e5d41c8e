"""How dashboard views reach the API: the embedded SDK client.

Views never touch the ORM. They call ``sdk(request).<resource>.<method>(...)`` — the same
``AdminClient`` external users run, over the in-process transport acting as the signed-in
user in the session's organization — and render the pydantic models it returns.
"""

from __future__ import annotations

from django.http import HttpRequest

from adminapp.api.inprocess import client_for_request
from adminapp.client import AdminClient, Permission
from adminapp.client.types import Me


def sdk(request: HttpRequest) -> AdminClient:
    """The request's embedded SDK client (one per request)."""
    return client_for_request(request)


def me(request: HttpRequest) -> Me:
    """Who the caller is in the current organization (fetched once per request)."""
    value = getattr(request, "_web_me", None)
    if value is None:
        value = sdk(request).me.get()
        request._web_me = value
    return value


def can(request: HttpRequest, permission: Permission) -> bool:
    """Whether the caller holds an organization permission (``Me.permissions``). Hiding a
    control is a courtesy: the API refuses the action anyway."""
    return permission in me(request).permissions
