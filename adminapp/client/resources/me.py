from __future__ import annotations

from adminapp.client.resources._base import Resource, body, seg
from adminapp.client.types.accounts import (
    BrowserSession,
    BrowserSessionList,
    Me,
    ProfileUpdateParams,
    SessionsEnded,
    SwitchOrganizationParams,
    TwoFactorCodeParams,
    TwoFactorDisableParams,
    TwoFactorSetup,
    TwoFactorStatus,
    User,
)


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

    # --- profile, two-factor sign-in, sessions (a browser session's own account) ----------
    def update_profile(self, *, name: str) -> User:
        """Change your name (the email is your sign-in and stays)."""
        return self._send("PATCH", "/me/profile", User, body(ProfileUpdateParams, name=name))

    def two_factor(self) -> TwoFactorStatus:
        """Whether two-factor sign-in is on, recovery codes left, organizations requiring it."""
        return self._get("/me/two-factor", TwoFactorStatus)

    def two_factor_setup(self) -> TwoFactorSetup:
        """A new TOTP secret (and its QR code) waiting for a first code."""
        return self._send("POST", "/me/two-factor/setup", TwoFactorSetup)

    def two_factor_pending(self) -> TwoFactorSetup:
        """The setup started earlier and waiting for its first code (``NotFoundError``
        ``two_factor_not_started`` when none is)."""
        return self._get("/me/two-factor/setup", TwoFactorSetup)

    def two_factor_confirm(self, code: str) -> list[str]:
        """Turn two-factor on with a code from the app; the ten recovery codes (shown once)."""
        response = self._client.request(
            "POST", "/me/two-factor/confirm", json=body(TwoFactorCodeParams, code=code)
        )
        return list(response.json()["codes"])

    def two_factor_disable(self, *, code: str = "", password: str = "") -> None:
        """Turn two-factor off with a current code, a recovery code or your password."""
        self._send_empty(
            "POST",
            "/me/two-factor/disable",
            body(TwoFactorDisableParams, code=code, password=password),
        )

    def regenerate_recovery_codes(self, code: str) -> list[str]:
        """Ten new recovery codes (a current TOTP code required); the old ones stop working."""
        response = self._client.request(
            "POST", "/me/two-factor/recovery-codes", json=body(TwoFactorCodeParams, code=code)
        )
        return list(response.json()["codes"])

    def sessions(self) -> list[BrowserSession]:
        """Your signed-in browser sessions, the most recently seen first."""
        return self._get("/me/sessions", BrowserSessionList).items

    def end_session(self, session_id: str) -> None:
        """Sign one of your other sessions out."""
        self._send_empty("DELETE", f"/me/sessions/{seg(session_id)}")

    def end_other_sessions(self) -> int:
        """Sign out everywhere else; how many sessions ended."""
        return self._send("POST", "/me/sessions/end-others", SessionsEnded).ended
