"""Who is acting: built by the API's auth from a session, an API key or the in-process
channel, and passed explicitly to every service (services never read the request)."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" (session or personal key), "service_key", "space_token", "system"
    org_id: str | None
    role: str | None  # the account role in org_id
    user_id: str | None = None
    key_id: str | None = None  # the API key that authenticated the call, if any
    label: str = ""
    is_superuser: bool = False
    ip: str | None = None
    request_id: str | None = None
    # Space tokens (kind "space_token", role None): the one space they reach, and their role in it.
    space_id: str | None = None
    space_role: str | None = None

    @property
    def actor_type(self) -> str:
        return "service_key" if self.kind == "service_key" else self.kind

    @property
    def actor_id(self) -> str | None:
        return self.key_id if self.kind in ("service_key", "space_token") else self.user_id

    def with_request(self, *, ip: str | None, request_id: str | None) -> Principal:
        return replace(self, ip=ip, request_id=request_id)


SYSTEM = Principal(kind="system", org_id=None, role=None, label="system")
