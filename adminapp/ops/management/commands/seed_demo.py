"""``manage.py seed_demo``: demo organizations to look around in, built through the real
services so that the audit log shows real actions.

Safe to run again: it adds only what is missing, and re-sets the demo admin's password only
when it no longer matches (so a restart does not sign the browser out).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from adminapp.accounts import principals, services
from adminapp.accounts.models import AccountRole, ApiKey, ApiKeyKind, Organization, User
from adminapp.accounts.selectors import membership_get
from adminapp.audit.services import audit_record_custom
from adminapp.core.principal import SYSTEM, Principal
from adminapp.core.validation import name_key

DEMO_ORG = "Acme Robotics"
SECOND_ORG = "Globex Research"
ADMIN_EMAIL = "admin@example.com"
ADMIN_NAME = "Demo Admin"
PASSWORD_ENV = "DEMO_ADMIN_PASSWORD"  # noqa: S105 - a variable name, not a password
PASSWORD_FILE = "demo_admin_password"  # noqa: S105 - a file name
# Acme's other members, one per role below OWNER, so every role can be tried.
ACME_MEMBERS = (
    ("grace@example.com", "Grace Hopper", AccountRole.ADMIN),
    ("alan@example.com", "Alan Turing", AccountRole.MEMBER),
    ("ada@example.com", "Ada Lovelace", AccountRole.ANNOTATOR),
)
GLOBEX_OWNER = ("hubert@example.com", "Hubert Farnsworth")


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    password_source: str
    organization: str
    other_users: tuple[tuple[str, str], ...]  # (email, role) in the demo org


def demo_password(*, var_dir: Path | None = None) -> tuple[str, str]:
    """The demo admin's password and where it came from: ``DEMO_ADMIN_PASSWORD`` if set,
    else a password generated once into ``<var>/demo_admin_password`` (mode 0600) and reused."""
    from_env = os.environ.get(PASSWORD_ENV, "").strip()
    if from_env:
        return from_env, f"the {PASSWORD_ENV} environment variable"
    path = Path(var_dir or settings.VAR_DIR) / PASSWORD_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(12) + "\n")
    password = path.read_text().strip()
    if not password:
        raise ValueError(f"{path} is empty: delete it to have a new password generated.")
    return password, str(path)


def _principal(user: User, org: Organization) -> Principal:
    membership = membership_get(user_id=user.id, org_id=org.id)
    if membership is None:
        raise RuntimeError(f"{user.email} is not a member of {org.name}")
    return principals.for_membership(membership)


def _ensure_user(*, email: str, name: str, password: str, superuser: bool = False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None or (superuser and (not user.is_superuser or not user.check_password(password))):
        # Only the demo admin's password is kept in step; other demo users keep theirs.
        user = services.seed_user(email=email, password=password, name=name, superuser=superuser)
    return user


def _ensure_org(*, name: str, owner: User) -> tuple[Organization, bool]:
    org = Organization.objects.filter(name_key=name_key(name)).first()
    if org is not None:
        return org, False
    return services.organization_create(actor=SYSTEM, name=name, owner=owner), True


def _ensure_member(*, actor: Principal, org: Organization, user: User, role: str) -> None:
    if membership_get(user_id=user.id, org_id=org.id) is None:
        services.org_member_add(
            actor=actor, org_id=org.id, email=user.email, role=role, name=user.name
        )


def _ensure_key(*, actor: Principal, label: str, revoke: bool = False, **kwargs) -> None:
    if ApiKey.objects.filter(organization_id=actor.org_id, label=label).exists():
        return
    key, _secret = services.api_key_create(actor=actor, label=label, **kwargs)
    if revoke:
        services.api_key_revoke(actor=actor, key_id=key.id)


@transaction.atomic
def seed_demo(*, password: str, password_source: str = "") -> DemoLogin:
    """Make sure the demo data exists; return the admin's login."""
    admin = _ensure_user(email=ADMIN_EMAIL, name=ADMIN_NAME, password=password, superuser=True)
    acme, acme_created = _ensure_org(name=DEMO_ORG, owner=admin)
    # The printed login must work: the admin is (again) an OWNER of the demo org.
    in_acme = replace(SYSTEM, org_id=acme.id)
    membership = membership_get(user_id=admin.id, org_id=acme.id)
    if membership is None:
        _ensure_member(actor=in_acme, org=acme, user=admin, role=AccountRole.OWNER)
    elif membership.account_role != AccountRole.OWNER:
        services.org_member_update_role(
            actor=in_acme, org_id=acme.id, user_id=admin.id, role=AccountRole.OWNER
        )
    owner = _principal(admin, acme)

    for email, name, role in ACME_MEMBERS:
        user = _ensure_user(email=email, name=name, password=password)
        _ensure_member(actor=owner, org=acme, user=user, role=role)

    # A second org where the admin is only a MEMBER, so the org switcher has a choice.
    hubert = _ensure_user(email=GLOBEX_OWNER[0], name=GLOBEX_OWNER[1], password=password)
    globex, _ = _ensure_org(name=SECOND_ORG, owner=hubert)
    if membership_get(user_id=hubert.id, org_id=globex.id) is not None:
        _ensure_member(
            actor=_principal(hubert, globex), org=globex, user=admin, role=AccountRole.MEMBER
        )

    # Keys made the way a person would, so the keys page and the audit log have content.
    _ensure_key(
        actor=owner,
        label="CI pipeline",
        description="Publishes build results from CI.",
        kind=ApiKeyKind.SERVICE,
        role=AccountRole.MEMBER,
    )
    _ensure_key(actor=owner, label="Admin laptop", description="Scripts on my laptop.")
    _ensure_key(
        actor=owner,
        label="Old deploy key",
        description="Replaced by the CI pipeline key.",
        kind=ApiKeyKind.SERVICE,
        role=AccountRole.ADMIN,
        revoke=True,
    )
    # Spaces with members in different space roles, a custom role and tokens.
    from adminapp.catalog.demo import seed_assign_job, seed_datasets
    from adminapp.spaces.demo import seed_spaces
    from adminapp.storage.demo import seed_storage

    datasets = seed_datasets(actor=owner, spaces=seed_spaces(actor=owner))
    seed_assign_job(actor=owner, datasets=datasets)
    seed_storage(actor=owner)
    if acme_created:
        audit_record_custom(
            actor=owner,
            event_type="deploy.finished",
            params={"service": "fleet-controller", "version": "1.4.2", "robots": 12},
        )

    return DemoLogin(
        email=admin.email,
        password=password,
        password_source=password_source,
        organization=acme.name,
        other_users=tuple((email, str(role)) for email, _, role in ACME_MEMBERS),
    )


def demo_api_key_create(*, label: str) -> str:
    """A new personal API key for the demo admin in the demo org; returns its secret."""
    admin = User.objects.get(email=ADMIN_EMAIL)
    acme = Organization.objects.get(name_key=name_key(DEMO_ORG))
    _key, secret = services.api_key_create(actor=_principal(admin, acme), label=label)
    return secret


def login_lines(login: DemoLogin) -> list[str]:
    """How to sign in, as printed by ``seed_demo`` and ``up``."""
    lines = [
        f"  Email:     {login.email}",
        f"  Password:  {login.password}",
    ]
    if login.password_source:
        lines.append(f"             (from {login.password_source})")
    lines.append(
        f"  Org:       {login.organization} (OWNER; also a MEMBER of {SECOND_ORG}); instance admin"
    )
    others = ", ".join(f"{email} ({role})" for email, role in login.other_users)
    lines.append(f"  Also:      {others}, with the same password")
    return lines


class Command(BaseCommand):
    help = (
        f"Create (or complete) the demo data: {DEMO_ORG!r} with {ADMIN_EMAIL} as OWNER and "
        f"members of every role, {SECOND_ORG!r}, API keys and audit events. Idempotent. "
        f"The admin's password comes from {PASSWORD_ENV}, else var/{PASSWORD_FILE}."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--api-key",
            metavar="LABEL",
            help="Also create a personal API key for the demo admin in the demo org and print "
            "its secret (shown once) on a line 'ADMINAPP_API_KEY=adm_…'.",
        )

    def handle(self, *args, api_key: str | None = None, **options) -> None:
        password, source = demo_password()
        login = seed_demo(password=password, password_source=source)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in with:"))
        for line in login_lines(login):
            self.stdout.write(line)
        if api_key:
            secret = demo_api_key_create(label=api_key)
            self.stdout.write(f"New API key {api_key!r} for {ADMIN_EMAIL} (shown once):")
            self.stdout.write(f"ADMINAPP_API_KEY={secret}")
