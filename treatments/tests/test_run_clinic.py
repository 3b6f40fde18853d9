"""`make run` (manage.py run_clinic): what the processes it starts are told."""

from django.conf import settings
from django.test import override_settings

from treatments.management.commands.run_clinic import child_environment, gunicorn_command
from treatments.messaging import render


def test_links_in_messages_follow_the_port_make_run_serves_on():
    env = child_environment(host="127.0.0.1", port=8080, debug=True, environ={"PATH": "/bin"})
    assert env["PORTAL_BASE_URL"] == "http://127.0.0.1:8080"
    assert env["PATH"] == "/bin"
    with override_settings(PORTAL_BASE_URL=env["PORTAL_BASE_URL"]):
        assert render.portal_url("/portal/") == "http://127.0.0.1:8080/portal/"


def test_a_server_on_every_address_links_to_this_machine():
    env = child_environment(host="0.0.0.0", port=9000, debug=True, environ={})  # noqa: S104
    assert env["PORTAL_BASE_URL"] == "http://127.0.0.1:9000"


def test_a_configured_portal_address_is_kept():
    configured = {"PORTAL_BASE_URL": "https://clinic.example.com"}
    env = child_environment(host="127.0.0.1", port=8080, debug=False, environ=configured)
    assert env["PORTAL_BASE_URL"] == "https://clinic.example.com"


def test_with_debug_off_plain_http_works_unless_https_is_configured():
    env = child_environment(host="127.0.0.1", port=8000, debug=False, environ={})
    assert env["SECURE_SSL_REDIRECT"] == "false"
    assert env["SESSION_COOKIE_SECURE"] == env["CSRF_COOKIE_SECURE"] == "false"
    kept = child_environment(
        host="127.0.0.1", port=8000, debug=False, environ={"SECURE_SSL_REDIRECT": "true"}
    )
    assert kept["SECURE_SSL_REDIRECT"] == "true"
    assert "SECURE_SSL_REDIRECT" not in child_environment(
        host="127.0.0.1", port=8000, debug=True, environ={}
    )


def test_with_debug_off_gunicorn_runs_with_the_redacting_log_config():
    command = gunicorn_command("/venv/python", host="127.0.0.1", port=8000)
    config = command[command.index("-c") + 1]
    assert config == str(settings.BASE_DIR / "gunicorn.conf.py")
    assert command[:4] == ["/venv/python", "-m", "gunicorn", "clinic.wsgi"]
