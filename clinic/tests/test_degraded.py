"""Degraded, not broken (issue 12 item 6): with PostgreSQL or Redis down the API answers 503
in the error shape, pages a plain "try again" page, /healthz names what is down, and all of
it recovers without a restart when the service returns.

The process tests stop and start a PostgreSQL cluster and a Redis of their own (never the
shared ones on 5432 and 6379) under a real gunicorn, as in production. They are skipped,
saying why, where `initdb` or `redis-server` is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from glob import glob
from pathlib import Path

import pytest
import redis
import requests
from django.conf import settings
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.template import loader

from clinic import health
from clinic.unavailable import RETRY_AFTER_SECONDS

BASE_DIR = Path(settings.BASE_DIR)
UNAVAILABLE = {
    "error": {
        "status": 503,
        "code": "unavailable",
        "message": "The clinic's system is briefly unavailable: try again in a minute.",
        "fields": {},
    }
}


# --- In process: the answers themselves -----------------------------------------------------


@pytest.fixture
def database_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)


@pytest.mark.django_db
def test_with_the_database_down_the_api_answers_503_in_the_error_shape(
    front_desk_client, database_down
):
    front_desk_client.raise_request_exception = False
    response = front_desk_client.get("/api/patients/")
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


@pytest.mark.django_db
def test_with_the_database_down_a_page_is_a_plain_try_again_page_in_the_layout(
    front_desk_client, database_down
):
    front_desk_client.raise_request_exception = False
    response = front_desk_client.get("/patients/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    html = response.content.decode()
    assert 'class="topbar"' in html and "/static/css/clinic" in html
    assert "<h1>Try again in a minute</h1>" in html
    assert '<a class="button big" href="">Try again</a>' in html


@pytest.mark.django_db
def test_the_try_again_page_needs_no_database_and_no_request(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = loader.get_template("503.html").render()
    assert "Try again in a minute" in html


# --- Throwaway services: a PostgreSQL cluster, a Redis, the app under gunicorn --------------


def _initdb() -> str | None:
    found = shutil.which("initdb") or max(glob("/usr/lib/postgresql/*/bin/initdb"), default=None)
    return found


def _as_postgres() -> list[str] | None:
    """PostgreSQL refuses to run as root: run its binaries as `postgres` then."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        return None
    try:
        subprocess.run(["id", "postgres"], check=True, capture_output=True)  # noqa: S607
    except subprocess.CalledProcessError:
        return None
    return ["runuser", "-u", "postgres", "--"]


INITDB = _initdb()
AS_POSTGRES = _as_postgres()
needs_postgresql = pytest.mark.skipif(
    INITDB is None or AS_POSTGRES is None,
    reason="needs PostgreSQL's initdb/pg_ctl (and, as root, a `postgres` user and runuser) "
    "to run a cluster of the test's own",
)
needs_redis = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs redis-server to run a Redis of its own"
)
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """A PostgreSQL cluster in a temporary directory, on a free port, that a test may stop
    and start again (same port, same data)."""

    def __init__(self) -> None:
        self.bin = Path(INITDB).parent
        self.dir = Path(tempfile.mkdtemp(prefix="clinic-degraded-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, user="postgres")
        self._pg("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync")

    def _pg(self, program: str, *args) -> None:
        command = [*AS_POSTGRES, str(self.bin / program), *map(str, args)]
        subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = self.dir / "log"
        self._pg("pg_ctl", "-D", self.data, "-o", options, "-l", log, "-w", "-t", "20", "start")

    def stop(self) -> None:
        self._pg("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "20", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._pg("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


# Migrate, then a front-desk account with an API token and a logged-in session, printed
# for the test: one Django start-up rather than two.
PREPARE = """
import django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from clinic.models import Role, User
from clinic.tokens import token_issue
call_command("migrate", interactive=False, verbosity=0)
user = User.objects.create_user(username="desk", password="desk-degraded-2026")
user.groups.add(Group.objects.get(name=Role.FRONT_DESK))
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "clinic.backends.AccountBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(token_issue(user=user)[1], session.session_key)
"""


def _prepare(env: dict) -> tuple[str, str]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PREPARE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    token, session = done.stdout.splitlines()[-1].split()
    return token, session


def _environment(**overrides: str) -> dict:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "REQUIRE_STAFF_2FA": "false",
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }
    env.pop("CELERY_RESULT_BACKEND", None)
    return env


@pytest.fixture(scope="module")
def cluster():
    """A migrated cluster of this module's own, with a member of staff logged in."""
    if INITDB is None or AS_POSTGRES is None:
        pytest.skip("needs PostgreSQL's initdb (and, as root, a `postgres` user)")
    server = Cluster()
    try:
        server.create()
        server.start()
        server.token, server.session = _prepare(_environment(DATABASE_URL=server.url))
        yield server
    finally:
        server.remove()


class Web:
    """The app under gunicorn (one sync worker, so every request meets the same persistent
    database connection and broker client)."""

    def __init__(self, directory: Path, env: dict) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / f"gunicorn-{self.port}.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "gunicorn", "clinic.wsgi", "-b", f"127.0.0.1:{self.port}",
                 "-w", "1", "--timeout", "60"],
                cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 25
        while True:
            try:
                # Answered once the worker has loaded the app (slow on a busy machine).
                requests.get(f"{self.url}/healthz", timeout=20)
                return
            except requests.ConnectionError:
                assert self.process.poll() is None, self.logs()
                assert time.monotonic() < deadline, self.logs()
                time.sleep(0.1)

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(f"{self.url}{path}", timeout=15, allow_redirects=False, **kwargs)

    def logs(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def web(tmp_path):
    """`web(**env)` starts the app with these settings; every one started is stopped."""
    started: list[Web] = []

    def _start(**env: str) -> Web:
        server = Web(tmp_path, _environment(**env))
        started.append(server)  # stopped at the end even if it never comes up
        server.wait_until_up()
        return server

    yield _start
    for server in started:
        server.stop()


def _api(web: Web, cluster: Cluster) -> requests.Response:
    return web.get("/api/patients/", headers={"Authorization": f"Token {cluster.token}"})


def _page(web: Web, cluster: Cluster) -> requests.Response:
    return web.get("/patients/", cookies={"sessionid": cluster.session})


# --- PostgreSQL down and back ---------------------------------------------------------------


@needs_postgresql
@needs_redis
def test_with_postgresql_down_the_api_and_pages_answer_503_and_recover_without_a_restart(
    cluster, private_redis, web
):
    app = web(DATABASE_URL=cluster.url, CELERY_BROKER_URL=private_redis.url)
    assert _api(app, cluster).status_code == 200
    assert _page(app, cluster).status_code == 200
    assert app.get("/healthz").status_code == 200

    cluster.stop()
    try:
        api = _api(app, cluster)
        assert api.status_code == 503, app.logs()
        assert api.json() == UNAVAILABLE
        assert api.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        page = _page(app, cluster)
        assert page.status_code == 503
        assert page.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert "<h1>Try again in a minute</h1>" in page.text and 'class="topbar"' in page.text
        healthz = app.get("/healthz")
        assert healthz.status_code == 503
        assert healthz.json()["checks"] == {"database": "down", "broker": "ok"}
    finally:
        cluster.start()

    assert _api(app, cluster).json()["count"] == 0
    assert _page(app, cluster).status_code == 200
    assert app.get("/healthz").json()["status"] == "ok"
    assert app.process.poll() is None  # the same server throughout


@needs_postgresql
@needs_redis
def test_a_persistent_connection_that_postgresql_dropped_is_replaced_not_reused(
    cluster, private_redis, web
):
    """A restart between two requests leaves the worker's connection (CONN_MAX_AGE) dead:
    the health check before its reuse finds it so, and the request gets a new one."""
    app = web(DATABASE_URL=cluster.url, CELERY_BROKER_URL=private_redis.url, CONN_MAX_AGE="600")
    assert _api(app, cluster).status_code == 200
    cluster.stop()
    cluster.start()
    assert _api(app, cluster).status_code == 200, app.logs()
    assert _page(app, cluster).status_code == 200


@needs_redis
def test_a_database_that_does_not_answer_is_a_503_after_the_connect_timeout(
    private_redis, web, tmp_path
):
    """A host that accepts the connection and then says nothing (a hung server, a lost
    network) costs a request DATABASE_CONNECT_TIMEOUT seconds, not minutes."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # accepted by the kernel, never answered
        port = silent.getsockname()[1]
        app = web(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/clinic",
            DATABASE_CONNECT_TIMEOUT="2",
            CELERY_BROKER_URL=private_redis.url,
        )
        started = time.monotonic()
        response = app.get("/api/patients/", headers={"Authorization": "Token anything"})
        assert response.status_code == 503, app.logs()
        assert response.json() == UNAVAILABLE
        assert time.monotonic() - started < 6
        assert app.get("/healthz").json()["checks"] == {"database": "down", "broker": "ok"}


# --- Redis down and back --------------------------------------------------------------------


@needs_redis
@pytest.mark.django_db
def test_with_redis_down_healthz_names_the_broker_and_recovers_without_a_restart(
    private_redis, web
):
    db = settings.DATABASES["default"]
    app = web(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=private_redis.url,
    )
    assert app.get("/healthz").json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok"},
    }

    private_redis.stop()
    started = time.monotonic()
    healthz = app.get("/healthz")
    assert healthz.status_code == 503
    assert healthz.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "broker": "down"},
    }
    assert time.monotonic() - started < 2

    private_redis.start()
    assert app.get("/healthz").status_code == 200, app.logs()
    assert app.process.poll() is None


@needs_redis
def test_healthz_pings_redis_on_one_connection_per_process_not_one_per_probe(
    private_redis, settings
):
    settings.CELERY_BROKER_URL = private_redis.url
    health.redis_client.cache_clear()
    server = redis.Redis.from_url(private_redis.url)
    before = server.info("stats")["total_connections_received"]
    for _ in range(20):
        assert health.broker_ok()
    assert server.info("stats")["total_connections_received"] - before == 1


@needs_redis
def test_a_hung_redis_is_down_within_the_broker_timeout(private_redis, settings):
    settings.CELERY_BROKER_URL = private_redis.url
    private_redis.process.send_signal(19)  # SIGSTOP: connections queue, nothing answers
    try:
        started = time.monotonic()
        assert not health.broker_ok()
        assert time.monotonic() - started < health.BROKER_TIMEOUT_SECONDS * 2 + 0.5
    finally:
        private_redis.process.send_signal(18)  # SIGCONT
    assert health.broker_ok()
