from __future__ import annotations

from adminapp.client.resources._base import Resource, body
from adminapp.client.types.accounts import LoginParams, Me


class Auth(Resource):
    def login(self, *, email: str, password: str) -> Me:
        """Sign in with a password, opening a session (the dashboard's in-process client)."""
        return self._send(
            "POST", "/auth/login", Me, body(LoginParams, email=email, password=password)
        )

    def logout(self) -> None:
        self._send_empty("POST", "/auth/logout")
