"""``client.api_keys``: personal and service API keys."""

from __future__ import annotations

from datetime import datetime

from adminapp.client._pagination import CursorPage
from adminapp.client.resources._base import Resource, body, seg
from adminapp.client.types.accounts import (
    AccountRole,
    ApiKey,
    ApiKeyCreated,
    ApiKeyCreateParams,
    ApiKeyKind,
    ApiKeyPage,
)


class ApiKeys(Resource):
    def list(
        self,
        *,
        include_revoked: bool = False,
        user_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> CursorPage[ApiKey]:
        """Your personal keys; org admins also see the organization's service keys.
        ``user_id``: only that person's personal keys (org admins: anyone's)."""
        params = {
            "include_revoked": include_revoked,
            "user_id": user_id,
            "limit": limit,
            "cursor": cursor,
        }
        return self._page("/api-keys", ApiKeyPage, params)

    def get(self, key_id: str) -> ApiKey:
        return self._get(f"/api-keys/{seg(key_id)}", ApiKey)

    def create(
        self,
        *,
        label: str,
        description: str = "",
        kind: ApiKeyKind | str = ApiKeyKind.PERSONAL,
        role: AccountRole | str | None = None,
        expires_at: datetime | None = None,
    ) -> ApiKeyCreated:
        """Create a key. ``secret`` is in this answer only: store it now."""
        return self._send(
            "POST",
            "/api-keys",
            ApiKeyCreated,
            body(
                ApiKeyCreateParams,
                label=label,
                description=description,
                kind=kind,
                role=role,
                expires_at=expires_at,
            ),
        )

    def revoke(self, key_id: str) -> ApiKey:
        return self._send("POST", f"/api-keys/{seg(key_id)}/revoke", ApiKey)
