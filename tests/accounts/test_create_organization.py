"""``manage.py create_organization``: bootstrapping a real organization in production."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from adminapp.accounts.models import Organization, OrgMembership, User
from adminapp.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def run(*args, **env) -> str:
    out = StringIO()
    call_command("create_organization", *args, stdout=out)
    return out.getvalue()


def test_creates_the_org_and_a_new_owner_with_a_password_shown_once():
    output = run("Initech", "--owner-email", "Boss@Initech.example", "--instance-admin")

    org = Organization.objects.get(name="Initech")
    owner = User.objects.get(email="boss@initech.example")
    password = output.split("shown once): ")[1].strip()
    assert owner.check_password(password) and owner.is_superuser
    assert OrgMembership.objects.get(organization=org, user=owner).account_role == "OWNER"
    assert AuditEvent.objects.filter(action="organization.create", target_id=org.id).exists()


def test_an_existing_user_becomes_owner_and_no_password_is_printed(monkeypatch):
    User.objects.create_user("lead@example.com", "x-long-password-1")
    output = run("Umbrella", "--owner-email", "lead@example.com")

    assert "shown once" not in output
    assert User.objects.get(email="lead@example.com").check_password("x-long-password-1")


def test_a_weak_password_from_the_environment_is_refused_and_nothing_is_written(monkeypatch):
    monkeypatch.setenv("ADMINAPP_OWNER_PASSWORD", "123")
    with pytest.raises(CommandError, match="ADMINAPP_OWNER_PASSWORD"):
        run("Weak Co", "--owner-email", "weak@example.com")
    assert not User.objects.filter(email="weak@example.com").exists()
    assert not Organization.objects.filter(name="Weak Co").exists()


def test_a_duplicate_organization_name_is_a_clear_error():
    run("Hooli", "--owner-email", "a@hooli.example")
    with pytest.raises(CommandError, match="already exists"):
        run("hooli", "--owner-email", "b@hooli.example")
