"""``client.roles``: the organization's custom space roles."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from adminapp.client._pagination import CursorPage
from adminapp.client.resources._base import Resource, body, seg
from adminapp.client.types.spaces import (
    SpacePermission,
    SpacePermissionList,
    SpaceRole,
    SpaceRoleCreateParams,
    SpaceRolePage,
    SpaceRoleUpdateParams,
)


class Roles(Resource):
    """The organization's custom space roles (managed by org admins). Assign one with
    ``client.spaces.add_user(space, user_id=..., role=CustomSpaceRole(id=...))``."""

    def list(self, *, limit: int = 50, cursor: str | None = None) -> CursorPage[SpaceRole]:
        """Custom roles, oldest first (iterate for all of them)."""
        return self._page("/roles", SpaceRolePage, {"limit": limit, "cursor": cursor})

    def get(self, role_id: str) -> SpaceRole:
        return self._get(f"/roles/{seg(role_id)}", SpaceRole)

    def create(self, *, name: str, permissions: Iterable[str], description: str = "") -> SpaceRole:
        """Create a role from ``permissions()`` names; a name already used in the
        organization, in any case, is a ``ConflictError``."""
        return self._send(
            "POST",
            "/roles",
            SpaceRole,
            body(
                SpaceRoleCreateParams,
                name=name,
                description=description,
                permissions=list(permissions),
            ),
        )

    def update(
        self,
        role_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        permissions: Iterable[str] | None = None,
    ) -> SpaceRole:
        """Change a role; new ``permissions`` apply at once to every member holding it."""
        return self._send(
            "PATCH",
            f"/roles/{seg(role_id)}",
            SpaceRole,
            body(
                SpaceRoleUpdateParams,
                name=name,
                description=description,
                permissions=None if permissions is None else list(permissions),
            ),
        )

    def delete(self, role_id: str) -> None:
        """Delete a role nobody holds (``ConflictError``, code ``role_in_use``, otherwise;
        its ``details["memberships"]`` says how many hold it)."""
        self._send_empty("DELETE", f"/roles/{seg(role_id)}")

    def permissions(self) -> builtins.list[SpacePermission]:
        """The vocabulary a custom role is made from (name and description of each)."""
        return self._get("/roles/permissions", SpacePermissionList).permissions
