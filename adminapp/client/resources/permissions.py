from __future__ import annotations

from adminapp.client.models import PermissionCheck
from adminapp.client.resources._base import Resource


class Permissions(Resource):
    def check(self, *, principal: str, action: str, resource: str | None = None) -> bool:
        """Whether ``principal`` (a user id/email or key id) may do ``action`` (org admins)."""
        result = self._get(
            "/permissions/check",
            PermissionCheck,
            {"principal": principal, "action": action, "resource": resource},
        )
        return result.has_permission
