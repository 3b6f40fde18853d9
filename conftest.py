"""Fixtures shared by every app's tests: one user and one logged-in client per role."""

import pytest
from rest_framework.test import APIClient

from clinic.models import Role
from clinic.tests.factories import PatientUserFactory, UserFactory


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Re-create what migrations seed (role groups, protocols) for tests that use the database.

    Transactional tests (browser, worker) end by flushing every table, which would take the
    migration-made rows away from the tests that follow.
    """
    uses_db = request.node.get_closest_marker("django_db") or any(
        name in request.fixturenames for name in ("db", "transactional_db", "live_server")
    )
    if not uses_db:
        yield
        return
    request.getfixturevalue(
        "transactional_db"
        if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
        else "db"
    )
    from django.contrib.auth.models import Group

    from clinic.models import Role
    from treatments.models import Protocol
    from treatments.protocols import seed_protocols

    for role in Role.values:
        Group.objects.get_or_create(name=role)
    seed_protocols(Protocol)
    yield


@pytest.fixture
def front_desk_user(db):
    return UserFactory(username="fd", role=Role.FRONT_DESK, first_name="Fran", last_name="Desk")


@pytest.fixture
def practitioner_user(db):
    return UserFactory(
        username="prac", role=Role.PRACTITIONER, first_name="Priya", last_name="Shah"
    )


@pytest.fixture
def manager_user(db):
    return UserFactory(username="boss", role=Role.MANAGER, is_staff=True)


@pytest.fixture
def patient_user(db):
    return PatientUserFactory(username="pat")


def _client_for(user):
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def front_desk_client(front_desk_user):
    return _client_for(front_desk_user)


@pytest.fixture
def practitioner_client(practitioner_user):
    return _client_for(practitioner_user)


@pytest.fixture
def manager_client(manager_user):
    return _client_for(manager_user)


@pytest.fixture
def patient_client(patient_user):
    return _client_for(patient_user)


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def celery_worker_process(transactional_db, settings, monkeypatch):
    """A real Celery worker process on the real Redis broker, consuming a queue of its own.

    It reaches the same test database as the test (data must be committed, hence
    `transactional_db`). Yields the queue name; the worker is stopped afterwards.
    """
    import os
    import subprocess
    import sys
    import uuid

    from clinic.celery import app

    queue = f"test-{uuid.uuid4().hex[:12]}"
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"),
        "CELERY_QUEUE": queue,
        "CONN_MAX_AGE": "0",
    }
    monkeypatch.setitem(app.conf, "task_default_queue", queue)
    worker = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "clinic",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        env=env,
    )
    try:
        yield queue
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never `playwright install`).

    Without the browser these tests skip locally, and fail where CLINIC_REQUIRE_BROWSER=1
    (CI), so a missing browser can never pass silently.
    """
    import os
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CLINIC_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def login(page, live_server):
    """Log in through the real login form: `login(user)` then use `page`."""
    from clinic.tests.factories import PASSWORD

    def _login(user, password: str = PASSWORD):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        return page

    return _login


def pytest_configure(config):
    """Fast password hashing in tests (the real hasher is PBKDF2; tests create many users)."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
