"""The embedded default (SQLite, filesystem broker, files for mail) boots from nothing."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def embedded_env(var_dir: Path) -> dict:
    drop = {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_QUEUE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"CLINIC_VAR_DIR": str(var_dir), "DEBUG": "true"})
    return env


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.slow
def test_the_embedded_default_migrates_seeds_and_answers_healthz(tmp_path):
    env = embedded_env(tmp_path)
    for args in (["migrate", "--no-input"], ["seed_demo"]):
        result = manage(env, *args)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "clinic.sqlite3").exists()
    again = manage(env, "seed_demo")
    assert "0 rows created" in again.stdout  # seeding twice changes nothing

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "run_clinic", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's Ctrl-C
    )
    try:
        body = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert r.status == 200
                    body = r.read().decode()
            except OSError:
                time.sleep(0.5)
        assert body is not None, "the embedded server did not answer /healthz within 60 s"
        assert '"broker": "ok"' in body
        assert '"database": "ok"' in body
    finally:
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C does
        output = server.communicate(timeout=30)[0].decode()
    assert server.returncode is not None
    assert "frontdesk /" in output  # demo logins are printed
    # Ctrl-C stopped all three processes: nothing of this group is left.
    with pytest.raises(ProcessLookupError):
        os.killpg(server.pid, 0)


def started(env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_clinic", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def fetch(url: str, deadline_seconds: float = 60) -> tuple[int, bytes, str]:
    """Status, body and content type of `url`, waiting for the server to come up."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 (loopback only)
                return r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), exc.headers.get("Content-Type", "")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.mark.slow
def test_make_run_with_debug_off_serves_the_css_and_scripts_over_plain_http(tmp_path):
    env = embedded_env(tmp_path)
    env["DEBUG"] = "false"
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        env.pop(name, None)  # as a newcomer's shell has them: unset
    env.pop("PORTAL_BASE_URL", None)
    assert manage(env, "migrate", "--no-input").returncode == 0
    port = free_port()
    server = started(env, port)
    try:
        status, page, _ = fetch(f"http://127.0.0.1:{port}/login/")
        assert status == 200  # no redirect to an HTTPS this machine does not serve
        assert b"/static/css/clinic" in page
        for path in ("css/clinic.css", "js/clinic.js", "js/htmx.min.js"):
            status, body, kind = fetch(f"http://127.0.0.1:{port}/static/{path}")
            assert status == 200, path
            assert body and ("css" in kind or "javascript" in kind), (path, kind)
    finally:
        os.killpg(server.pid, signal.SIGINT)
        output = server.communicate(timeout=30)[0].decode()
    assert f"links in messages: http://127.0.0.1:{port}" in output
