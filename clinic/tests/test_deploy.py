"""Production settings pass `check --deploy` by environment values alone."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "SECRET_KEY": "k3P9-production-like-secret-8d7f6a5s4d3f2g1h0j9k8l7z6x5c4v3b2n1m0q",
    "ALLOWED_HOSTS": "clinic.example",
}


def check_deploy(extra: dict) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DEBUG",
            "SECURE_SSL_REDIRECT",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        )
    }
    env.update(extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_production_settings_pass_the_deploy_check():
    result = check_deploy(PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_the_deploy_check_fails_with_the_development_secret_key():
    result = check_deploy({"ALLOWED_HOSTS": "clinic.example"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stdout + result.stderr


def test_behind_pgbouncer_the_app_uses_no_server_side_cursors_or_persistent_connections():
    """deploy/pgbouncer.ini runs transaction pooling: a cursor or a session outliving one
    transaction would land on another client's server connection."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; "
        "print(json.dumps([d.get('DISABLE_SERVER_SIDE_CURSORS'), d['CONN_MAX_AGE']]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DATABASE_URL": "postgres://clinic@127.0.0.1:6432/clinic",
    }
    pooled = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**env, "DATABASE_POOLER": "true"},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    direct = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**env, "DATABASE_POOLER": "false"},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert pooled.stdout.strip() == "[true, 0]"
    assert direct.stdout.strip() == "[null, 60]"


def test_the_benchmarks_bare_view_is_not_routed_unless_asked_for(client, db):
    """bench/run.py sets BENCH_BARE_VIEW=true for its yardstick; nothing else serves it."""
    with pytest.raises(NoReverseMatch):
        reverse("bench_bare")
    assert client.get("/bench/bare/").status_code == 404
