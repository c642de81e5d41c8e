from __future__ import annotations

from adminapp.client.resources._base import Resource
from adminapp.client.types.authz import Permission, PermissionCheck


class Permissions(Resource):
    def check(
        self, *, principal: str, action: Permission | str, resource: str | None = None
    ) -> bool:
        """Whether ``principal`` (a user id/email or key id) may do ``action`` (a
        ``Permission``), on ``resource`` if given (org admins ask this)."""
        result = self._get(
            "/permissions/check",
            PermissionCheck,
            {"principal": principal, "action": action, "resource": resource},
        )
        return result.has_permission
