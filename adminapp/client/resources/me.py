from __future__ import annotations

from adminapp.client.resources._base import Resource, body
from adminapp.client.types.accounts import Me, SwitchOrganizationParams


class MeResource(Resource):
    def get(self) -> Me:
        """Who the client acts as: user or service key, organization, role, permissions."""
        return self._get("/me", Me)

    def switch_organization(self, organization_id: str) -> Me:
        """Switch a signed-in session to another of the user's organizations (an API key is
        bound to its organization: 400)."""
        return self._send(
            "POST",
            "/me/organization",
            Me,
            body(SwitchOrganizationParams, organization_id=organization_id),
        )
