"""``client.spaces`` (with ``.tokens``): spaces, their members and their tokens. Every
``space`` argument is a space id or its exact name."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from adminapp.client._pagination import CursorPage
from adminapp.client.resources._base import Resource, body, seg
from adminapp.client.resources.jobs import Job
from adminapp.client.types.spaces import (
    CustomSpaceRole,
    MemberSpace,
    MemberSpacePage,
    PredefinedSpaceRole,
    Space,
    SpaceCreateParams,
    SpaceMemberParams,
    SpaceMembership,
    SpaceMembershipPage,
    SpacePage,
    SpaceRef,
    SpaceRefList,
    SpaceRoleName,
    SpaceToken,
    SpaceTokenCreated,
    SpaceTokenCreateParams,
    SpaceTokenPage,
    SpaceTokensDeleted,
    SpaceUpdateParams,
)

# What ``add_user(role=...)`` accepts: a wire role, a predefined role's name, or the JSON.
RoleArg = PredefinedSpaceRole | CustomSpaceRole | SpaceRoleName | str | Mapping[str, Any]


def role_body(role: RoleArg) -> dict[str, Any]:
    """The wire form of a space role: ``"ADMIN"`` → ``{"type": "PREDEFINED", "name": "ADMIN"}``;
    a ``CustomSpaceRole`` is sent by id (its ``name`` is the server's to fill in)."""
    if isinstance(role, CustomSpaceRole):
        return {"type": "CUSTOM", "id": role.id}
    if isinstance(role, PredefinedSpaceRole):
        return {"type": "PREDEFINED", "name": role.name.value}
    if isinstance(role, str):  # a SpaceRoleName too (a StrEnum)
        return {"type": "PREDEFINED", "name": str(role)}
    if isinstance(role, Mapping):
        return dict(role)
    raise TypeError(
        "role must be a PredefinedSpaceRole, a CustomSpaceRole, a predefined role name "
        f"(ADMIN, MEMBER, READ_ONLY, ANNOTATOR) or a dict, not {type(role).__name__}."
    )


class SpaceTokens(Resource):
    """``client.spaces.tokens``: a space's access tokens."""

    def create(
        self,
        space: str,
        *,
        permanent: bool = False,
        label: str = "",
        role: SpaceRoleName | str = SpaceRoleName.MEMBER,
    ) -> SpaceTokenCreated:
        """Create a token: temporary (expires 24 h after creation) unless ``permanent``.
        ``secret`` is in this answer only: store it now."""
        return self._send(
            "POST",
            f"/spaces/{seg(space)}/tokens",
            SpaceTokenCreated,
            body(SpaceTokenCreateParams, label=label, permanent=permanent, role=role),
        )

    def list(
        self, space: str, *, limit: int = 50, cursor: str | None = None
    ) -> CursorPage[SpaceToken]:
        """Every token of the space, newest first (iterate for all of them)."""
        params = {"limit": limit, "cursor": cursor}
        return self._page(f"/spaces/{seg(space)}/tokens", SpaceTokenPage, params)

    def get(self, space: str, token_id: str) -> SpaceToken:
        return self._get(f"/spaces/{seg(space)}/tokens/{seg(token_id)}", SpaceToken)

    def deactivate(self, space: str, token_id: str) -> SpaceToken:
        """Stop a token working; it stays listed with ``is_active=False``."""
        return self._send(
            "POST", f"/spaces/{seg(space)}/tokens/{seg(token_id)}/deactivate", SpaceToken
        )

    def delete(self, space: str, token_id: str) -> None:
        self._send_empty("DELETE", f"/spaces/{seg(space)}/tokens/{seg(token_id)}")

    def delete_all(self, space: str, *, permanent: bool | None = None) -> int:
        """Delete the space's tokens — all of them (``permanent=None``), only the permanent
        ones (``True``) or only the temporary ones (``False``); returns how many."""
        response = self._client.request(
            "DELETE", f"/spaces/{seg(space)}/tokens", params={"permanent": permanent}
        )
        return SpaceTokensDeleted.model_validate(response.json()).deleted


class Spaces(Resource):
    """``client.spaces``."""

    @cached_property
    def tokens(self) -> SpaceTokens:
        return SpaceTokens(self._client)

    def list(
        self,
        *,
        organization_id: str | None = None,
        name: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> CursorPage[Space]:
        """Spaces you can see, newest first (iterate for all of them); ``name`` is a
        case-insensitive substring."""
        params = {"organization_id": organization_id, "name": name, "limit": limit}
        return self._page("/spaces", SpacePage, {**params, "cursor": cursor}, items="spaces")

    def of_member(
        self, user_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> CursorPage[MemberSpace]:
        """The spaces one member of your organization belongs to, with their role in each
        (org admins, or yourself)."""
        params = {"limit": limit, "cursor": cursor}
        return self._page(f"/spaces/memberships/{seg(user_id)}", MemberSpacePage, params)

    def all(self) -> builtins.list[SpaceRef]:
        """Every space you can see, id and name only, sorted by name (unpaginated: pickers)."""
        return self._get("/spaces/all", SpaceRefList).spaces

    def get(self, space: str) -> Space:
        """A space by id or exact name, with your ``permissions`` in it."""
        return self._get(f"/spaces/{seg(space)}", Space)

    def create(
        self, *, name: str, organization_id: str | None = None, description: str | None = None
    ) -> Space:
        """Create a space (org owners and admins). A name already used in the organization,
        in any case, is a ``ConflictError``."""
        return self._send(
            "POST",
            "/spaces",
            Space,
            body(
                SpaceCreateParams,
                name=name,
                organization_id=organization_id,
                description=description,
            ),
        )

    def update(
        self, space: str, *, name: str | None = None, description: str | None = None
    ) -> Space:
        """Rename a space and/or change its description (``ValueError`` if neither is given:
        nothing is sent)."""
        if name is None and description is None:
            raise ValueError("Give a new name or description (or both).")
        return self._send(
            "PATCH",
            f"/spaces/{seg(space)}",
            Space,
            body(SpaceUpdateParams, name=name, description=description),
        )

    def delete(self, space: str, *, idempotency_key: str | None = None) -> Job:
        """Delete a space. It is gone from lists and lookups at once; the returned
        ``space_delete`` job removes its contents (``job.wait()`` to know they are gone).
        Retries reuse one ``Idempotency-Key`` (yours, if given), so they start one job."""
        response = self._client.request(
            "DELETE", f"/spaces/{seg(space)}", creates_job=True, idempotency_key=idempotency_key
        )
        return Job.bind(response.json(), self._client)

    # --- members --------------------------------------------------------------------------
    def add_user(self, space: str, *, user_id: str, role: RoleArg) -> SpaceMembership:
        """Add an organization member to the space with ``role``, or change their role (an
        upsert). ``role``: ``"ADMIN"``, ``"MEMBER"``, ``"READ_ONLY"``, ``"ANNOTATOR"``, a
        ``PredefinedSpaceRole``, a ``CustomSpaceRole(id=...)`` or the wire dict."""
        return self._send(
            "POST",
            f"/spaces/{seg(space)}/members",
            SpaceMembership,
            body(SpaceMemberParams, user_id=user_id, role=role_body(role)),
        )

    def get_user(self, space: str, *, user_id: str) -> SpaceMembership:
        """One member of the space with their role (``NotFoundError`` if not a member)."""
        return self._get(f"/spaces/{seg(space)}/members/{seg(user_id)}", SpaceMembership)

    def remove_user(self, space: str, *, user_id: str) -> None:
        """Remove a member (``NotFoundError`` if they are not one)."""
        self._send_empty("DELETE", f"/spaces/{seg(space)}/members/{seg(user_id)}")

    def list_users(
        self, space: str, *, limit: int = 50, cursor: str | None = None
    ) -> CursorPage[SpaceMembership]:
        """The space's members with their roles, oldest first (iterate for all of them)."""
        params = {"limit": limit, "cursor": cursor}
        return self._page(f"/spaces/{seg(space)}/members", SpaceMembershipPage, params)
