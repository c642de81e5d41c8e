"""``client.organizations.invitations``: invite people by email, list the open invitations,
resend or revoke them; and, for the holder of a link, see and accept it."""

from __future__ import annotations

from adminapp.client._pagination import CursorPage
from adminapp.client.resources._base import Resource, body, seg
from adminapp.client.types.accounts import (
    AccountRole,
    Invitation,
    InvitationAccepted,
    InvitationAcceptParams,
    InvitationCreateParams,
    InvitationPage,
    InvitationPreview,
    InvitationTokenParams,
)


class Invitations(Resource):
    def create(
        self, org_id: str, *, email: str, role: AccountRole | str = AccountRole.MEMBER
    ) -> Invitation:
        """Invite ``email`` as ``role``: they get a link by mail, valid once for 7 days
        (``ConflictError`` if they are a member or invited already)."""
        return self._send(
            "POST",
            f"/organizations/{seg(org_id)}/invitations",
            Invitation,
            body(InvitationCreateParams, email=email, role=role),
        )

    def list(
        self, org_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> CursorPage[Invitation]:
        """Open invitations (pending or expired), newest first; iterate for all of them."""
        params = {"limit": limit, "cursor": cursor}
        return self._page(f"/organizations/{seg(org_id)}/invitations", InvitationPage, params)

    def get(self, org_id: str, invitation_id: str) -> Invitation:
        return self._get(
            f"/organizations/{seg(org_id)}/invitations/{seg(invitation_id)}", Invitation
        )

    def resend(self, org_id: str, invitation_id: str) -> Invitation:
        """Mail a new link, valid for another 7 days; the previous link stops working."""
        return self._send(
            "POST",
            f"/organizations/{seg(org_id)}/invitations/{seg(invitation_id)}/resend",
            Invitation,
        )

    def revoke(self, org_id: str, invitation_id: str) -> Invitation:
        """The link stops working (revoking twice is harmless)."""
        return self._send(
            "POST",
            f"/organizations/{seg(org_id)}/invitations/{seg(invitation_id)}/revoke",
            Invitation,
        )

    # --- the holder of a link (no credentials needed) ---------------------------------------
    def inspect(self, token: str) -> InvitationPreview:
        """What the link invites to (``NotFoundError`` / ``ConflictError`` with the code
        ``invitation_invalid``, ``_expired``, ``_used`` or ``_revoked`` otherwise)."""
        return self._send(
            "POST",
            "/invitations/inspect",
            InvitationPreview,
            body(InvitationTokenParams, token=token),
        )

    def accept(
        self, token: str, *, name: str = "", password: str | None = None
    ) -> InvitationAccepted:
        """Join: signed in as the invited email, with its account's password, or as a new
        account (``name`` and a new ``password``). A browser session is signed in."""
        return self._send(
            "POST",
            "/invitations/accept",
            InvitationAccepted,
            body(InvitationAcceptParams, token=token, name=name, password=password),
        )
