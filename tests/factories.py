"""Test data built through the real services (so tests exercise the same rules)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from adminapp.accounts import principals, services
from adminapp.accounts.models import Organization, OrgMembership, User
from adminapp.core.principal import SYSTEM, Principal

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def make_user(*, email: str | None = None, name: str = "", superuser: bool = False) -> User:
    n = next(_seq)
    return services.seed_user(
        email=email or f"user{n}@example.com",
        password=PASSWORD,
        name=name or f"User {n}",
        superuser=superuser,
    )


def make_org(*, name: str | None = None, owner: User | None = None) -> Organization:
    owner = owner or make_user()
    return services.organization_create(actor=SYSTEM, name=name or f"Org {next(_seq)}", owner=owner)


def principal_for(user: User, org: Organization) -> Principal:
    return principals.for_membership(
        OrgMembership.objects.select_related("user").get(user=user, organization=org)
    )


def add_member(org: Organization, *, role: str = "MEMBER", user: User | None = None) -> User:
    user = user or make_user()
    OrgMembership.objects.create(organization=org, user=user, account_role=role)
    return user


def make_key(user: User, org: Organization, **kwargs) -> str:
    """A personal API key for ``user`` in ``org``; returns the secret."""
    _, secret = services.api_key_create(actor=principal_for(user, org), label="test key", **kwargs)
    return secret


@dataclass
class Tenant:
    """An org with one user per account role, each with a personal API key."""

    org: Organization
    owner: User
    admin: User
    member: User
    annotator: User
    keys: dict[str, str]

    def principal(self, role: str = "OWNER") -> Principal:
        return principal_for(getattr(self, role.lower()), self.org)

    def auth(self, role: str = "OWNER") -> dict[str, str]:
        """Django test-client kwargs for a bearer key of the given role."""
        return {"HTTP_AUTHORIZATION": f"Bearer {self.keys[role]}"}


def make_tenant(name: str | None = None) -> Tenant:
    owner = make_user()
    org = make_org(name=name, owner=owner)
    users = {
        "OWNER": owner,
        "ADMIN": add_member(org, role="ADMIN"),
        "MEMBER": add_member(org, role="MEMBER"),
        "ANNOTATOR": add_member(org, role="ANNOTATOR"),
    }
    keys = {role: make_key(user, org) for role, user in users.items()}
    return Tenant(
        org=org,
        owner=owner,
        admin=users["ADMIN"],
        member=users["MEMBER"],
        annotator=users["ANNOTATOR"],
        keys=keys,
    )
