"""Operations: the demo seed, and the README's promises that CI keeps honest."""

from __future__ import annotations

import re
import stat
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.test import Client

from adminapp.accounts.models import ApiKey, Organization, OrgMembership, User
from adminapp.audit.models import AuditEvent

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"


# --- seed_demo ------------------------------------------------------------------------------
def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def printed_password(output: str) -> str:
    match = re.search(r"Password:\s+(\S+)", output)
    assert match, output
    return match.group(1)


def login(email: str, password: str) -> tuple[Client, object]:
    client = Client(enforce_csrf_checks=False)
    response = client.post(
        "/api/v1/auth/login",
        {"email": email, "password": password},
        content_type="application/json",
    )
    return client, response


def _counts() -> dict[str, int]:
    return {
        "orgs": Organization.objects.count(),
        "users": User.objects.count(),
        "memberships": OrgMembership.objects.count(),
        "keys": ApiKey.objects.count(),
        "events": AuditEvent.objects.count(),
    }


def test_seed_demo_twice_gives_one_demo_org_and_a_login_that_works(db, var_dir):
    first = seed()
    after_first = _counts()
    second = seed()

    assert _counts() == after_first
    assert Organization.objects.filter(name="Acme Robotics").count() == 1
    password = printed_password(second)
    assert password == printed_password(first)
    assert "admin@example.com" in second

    client, response = login("admin@example.com", password)
    assert response.status_code == 200, response.content
    me = response.json()
    assert me["organization"]["name"] == "Acme Robotics"
    assert me["role"] == "OWNER"
    assert me["is_instance_admin"] is True


def test_the_generated_password_is_kept_private_in_var_and_reused(db, var_dir):
    password = printed_password(seed())

    password_file = var_dir / "demo_admin_password"
    assert password_file.read_text().strip() == password
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert len(password) >= 16
    assert printed_password(seed()) == password


def test_demo_admin_password_from_the_environment(db, var_dir, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "an-env-chosen-passphrase")

    output = seed()

    assert printed_password(output) == "an-env-chosen-passphrase"
    assert "DEMO_ADMIN_PASSWORD" in output
    assert not (var_dir / "demo_admin_password").exists()
    assert login("admin@example.com", "an-env-chosen-passphrase")[1].status_code == 200


def test_seed_demo_repairs_the_admin_login(db, var_dir):
    password = printed_password(seed())
    admin = User.objects.get(email="admin@example.com")
    admin.set_password("someone-changed-it-123")
    admin.save()

    seed()

    assert login("admin@example.com", password)[1].status_code == 200


def test_demo_org_has_every_role_and_a_second_org_to_switch_to(db, var_dir):
    password = printed_password(seed())
    client, _ = login("admin@example.com", password)

    orgs = {o["name"]: o for o in client.get("/api/v1/organizations").json()["items"]}
    assert orgs["Acme Robotics"]["role"] == "OWNER"
    assert orgs["Globex Research"]["role"] == "MEMBER"

    members = client.get(f"/api/v1/organizations/{orgs['Acme Robotics']['id']}/members").json()
    assert {m["role"] for m in members["items"]} == {"OWNER", "ADMIN", "MEMBER", "ANNOTATOR"}

    switched = client.post(
        "/api/v1/me/organization",
        {"organization_id": orgs["Globex Research"]["id"]},
        content_type="application/json",
    )
    assert switched.status_code == 200, switched.content
    assert switched.json()["role"] == "MEMBER"


def test_demo_audit_log_shows_the_real_actions(db, var_dir):
    password = printed_password(seed())
    client, _ = login("admin@example.com", password)

    events = client.get("/api/v1/audit", {"limit": 100}).json()["items"]
    actions = {e["action"] for e in events}
    assert {"organization.create", "member.add", "api_key.create", "api_key.revoke"} <= actions
    assert any(e["actor_label"] == "admin@example.com" for e in events)

    keys = client.get("/api/v1/api-keys", {"include_revoked": "true"}).json()["items"]
    assert {k["kind"] for k in keys} == {"PERSONAL", "SERVICE"}
    assert any(not k["is_active"] for k in keys)


def test_seed_demo_api_key_prints_a_working_key_once(db, var_dir):
    output = seed("--api-key", "laptop")

    secret = re.search(r"^ADMINAPP_API_KEY=(adm_\S+)$", output, re.M).group(1)
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200, response.content
    assert response.json()["user"]["email"] == "admin@example.com"
    assert secret not in seed()


# --- the README and CI --------------------------------------------------------------------
def _fenced_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.M | re.S)]


def test_readme_opens_with_the_run_and_the_test_command():
    text = README.read_text()
    opening = text.split("```", 1)[0]
    assert "\n## " not in opening, "the commands must come before any section"

    run, test = _fenced_blocks(text)[:2]

    assert "\n" not in run and "\n" not in test
    assert run.startswith("python3 -m venv .venv && ")
    assert run.endswith("-r requirements.txt && .venv/bin/python manage.py up")
    assert test.startswith("python3 -m venv .venv && ")
    assert test.endswith("-r tests/requirements.txt && .venv/bin/python -m pytest")


def test_ci_runs_the_readme_test_command_and_smoke_tests_the_run_command():
    run, test = _fenced_blocks(README.read_text())[:2]
    ci = CI_RUN.read_text()

    assert ci.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in ci
    assert any(line.strip().startswith(test) for line in ci.splitlines()), test
    assert run.rsplit(" && ", 1)[1] + " --port" in ci  # .venv/bin/python manage.py up


def test_readme_documents_every_setting_read_from_the_environment():
    settings_py = (ROOT / "adminapp" / "settings.py").read_text()
    names = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', settings_py))
    assert len(names) > 20  # the pattern still finds them

    table = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)`", table, re.M))

    assert names - documented == set(), "settings missing from the README's table"
