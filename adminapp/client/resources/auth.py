from __future__ import annotations

from adminapp.client.resources._base import Resource, body
from adminapp.client.types.accounts import (
    LoginParams,
    LoginTwoFactorParams,
    Me,
    PasswordChangeParams,
    PasswordResetConfirmParams,
    PasswordResetInspectParams,
    PasswordResetLink,
    PasswordResetParams,
    PasswordResetRequested,
)


class Auth(Resource):
    def login(self, *, email: str, password: str) -> Me:
        """Sign in with a password, opening a session (the dashboard's in-process client)."""
        return self._send(
            "POST", "/auth/login", Me, body(LoginParams, email=email, password=password)
        )

    def login_two_factor(self, *, challenge: str, code: str) -> Me:
        """Sign in's second step: ``login`` raised ``AuthenticationError`` with code
        ``mfa_required`` and ``details["challenge"]``; send it with a TOTP or recovery code."""
        return self._send(
            "POST",
            "/auth/login/two-factor",
            Me,
            body(LoginTwoFactorParams, challenge=challenge, code=code),
        )

    def logout(self) -> None:
        self._send_empty("POST", "/auth/logout")

    def change_password(self, *, current_password: str, new_password: str) -> None:
        """Change your own password (a browser session; this session stays signed in, your
        other sessions are signed out)."""
        self._send_empty(
            "POST",
            "/me/password",
            body(
                PasswordChangeParams,
                current_password=current_password,
                new_password=new_password,
            ),
        )

    def request_password_reset(self, *, email: str) -> PasswordResetRequested:
        """Mail a reset link to ``email`` if it has an account; the answer is the same
        either way."""
        return self._send(
            "POST",
            "/auth/password-reset",
            PasswordResetRequested,
            body(PasswordResetParams, email=email),
        )

    def inspect_password_reset(self, token: str) -> PasswordResetLink:
        """The account a reset link is for (``NotFoundError`` ``reset_link_invalid``)."""
        return self._send(
            "POST",
            "/auth/password-reset/inspect",
            PasswordResetLink,
            body(PasswordResetInspectParams, token=token),
        )

    def reset_password(self, token: str, *, new_password: str) -> None:
        """Set a new password with a mailed link's token (once)."""
        self._send_empty(
            "POST",
            "/auth/password-reset/confirm",
            body(PasswordResetConfirmParams, token=token, new_password=new_password),
        )
