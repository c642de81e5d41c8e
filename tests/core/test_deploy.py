"""Production settings: ``manage.py check --deploy`` passes, and missing secrets stop the
process at start instead of running with a weak default."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent.parent
# Everything settings.py reads that could change the outcome; the tests set what they mean.
_CLEARED = {
    "ADMINAPP_ENV",
    "DEBUG",
    "SECRET_KEY",
    "ADMINAPP_ENCRYPTION_KEYS",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
}


def production_env(var_dir: Path, **overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(
        ADMINAPP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ADMINAPP_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="example.com",
        ADMINAPP_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="adminapp.settings",  # the real ones, not the test suite's
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check_at_warning_level(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_plain_http_as_compose_ships_it_passes_the_deploy_check_too(tmp_path):
    env = production_env(tmp_path, SECURE_SSL_REDIRECT="false", ALLOWED_HOSTS="localhost")
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_writes_no_generated_secrets_to_disk(tmp_path):
    result = manage("check", "--deploy", env=production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / "secret_key").exists()
    assert not (tmp_path / "encryption_key").exists()


def test_development_generates_its_secrets_once_under_the_var_dir(tmp_path):
    """The counterpart of the test above: these are the files a development run writes."""
    env = production_env(
        tmp_path, ADMINAPP_ENV="development", SECRET_KEY=None, ADMINAPP_ENCRYPTION_KEYS=None
    )
    first = manage("check", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    secret_key = (tmp_path / "secret_key").read_text()
    encryption_key = (tmp_path / "encryption_key").read_text()
    assert len(secret_key) >= 50
    Fernet(encryption_key.encode())  # a valid key, or this raises
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600

    again = manage("check", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (tmp_path / "secret_key").read_text() == secret_key
    assert (tmp_path / "encryption_key").read_text() == encryption_key


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "ADMINAPP_ENCRYPTION_KEYS", "ALLOWED_HOSTS"], ids=str.lower
)
def test_production_refuses_to_start_without_a_required_setting(tmp_path, missing):
    result = manage("check", "--deploy", env=production_env(tmp_path, **{missing: None}))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set" in result.stderr


def test_a_weak_secret_key_fails_the_deploy_check(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(tmp_path, SECRET_KEY="too-short"),
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "security.W009" in result.stdout + result.stderr


def test_debug_on_in_production_fails_the_deploy_check(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path, DEBUG="true")
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "security.W018" in result.stdout + result.stderr


def test_an_invalid_boolean_is_an_error_not_a_guess(tmp_path):
    result = manage("check", env=production_env(tmp_path, SECURE_SSL_REDIRECT="maybe"))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "SECURE_SSL_REDIRECT must be true or false" in result.stderr
