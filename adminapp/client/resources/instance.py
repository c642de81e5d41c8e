"""``client.instance``: the instance as a whole, for instance admins: its health, every
organization and every account."""

from __future__ import annotations

from functools import cached_property

from adminapp.client._pagination import CursorPage
from adminapp.client.resources._base import Resource, body, seg
from adminapp.client.types.accounts import (
    InstanceOrganization,
    InstanceOrganizationCreated,
    InstanceOrganizationCreateParams,
    InstanceOrganizationPage,
    InstanceUser,
    InstanceUserDetail,
    InstanceUserPage,
)
from adminapp.client.types.jobs import InstanceHealth


class InstanceOrganizations(Resource):
    """``client.instance.organizations``."""

    def list(
        self, *, search: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> CursorPage[InstanceOrganization]:
        """Every organization, newest first, with its member count; ``search`` is a
        substring of the name or the slug."""
        params = {"search": search, "limit": limit, "cursor": cursor}
        return self._page("/instance/organizations", InstanceOrganizationPage, params)

    def create(self, *, name: str, owner_email: str) -> InstanceOrganizationCreated:
        """Create an organization with its first owner: an existing account becomes OWNER at
        once (``owner``), an email without one is invited as OWNER (``invitation``)."""
        return self._send(
            "POST",
            "/instance/organizations",
            InstanceOrganizationCreated,
            body(InstanceOrganizationCreateParams, name=name, owner_email=owner_email),
        )


class InstanceUsers(Resource):
    """``client.instance.users``."""

    def list(
        self, *, search: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> CursorPage[InstanceUser]:
        """Every account, newest first; ``search`` is a substring of the email or name."""
        params = {"search": search, "limit": limit, "cursor": cursor}
        return self._page("/instance/users", InstanceUserPage, params)

    def get(self, user_id: str) -> InstanceUserDetail:
        """One account with its organizations and its role in each."""
        return self._get(f"/instance/users/{seg(user_id)}", InstanceUserDetail)

    def deactivate(self, user_id: str) -> InstanceUserDetail:
        """Stop the account's sign-in, sessions and API keys at once (its history stays).
        Never your own, nor the last owner of an organization (``ConflictError``)."""
        return self._send("POST", f"/instance/users/{seg(user_id)}/deactivate", InstanceUserDetail)

    def reactivate(self, user_id: str) -> InstanceUserDetail:
        return self._send("POST", f"/instance/users/{seg(user_id)}/reactivate", InstanceUserDetail)


class Instance(Resource):
    @cached_property
    def organizations(self) -> InstanceOrganizations:
        return InstanceOrganizations(self._client)

    @cached_property
    def users(self) -> InstanceUsers:
        return InstanceUsers(self._client)

    def health(self) -> InstanceHealth:
        """Workers answering the ping, work waiting per queue (broker messages and QUEUED
        jobs), the oldest waiting job's age, beat's reaper's last run and the jobs that
        failed in the last 24 hours. Instance admins only (403 otherwise)."""
        return self._get("/instance/health", InstanceHealth)
