"""What a running clinic writes to its logs carries no secret and no patient data (issue 12
item 5, clinic/logs.py).

The web server runs as production runs it (gunicorn with the project's gunicorn.conf.py, the
command `make run` uses with DEBUG off), with a real Celery worker and beat at INFO, on the
test database. Over HTTP: a member of staff logs in and searches for a patient by surname,
full name, phone, e-mail and date of birth (both typed forms) in query strings, on the pages
and the API, and opens the record from the results; a calendar app fetches a practitioner's
feed (and a wrong one); a patient opens their portal invitation, is refused a weak password
and sets one; they ask for a password reset and use its link; a new member of staff opens
their invitation and does the same. Every log then (gunicorn's access and error logs,
Django's console, the worker's and beat's output) is searched for each token and for the
patient's names, birth date, phone and e-mail address in every form the journeys sent.
"""

from __future__ import annotations

import datetime as dt
import quopri
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.urls import reverse

from clinic.models import Role
from clinic.tests.factories import PASSWORD
from patients.tests.factories import PatientFactory
from treatments.management.commands.run_clinic import gunicorn_command
from treatments.messaging.models import Message
from treatments.messaging.tests.helpers import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.worker]

HOST = "127.0.0.1"
FIRST, LAST = "Ottoline", "Quennell"
BIRTH = dt.date(1985, 3, 14)
BIRTH_TYPED = ("1985-03-14", "14/03/1985")
PHONE_TYPED, PHONE = "07700 900461", "+447700900461"
EMAIL = "ottoline.quennell@example.org"
STAFF_EMAIL = "wilhelmina.thistlewood@example.org"
NEW_PASSWORD = "a-long-new-passphrase-42"
LINK = re.compile(r"https?://[^/\s]+(/(?:portal/invite|staff/welcome)/[\w-]+/)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Browser(requests.Session):
    """A cookie jar that sends Django's CSRF token with each POST, as a form page would."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def get(self, path: str, **kwargs):  # type: ignore[override]
        return super().get(self.base + path, allow_redirects=False, timeout=20, **kwargs)

    def post(self, path: str, data: dict, **kwargs):  # type: ignore[override]
        if "csrftoken" not in self.cookies:
            self.get(path)
        data = {**data, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        return super().post(self.base + path, data=data, allow_redirects=False, timeout=20,
                            **kwargs)  # fmt: skip


def start_gunicorn(env: dict, logs: Path, port: int) -> subprocess.Popen:
    command = [*gunicorn_command(sys.executable, host=HOST, port=port, workers=1),
               "--no-control-socket"]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603
        command,
        cwd=settings.BASE_DIR,
        env=env,
        stdout=(logs / "gunicorn-stdout.log").open("wb"),
        stderr=(logs / "gunicorn-stderr.log").open("wb"),
        start_new_session=True,
    )

    def healthy():
        assert process.poll() is None, (logs / "gunicorn-stderr.log").read_text()
        try:
            return requests.get(f"http://{HOST}:{port}/healthz", timeout=10).status_code == 200
        except requests.RequestException:
            return False

    wait_until(healthy, timeout=60, message="gunicorn did not answer /healthz")
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sent_link(mail_dir: Path, count: int) -> str:
    """The path of the newest one-time link, once `count` links have been e-mailed."""

    def links():
        found: dict[str, None] = {}  # in the order they were sent, each once
        for path in sorted(mail_dir.glob("*"), key=lambda p: p.stat().st_mtime):
            text = quopri.decodestring(path.read_bytes()).decode(errors="replace")
            found.update(dict.fromkeys(LINK.findall(text)))
        return list(found) if len(found) >= count else None

    return wait_until(links, timeout=45, message=f"{count} links e-mailed")[-1]


def set_password(browser: Browser, link: str) -> None:
    """Open a one-time link, be refused a weak password (logged: "Bad Request: <path>"),
    then set a good one; the browser's Referer is the link all the while."""
    opened = browser.get(link)
    assert opened.status_code == 200, re.findall(r"<p[^>]*>[^<]*", opened.text)
    referer = {"Referer": browser.base + link}
    assert browser.get("/static/css/clinic.css", headers=referer).status_code in (200, 404)
    weak = browser.post(link, {"password": "abc", "password_again": "abc"}, headers=referer)
    assert weak.status_code == 400
    done = browser.post(
        link, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}, headers=referer
    )
    assert done.status_code == 302, done.text[:500]


def test_the_logs_of_a_running_clinic_carry_no_token_and_no_patient_data(
    celery_processes, clinic, manager_user, tmp_path
):
    patient = PatientFactory(
        first_name=FIRST, last_name=LAST, date_of_birth=BIRTH, phone=PHONE, email=EMAIL,
        preferred_channel="email",
    )  # fmt: skip
    feed_token = clinic.practitioner.calendar_token
    hasher = PBKDF2PasswordHasher()  # the server's; the tests' own MD5 is not in its settings
    manager_user.password = hasher.encode(PASSWORD, hasher.salt())
    manager_user.save(update_fields=["password"])
    port = free_port()
    base = f"http://{HOST}:{port}"
    env = {**celery_processes.env, "PORTAL_BASE_URL": base}
    env.pop("DEBUG", None)  # production settings, as `DEBUG=false make run`
    celery_processes.env = env
    worker = celery_processes.worker(level="info")
    beat = celery_processes.beat(level="info")
    server = start_gunicorn(env, tmp_path, port)
    try:
        staff = Browser(base)
        # Before logging in: the search bounces to the login page with the term in `next`.
        assert staff.get(f"/patients/?q={quote_plus(LAST)}").status_code == 302
        login = staff.post("/login/", {"username": "boss", "password": PASSWORD})
        assert login.status_code == 302, re.findall(r"class=\"error[^<]*<[^<]*", login.text)

        searches = [LAST, f"{FIRST} {LAST}", PHONE_TYPED, EMAIL, *BIRTH_TYPED]
        for term in searches:
            found = staff.get("/patients/", params={"q": term})
            assert found.status_code == 200
            assert LAST in found.text, term
        api = staff.get(
            "/api/patients/", params={"search": LAST}, headers={"Accept": "application/json"}
        )
        assert api.status_code == 200
        assert api.json()["results"], api.text[:300]
        record = reverse("patients:detail", args=[patient.public_id])
        from_search = {"Referer": f"{base}/patients/?q={quote_plus(LAST)}"}
        assert staff.get(record, headers=from_search).status_code == 200

        calendar_app = Browser(base)
        assert calendar_app.get(f"/calendar/{feed_token}.ics").status_code == 200
        assert calendar_app.get(f"/calendar/{feed_token}0.ics").status_code == 404

        invite = reverse("portal:staff_invite", kwargs={"patient_id": patient.public_id})
        assert staff.post(invite, {"channel": "email"}).status_code == 302
        invite_link = sent_link(celery_processes.mail_dir, 1)
        patient_browser = Browser(base)
        set_password(patient_browser, invite_link)
        assert patient_browser.get("/portal/").status_code == 200
        # Logging in with their e-mail address as username: a wrong password, then the right.
        returning = Browser(base)
        for password, status in (("not-my-password", 200), (NEW_PASSWORD, 302)):
            login = returning.post("/portal/login/", {"username": EMAIL, "password": password})
            assert login.status_code == status

        forgetful = Browser(base)
        assert forgetful.post("/portal/reset/", {"identifier": EMAIL}).status_code == 200
        reset_link = sent_link(celery_processes.mail_dir, 2)
        set_password(forgetful, reset_link)

        invited = {"first_name": "Wilhelmina", "last_name": "Thistlewood",
                   "email": STAFF_EMAIL, "roles": [Role.FRONT_DESK]}  # fmt: skip
        assert staff.post("/staff/new/", invited).status_code == 302
        staff_link = sent_link(celery_processes.mail_dir, 3)
        set_password(Browser(base), staff_link)
        wait_until(
            lambda: not Message.objects.exclude(status=Message.Status.SENT).exists(),
            timeout=30,
            message="every message sent",
        )
    finally:
        stop(server)
        for process in (worker, beat):
            stop(process)

    logs = {path.name: path.read_text(errors="replace") for path in tmp_path.glob("*.log")}
    everything = "\n".join(logs.values())
    tokens = [feed_token, *(link.rstrip("/").rsplit("/", 1)[1]
                            for link in (invite_link, reset_link, staff_link))]  # fmt: skip
    data = [FIRST, LAST, *BIRTH_TYPED, PHONE_TYPED, PHONE, PHONE[1:], EMAIL, STAFF_EMAIL]
    encoded = {form(value) for value in data for form in (quote, quote_plus)}
    for secret in [*tokens, *data, *encoded]:
        for name, text in logs.items():
            assert secret.lower() not in text.lower(), f"{secret!r} is in {name}"
    # The journeys were logged, with their secrets blanked (not merely left out).
    access = logs["gunicorn-stdout.log"]
    assert '"GET /patients/?… HTTP/1.1" 200' in access
    assert '"GET /api/patients/?… HTTP/1.1" 200' in access
    assert f'"{base}/patients/?…"' in access  # the record's Referer
    assert '"GET /calendar/….ics HTTP/1.1" 200' in access
    assert '"POST /portal/invite/…/ HTTP/1.1" 400' in access
    assert f'"{base}/portal/invite/…/"' in access
    assert '"POST /staff/welcome/…/ HTTP/1.1" 302' in access
    assert "Bad Request: /portal/invite/…/" in logs["gunicorn-stderr.log"]
    assert "Not Found: /calendar/….ics" in logs["gunicorn-stderr.log"]
    assert "send_message" in everything  # the worker's INFO lines are here
