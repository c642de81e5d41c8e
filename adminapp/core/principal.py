"""Who is acting. Passed explicitly to every service (services never read the request).

This is only the value; every principal is *built* in one place,
``adminapp.accounts.principals`` (sessions, personal and service keys, space tokens, the
system, and the owners of jobs re-resolved while their work runs).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class PrincipalKind(StrEnum):
    USER = "user"  # a signed-in session, or a personal API key acting as its user
    SERVICE_KEY = "service_key"  # an org service key: its own principal with an org role
    SPACE_TOKEN = "space_token"  # noqa: S105 - a kind name; a credential scoped to one space
    SYSTEM = "system"  # the platform itself (seed data, maintenance)


@dataclass(frozen=True)
class Principal:
    kind: str  # a PrincipalKind
    org_id: str | None
    role: str | None  # the account role in org_id (None: no org permissions)
    user_id: str | None = None
    # The credential that authenticated the call: an API key (key_…) or a space token
    # (stk_…); None for a session and the system.
    key_id: str | None = None
    label: str = ""
    is_superuser: bool = False
    ip: str | None = None
    request_id: str | None = None
    # Space tokens (role None): the one space they reach, and their role in it.
    space_id: str | None = None
    space_role: str | None = None

    @property
    def actor_type(self) -> str:
        return str(self.kind)

    @property
    def actor_id(self) -> str | None:
        """The id the audit log and job ownership record: the user for people (whether by
        session or personal key), the key or token for machine principals."""
        if self.kind in (PrincipalKind.SERVICE_KEY, PrincipalKind.SPACE_TOKEN):
            return self.key_id
        return self.user_id

    def with_request(self, *, ip: str | None, request_id: str | None) -> Principal:
        return replace(self, ip=ip, request_id=request_id)


SYSTEM = Principal(kind=PrincipalKind.SYSTEM, org_id=None, role=None, label="system")
