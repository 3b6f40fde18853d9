"""`python manage.py run_clinic`: the web server, a Celery worker and Celery beat together.

What `make run` ends with. It prints the URL and one demo login per role, then supervises
the three processes: if one dies the others are stopped, and Ctrl-C stops all three.

What a newcomer would otherwise trip over is settled here, for the processes it starts:
links in messages follow the address it serves on (`make run PORT=8080`) unless
PORTAL_BASE_URL is set; with DEBUG off the static files are collected first so WhiteNoise
serves the CSS and scripts, and plain HTTP on this machine keeps working (no HTTPS redirect
or HTTPS-only cookies) unless those settings are set.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from treatments.management.commands.seed_demo import DEMO_PATIENT_LOGIN, DEMO_STAFF

# Set for the started processes only when the environment (or .env) leaves them unset:
# `make run` serves plain HTTP on this machine, which these production defaults would refuse.
PLAIN_HTTP = {
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
}
ANY_ADDRESS = {"0.0.0.0", "::", "[::]"}  # noqa: S104 (a name to compare with, not a bind)


def served_url(host: str, port: int) -> str:
    """The address a browser on this machine opens for `host:port`."""
    if host in ANY_ADDRESS:
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def gunicorn_command(python: str, *, host: str, port: int, workers: int = 2) -> list[str]:
    """The production web server: gunicorn with the project's gunicorn.conf.py, whose logger
    keeps link tokens and query strings out of the access and error logs."""
    config = str(settings.BASE_DIR / "gunicorn.conf.py")
    return [python, "-m", "gunicorn", "clinic.wsgi", "-c", config,
            "-b", f"{host}:{port}", "-w", str(workers)]  # fmt: skip


def child_environment(*, host: str, port: int, debug: bool, environ: dict[str, str]) -> dict:
    """The environment of the web server, worker and beat: `environ` plus what is unset.

    The worker renders the links in messages, so it must know the address the web server
    answers on; an explicit PORTAL_BASE_URL (a real domain) always wins.
    """
    env = dict(environ)
    env.setdefault("PORTAL_BASE_URL", served_url(host, port))
    if not debug:
        for name, value in PLAIN_HTTP.items():
            env.setdefault(name, value)
    return env


class Command(BaseCommand):
    help = "Start the web server, a Celery worker and Celery beat; Ctrl-C stops all three."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, port: int, host: str, **options):
        for folder in ("mail", "sms"):
            (settings.VAR_DIR / folder).mkdir(parents=True, exist_ok=True)
        python = sys.executable
        env = child_environment(host=host, port=port, debug=settings.DEBUG, environ=os.environ)
        if not settings.DEBUG:
            # Without DEBUG, WhiteNoise serves only what was collected (CSS, scripts).
            call_command("collectstatic", interactive=False, verbosity=0)
        if settings.DEBUG:
            web = [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"]
        else:
            web = gunicorn_command(python, host=host, port=port)
        celery = [python, "-m", "celery", "-A", "clinic"]
        commands = {
            "web": web,
            "worker": [*celery, "worker", "-l", "info", "--concurrency", "2"],
            "beat": [*celery, "beat", "-l", "info", "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME],
        }
        self._banner(host, port, env["PORTAL_BASE_URL"])
        processes = {
            name: subprocess.Popen(cmd, env=env)  # noqa: S603
            for name, cmd in commands.items()
        }
        try:
            while all(p.poll() is None for p in processes.values()):
                time.sleep(0.5)
            dead = [name for name, p in processes.items() if p.poll() is not None]
            self.stderr.write(f"{', '.join(dead)} stopped; stopping the others.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping web server, worker and beat…")
        finally:
            self._stop(processes)

    def _stop(self, processes: dict[str, subprocess.Popen]) -> None:
        for p in processes.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in processes.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def _banner(self, host: str, port: int, links: str) -> None:
        db = settings.DATABASES["default"]
        lines = [
            "",
            f"Clinic is starting on {served_url(host, port)}/",
            f"  links in messages: {links}",
            f"  database: {db['ENGINE'].rsplit('.', 1)[-1]}  broker: "
            f"{settings.CELERY_BROKER_URL.split('://')[0]}  zone: {settings.CLINIC_TIME_ZONE}",
            "  demo logins (username / password):",
        ]
        for username, password, role, *_ in DEMO_STAFF:
            lines.append(f"    {role.label:<13} {username} / {password}")
        lines.append(f"    {'Patient':<13} {DEMO_PATIENT_LOGIN[0]} / {DEMO_PATIENT_LOGIN[1]}")
        lines.append(f"  e-mail and SMS are written under {settings.VAR_DIR}/mail and /sms")
        lines.append("  Ctrl-C stops the web server, the worker and beat.\n")
        self.stdout.write("\n".join(lines))
