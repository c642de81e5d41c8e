"""The SDK is usable from any script: importing it must not drag in Django or Celery."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_sdk_imports_neither_django_nor_celery():
    code = (
        "import sys, adminapp.client, adminapp.client.types\n"
        "from adminapp.client import AdminClient\n"
        "c = AdminClient(api_key='adm_x')\n"
        "c.me, c.auth, c.organizations, c.api_keys, c.audit, c.jobs, c.permissions\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery', 'ninja'))\n"
        "print(','.join(bad))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}  # no DJANGO_SETTINGS_MODULE
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"imported: {result.stdout.strip()}"
