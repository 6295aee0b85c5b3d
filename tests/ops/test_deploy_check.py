"""Production settings pass Django's deployment checklist with no warnings, and refuse to start half-configured.

Run in a subprocess because production mode is chosen when settings are imported, from the environment only.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "TRIBUNAL_"))}
    environment.update(env)
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        TRIBUNAL_MODE="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="tribunal.example",
        TRIBUNAL_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage("check", TRIBUNAL_MODE="production", TRIBUNAL_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path):
    result = _manage("check", TRIBUNAL_MODE="production", DJANGO_SECRET_KEY="too-short", TRIBUNAL_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr
