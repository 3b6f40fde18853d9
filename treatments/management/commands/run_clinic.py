"""`python manage.py run_clinic`: the web server, a Celery worker and Celery beat together.

What `make run` ends with. It prints the URL and one demo login per role, then supervises
the three processes: if one dies the others are stopped, and Ctrl-C stops all three.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from treatments.management.commands.seed_demo import DEMO_PATIENT_LOGIN, DEMO_STAFF


class Command(BaseCommand):
    help = "Start the web server, a Celery worker and Celery beat; Ctrl-C stops all three."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, port: int, host: str, **options):
        for folder in ("mail", "sms"):
            (settings.VAR_DIR / folder).mkdir(parents=True, exist_ok=True)
        python = sys.executable
        if settings.DEBUG:
            web = [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"]
        else:
            web = [python, "-m", "gunicorn", "clinic.wsgi", "-b", f"{host}:{port}", "-w", "2"]
        celery = [python, "-m", "celery", "-A", "clinic"]
        commands = {
            "web": web,
            "worker": [*celery, "worker", "-l", "info", "--concurrency", "2"],
            "beat": [*celery, "beat", "-l", "info", "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME],
        }
        self._banner(host, port)
        processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}  # noqa: S603
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

    def _banner(self, host: str, port: int) -> None:
        db = settings.DATABASES["default"]
        lines = [
            "",
            f"Clinic is starting on http://{host}:{port}/",
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
