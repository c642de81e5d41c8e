"""``client.organizations``: your organizations and their members."""

from __future__ import annotations

from functools import cached_property

from adminapp.client._pagination import CursorPage
from adminapp.client.resources._base import Resource, body, seg
from adminapp.client.resources.invitations import Invitations
from adminapp.client.resources.jobs import Job
from adminapp.client.types.accounts import (
    AccountRole,
    MemberAddParams,
    MemberSort,
    MemberUpdateParams,
    Organization,
    OrganizationPage,
    OrganizationUpdateParams,
    OrgMember,
    OrgMemberPage,
    OwnershipTransferParams,
)


class Organizations(Resource):
    @cached_property
    def invitations(self) -> Invitations:
        """``client.organizations.invitations``: invite people by email."""
        return Invitations(self._client)

    def list(self) -> CursorPage[Organization]:
        """The caller's organizations (an API key sees the one it belongs to)."""
        return self._page("/organizations", OrganizationPage, {})

    def get(self, org_id: str) -> Organization:
        return self._get(f"/organizations/{seg(org_id)}", Organization)

    def update(self, org_id: str, *, name: str) -> Organization:
        """Rename the organization (owners; a name another organization has is a
        ``ConflictError`` with code ``organization_name_taken``)."""
        return self._send(
            "PATCH",
            f"/organizations/{seg(org_id)}",
            Organization,
            body(OrganizationUpdateParams, name=name),
        )

    def transfer_ownership(self, org_id: str, *, user_id: str) -> OrgMember:
        """Hand OWNER to another member; you become ADMIN, both in one step (owners)."""
        return self._send(
            "POST",
            f"/organizations/{seg(org_id)}/transfer-ownership",
            OrgMember,
            body(OwnershipTransferParams, user_id=user_id),
        )

    def list_members(
        self,
        org_id: str,
        *,
        email: str | None = None,
        search: str | None = None,
        sort: MemberSort | str = MemberSort.JOINED,
        order: str = "asc",
        limit: int = 50,
        cursor: str | None = None,
    ) -> CursorPage[OrgMember]:
        """Members, oldest first (iterate for all of them), or by ``sort`` (``name``,
        ``email``, ``role``, ``joined``, ``last_login``) in ``order`` (``asc``/``desc``);
        ``email`` is a substring of the email, ``search`` of the email or the name."""
        params = {
            "email": email,
            "search": search,
            "sort": str(sort),
            "order": order,
            "limit": limit,
            "cursor": cursor,
        }
        return self._page(f"/organizations/{seg(org_id)}/members", OrgMemberPage, params)

    def get_member(self, org_id: str, user_id: str) -> OrgMember:
        """One member with their role (``NotFoundError`` if not a member)."""
        return self._get(f"/organizations/{seg(org_id)}/members/{seg(user_id)}", OrgMember)

    def add_member(
        self,
        org_id: str,
        *,
        email: str,
        role: AccountRole | str,
        name: str = "",
        password: str | None = None,
    ) -> OrgMember:
        """Add a person by email (creating the account if new; ``password`` only then)."""
        return self._send(
            "POST",
            f"/organizations/{seg(org_id)}/members",
            OrgMember,
            body(MemberAddParams, email=email, role=role, name=name, password=password),
        )

    def update_member(self, org_id: str, user_id: str, *, role: AccountRole | str) -> OrgMember:
        return self._send(
            "PATCH",
            f"/organizations/{seg(org_id)}/members/{seg(user_id)}",
            OrgMember,
            body(MemberUpdateParams, role=role),
        )

    def deactivate_member(self, org_id: str, user_id: str) -> OrgMember:
        """Deactivate a member's account (kept with its history): their sign-in, sessions
        and API keys stop at once. Only for someone in this organization alone (an instance
        admin deactivates anyone: ``client.instance.users``); never the last owner
        (``ConflictError``, code ``last_owner``)."""
        return self._send(
            "POST", f"/organizations/{seg(org_id)}/members/{seg(user_id)}/deactivate", OrgMember
        )

    def reactivate_member(self, org_id: str, user_id: str) -> OrgMember:
        return self._send(
            "POST", f"/organizations/{seg(org_id)}/members/{seg(user_id)}/reactivate", OrgMember
        )

    def remove_member(self, org_id: str, user_id: str) -> None:
        self._send_empty("DELETE", f"/organizations/{seg(org_id)}/members/{seg(user_id)}")

    def export_data(self, org_id: str, *, idempotency_key: str | None = None) -> Job:
        """Start an export of everything the organization holds (owners only) as a job;
        ``job.wait()`` then ``job.download()`` gives a ZIP: ``manifest.json`` and one
        JSON-lines file per section (members, API keys, spaces, space members, roles, space
        tokens, datasets, bucket configs, repos, the audit log), each record in the API's
        shape, secrets masked."""
        response = self._client.request(
            "POST",
            f"/organizations/{seg(org_id)}/export",
            creates_job=True,
            idempotency_key=idempotency_key,
        )
        return Job.bind(response.json(), self._client)

    def set_two_factor_required(self, org_id: str, required: bool) -> Organization:
        """Require two-factor sign-in of every member for the dashboard (owners only; API
        keys keep working)."""
        from adminapp.client.types.accounts import TwoFactorPolicyParams

        return self._send(
            "PUT",
            f"/organizations/{seg(org_id)}/two-factor-policy",
            Organization,
            body(TwoFactorPolicyParams, required=required),
        )
