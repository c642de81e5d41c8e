from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from adminapp.client._pagination import auto_paging
from adminapp.client.models import AccountRole, ApiKey, ApiKeyCreated, ApiKeyKind, ApiKeyPage
from adminapp.client.resources._base import Resource, body, seg


class ApiKeys(Resource):
    def list(
        self, *, include_revoked: bool = False, limit: int = 50, cursor: str | None = None
    ) -> ApiKeyPage:
        """Your personal keys; org admins also see the organization's service keys."""
        return self._get(
            "/api-keys",
            ApiKeyPage,
            {"include_revoked": include_revoked, "limit": limit, "cursor": cursor},
        )

    def iter(self, *, include_revoked: bool = False, limit: int = 50) -> Iterator[ApiKey]:
        return auto_paging(
            lambda cursor: self.list(include_revoked=include_revoked, limit=limit, cursor=cursor)
        )

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
            body(label=label, description=description, kind=kind, role=role, expires_at=expires_at),
        )

    def revoke(self, key_id: str) -> ApiKey:
        return self._send("POST", f"/api-keys/{seg(key_id)}/revoke", ApiKey)
