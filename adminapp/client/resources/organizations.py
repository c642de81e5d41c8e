from __future__ import annotations

from collections.abc import Iterator

from adminapp.client._pagination import auto_paging
from adminapp.client.models import (
    AccountRole,
    Organization,
    OrganizationPage,
    OrgMember,
    OrgMemberPage,
)
from adminapp.client.resources._base import Resource, body, seg


class Organizations(Resource):
    def list(self) -> OrganizationPage:
        """The caller's organizations (an API key sees the one it belongs to)."""
        return self._get("/organizations", OrganizationPage)

    def get(self, org_id: str) -> Organization:
        return self._get(f"/organizations/{seg(org_id)}", Organization)

    def list_members(
        self,
        org_id: str,
        *,
        email: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> OrgMemberPage:
        return self._get(
            f"/organizations/{seg(org_id)}/members",
            OrgMemberPage,
            {"email": email, "limit": limit, "cursor": cursor},
        )

    def iter_members(
        self, org_id: str, *, email: str | None = None, limit: int = 50
    ) -> Iterator[OrgMember]:
        return auto_paging(
            lambda cursor: self.list_members(org_id, email=email, limit=limit, cursor=cursor)
        )

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
            body(email=email, role=role, name=name, password=password),
        )

    def update_member(self, org_id: str, user_id: str, *, role: AccountRole | str) -> OrgMember:
        return self._send(
            "PATCH",
            f"/organizations/{seg(org_id)}/members/{seg(user_id)}",
            OrgMember,
            {"role": role},
        )

    def remove_member(self, org_id: str, user_id: str) -> None:
        self._send_empty("DELETE", f"/organizations/{seg(org_id)}/members/{seg(user_id)}")
