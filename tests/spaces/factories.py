"""Spaces test data built through the real services, and ``World``: a space with one
principal of every kind the authorization rules tell apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from adminapp import authz
from adminapp.accounts.models import User
from adminapp.core.principal import Principal
from adminapp.spaces import services
from adminapp.spaces.models import Space, SpaceRole, SpaceToken
from adminapp.spaces.services import RoleChoice
from tests.factories import Tenant, add_member, make_key, make_tenant, principal_for

API = "/api/v1"


def predefined(name: str) -> RoleChoice:
    return RoleChoice(predefined=name)


def custom(role: SpaceRole) -> RoleChoice:
    return RoleChoice(custom_id=role.id)


def make_space(tenant: Tenant, name: str, **kwargs) -> Space:
    return services.space_create(actor=tenant.principal("ADMIN"), name=name, **kwargs)


def join(tenant: Tenant, space: Space, user: User, role: RoleChoice) -> None:
    services.space_member_set(
        actor=tenant.principal("OWNER"), space=space.id, user_id=user.id, role=role
    )


def make_token(tenant: Tenant, space: Space, **kwargs) -> tuple[SpaceToken, str]:
    return services.space_token_create(actor=tenant.principal("ADMIN"), space=space.id, **kwargs)


def expire(token: SpaceToken) -> None:
    SpaceToken.objects.filter(id=token.id).update(expires_at=timezone.now() - timedelta(seconds=1))


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@dataclass
class World:
    """``tenant``'s space "Research" and a principal of every kind; ``hidden`` is a space of
    the same org nobody is a member of; ``other`` is a second org."""

    tenant: Tenant
    other: Tenant
    space: Space
    hidden: Space
    users: dict[str, User]
    role_all: SpaceRole  # a custom role holding every permission
    role_none: SpaceRole  # a custom role holding none (members still see the space)
    spare_role: SpaceRole  # a custom role nobody holds
    bystander: User  # a READ_ONLY member of the space (a target for removal)
    outsider: User  # an org member not in the space (a target for adding)
    target_token: SpaceToken
    secrets: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        if who == "anonymous":
            return {}
        return bearer(self.secrets[who])

    def principal(self, who: str) -> Principal:
        return principal_for(self.users[who], self.tenant.org)


def build_world() -> World:
    tenant, other = make_tenant(), make_tenant()
    owner = tenant.principal("OWNER")
    space = make_space(tenant, "Research", description="Robot arm experiments")
    hidden = make_space(tenant, "Hidden")
    role_all = services.space_role_create(
        actor=owner, name="Everything", permissions=sorted(authz.CUSTOM_ROLE_ALLOWED)
    )
    role_none = services.space_role_create(actor=owner, name="Nothing", permissions=[])
    spare = services.space_role_create(actor=owner, name="Spare", permissions=["dataset.read"])
    users = {
        "space_admin": add_member(tenant.org),
        "member": add_member(tenant.org),
        "read_only": add_member(tenant.org),
        "annotator": tenant.annotator,
        "custom_with": add_member(tenant.org),
        "custom_without": add_member(tenant.org),
    }
    roles = {
        "space_admin": predefined("ADMIN"),
        "member": predefined("MEMBER"),
        "read_only": predefined("READ_ONLY"),
        "annotator": predefined("ANNOTATOR"),
        "custom_with": custom(role_all),
        "custom_without": custom(role_none),
    }
    for who, user in users.items():
        join(tenant, space, user, roles[who])
    bystander = add_member(tenant.org)
    join(tenant, space, bystander, predefined("READ_ONLY"))
    outsider = add_member(tenant.org)
    target_token, _ = make_token(tenant, space, label="target")
    _, token_secret = make_token(tenant, space, label="bot", permanent=True)
    expired, expired_secret = make_token(tenant, space, label="old")
    expire(expired)
    secrets = {
        "other_org_admin": other.keys["ADMIN"],
        "org_owner": tenant.keys["OWNER"],
        "org_admin": tenant.keys["ADMIN"],
        "space_token": token_secret,
        "expired_token": expired_secret,
    }
    for who, user in users.items():
        secrets[who] = (
            tenant.keys["ANNOTATOR"] if who == "annotator" else make_key(user, tenant.org)
        )
    return World(
        tenant=tenant,
        other=other,
        space=space,
        hidden=hidden,
        users=users,
        role_all=role_all,
        role_none=role_none,
        spare_role=spare,
        bystander=bystander,
        outsider=outsider,
        target_token=target_token,
        secrets=secrets,
    )
