"""Issue 14: production settings pass their own checks, and an .env template's empty values
mean the defaults. Each runs manage.py in a process of its own, with the environment given."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
CLEARED = {
    "DATABASE_URL",
    "DATABASE_TEST_TEMPLATE",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "SECRET_KEY",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_empty_database_url_means_the_embedded_default():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])",
        DATABASE_URL="",
        CELERY_BROKER_URL="",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("spatialite")


def test_production_settings_pass_the_deploy_check():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        DATABASE_URL="postgis://wangge@127.0.0.1:5432/wangge",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        CACHE_URL="redis://127.0.0.1:6379/1",
        SECRET_KEY=secrets.token_urlsafe(50),
        PERSONAL_DATA_KEYS="Y2ktb25seS1wZXJzb25hbC1kYXRhLWtleS0zMmJ5dGU=",
        PERSONAL_DATA_HASH_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="wangge.example.org",
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_the_transport_security_settings_come_from_the_environment():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.X_FRAME_OPTIONS)",
        DEBUG="0",
        DATABASE_URL="postgis://wangge@127.0.0.1:5432/wangge",
        SECRET_KEY=secrets.token_urlsafe(50),
        PERSONAL_DATA_KEYS="Y2ktb25seS1wZXJzb25hbC1kYXRhLWtleS0zMmJ5dGU=",
        PERSONAL_DATA_HASH_KEY="x",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="60",
        X_FRAME_OPTIONS="SAMEORIGIN",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "60", "SAMEORIGIN"]
