"""``manage.py create_organization NAME --owner-email EMAIL``: bootstrap a real organization.

The owner account is created when it does not exist yet; its password comes from the
environment variable named by ``--password-env`` (default ``ADMINAPP_OWNER_PASSWORD``) or, when
that is unset, is generated and printed once. ``--instance-admin`` also makes the owner an
instance admin (Django superuser). Goes through the same services as the API, so the audit
log records the new organization.
"""

from __future__ import annotations

import os
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from adminapp.accounts import services
from adminapp.accounts.models import User
from adminapp.core.errors import ApplicationError
from adminapp.core.principal import SYSTEM


class Command(BaseCommand):
    help = "Create an organization and its owner (the owner account is created if needed)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The organization's name.")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-name", default="")
        parser.add_argument(
            "--password-env",
            default="ADMINAPP_OWNER_PASSWORD",
            help="Environment variable holding a new owner's password.",
        )
        parser.add_argument("--instance-admin", action="store_true")

    def handle(
        self,
        *args,
        name: str,
        owner_email: str,
        owner_name: str,
        password_env: str,
        instance_admin: bool,
        **options,
    ):
        email = owner_email.strip().lower()
        owner = User.objects.filter(email=email).first()
        generated = None
        if owner is None:
            password = os.environ.get(password_env) or None
            if password is None:
                password = generated = secrets.token_urlsafe(18)
            try:
                validate_password(password, User(email=email))
            except ValidationError as exc:
                raise CommandError(f"${password_env}: {' '.join(exc.messages)}") from exc
            owner = services.seed_user(
                email=email, password=password, name=owner_name, superuser=instance_admin
            )
        elif instance_admin and not owner.is_superuser:
            owner.is_superuser = owner.is_staff = True
            owner.save(update_fields=["is_superuser", "is_staff"])
        try:
            org = services.organization_create(actor=SYSTEM, name=name, owner=owner)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Created organization {org.name!r} ({org.id}); owner {owner.email}.")
        if generated:
            self.stdout.write(f"Owner password (shown once): {generated}")
