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
    from treatments.scheduling.models import Protocol
    from treatments.scheduling.protocols import seed_protocols

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
def check_in_opens_at_midnight(settings):
    """For browser tests that run on the real clock: a session later today can be checked
    in whenever the test runs (the front desk "opens" at 00:00)."""
    settings.CLINIC_OPENS_AT = "00:00"


def refuse_csp_violations(page) -> list[str]:
    """Collect what the Content-Security-Policy blocked on `page` (the fixture's teardown
    fails on any: a page that needs inline script or style is broken in production)."""
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return blocked


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    blocked = refuse_csp_violations(page)
    yield page
    context.close()
    assert not blocked, blocked


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


# --- Real Celery processes for the outbox tests ---------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop_process(process, timeout: float = 10) -> None:
    import subprocess

    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _reset_celery_pools() -> None:
    """Publishing reuses pooled connections: drop them so that the next publish connects to
    the broker the environment names now."""
    from clinic.celery import app

    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def use_broker(monkeypatch):
    """`use_broker(url)`: this process publishes to `url` until the test ends.

    Celery reads CELERY_BROKER_URL from the environment before its settings, so the
    environment is what changes."""

    def _use(url: str) -> None:
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        monkeypatch.setenv("CELERY_RESULT_BACKEND", url)
        _reset_celery_pools()

    yield _use
    monkeypatch.undo()
    _reset_celery_pools()


@pytest.fixture
def celery_processes(transactional_db, settings, tmp_path, use_broker):
    """Start real Celery workers and beats against the test database, on a queue of their own.

    `celery_processes.worker(**env)` and `.beat(**env)` start a process (env overrides the
    worker's settings, e.g. MESSAGE_LEASE_SECONDS or SMS_BACKEND); `.kill(p)` sends SIGKILL;
    `.use_broker(url)` points this process and the processes started after it at another
    broker. The e-mail and SMS file backends write under `.var_dir` (CLINIC_VAR_DIR).
    Every process is stopped at the end, whatever happens.
    """
    import os
    import subprocess
    import sys
    import uuid

    from clinic.celery import app

    class Processes:
        def __init__(self) -> None:
            self.queue = f"test-{uuid.uuid4().hex[:12]}"
            self.var_dir = tmp_path / "var"
            self.mail_dir = self.var_dir / "mail"
            self.sms_dir = self.var_dir / "sms"
            self.broker_url: str | None = None
            self.started: list[subprocess.Popen] = []
            db = settings.DATABASES["default"]
            self.env = {
                **os.environ,
                "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
                "CELERY_QUEUE": self.queue,
                "CONN_MAX_AGE": "0",
                "CLINIC_VAR_DIR": str(self.var_dir),
                "PYTHONUNBUFFERED": "1",
            }
            self.env.pop("EMAIL_URL", None)

        def use_broker(self, url: str) -> None:
            self.broker_url = url
            self.env["CELERY_BROKER_URL"] = url
            self.env["CELERY_RESULT_BACKEND"] = url
            use_broker(url)

        def _start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
            log = open(tmp_path / f"{name}-{len(self.started)}.log", "wb")
            process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "celery", *args],
                env={**self.env, **{k: str(v) for k, v in env.items()}},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            self.started.append(process)
            return process

        def worker(
            self, *, concurrency: int = 1, level: str = "warning", **env
        ) -> subprocess.Popen:
            pool = ["--pool", "solo"] if concurrency == 1 else ["-c", str(concurrency)]
            name = f"{self.queue}-{len(self.started)}@%h"
            return self._start(
                "worker",
                ["-A", "clinic", "worker", *pool, "-Q", self.queue, "-n", name,
                 "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", level],
                env,
            )  # fmt: skip

        def beat(self, *, level: str = "warning", **env) -> subprocess.Popen:
            schedule = tmp_path / f"beat-schedule-{len(self.started)}"
            return self._start(
                "beat",
                ["-A", "treatments.messaging.tests.fast_beat", "beat", "-s", str(schedule),
                 "--max-interval", "1", "-l", level],
                env,
            )  # fmt: skip

        def kill(self, process: subprocess.Popen) -> None:
            process.kill()
            process.wait()

        def logs(self) -> str:
            return "\n".join(
                f"== {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                for p in sorted(tmp_path.glob("*.log"))
            )

    processes = Processes()
    app.conf.task_default_queue = processes.queue
    try:
        yield processes
    finally:
        for process in processes.started:
            _stop_process(process)
        app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
        _delete_queue(processes.queue, processes.broker_url)


def _delete_queue(queue: str, broker_url: str | None) -> None:
    """Tasks left in a test's private queue are nobody's: drop them (best effort)."""
    from clinic.celery import app

    if broker_url:  # a private Redis is stopped with the test
        return
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
    except Exception:  # noqa: S110 - cleaning up after a test must not fail it
        pass


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of this test's own on a free port (no persistence), which the test may
    stop (SIGTERM) and start again on the same port: `.url`, `.stop()`, `.start()`."""
    import subprocess
    import time

    import redis

    port = _free_port()

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process: subprocess.Popen | None = None

        def start(self) -> None:
            self.process = subprocess.Popen(  # noqa: S603
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1",  # noqa: S607
                 "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)

        def stop(self) -> None:
            if self.process is not None:
                _stop_process(self.process)
                self.process = None

    server = Server()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- Phone-sized browser pages (the patient portal) ------------------------------------------


@pytest.fixture
def mobile_page(browser):
    """A phone-sized page (390×844, touch) in a context of its own."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    blocked = refuse_csp_violations(page)
    yield page
    context.close()
    assert not blocked, blocked
