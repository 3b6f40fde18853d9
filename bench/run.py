"""HTTP benchmark: gunicorn on PostgreSQL with demo data, driven by wrk.

Run it with ``make bench`` or directly::

    .venv/bin/python bench/run.py                      # every target, 10 s each
    .venv/bin/python bench/run.py --duration 5 --only api_schema
    .venv/bin/python bench/run.py --patients 50000 --connections 16

It needs PostgreSQL (user ``postgres``, trust auth) and Redis on their default local ports
(``make services`` checks both) and Debian's ``wrk`` (``apt-get install wrk``). It then:

1. creates the database ``clinic_bench`` when missing, runs ``migrate``, ``seed_demo
   --patients N`` (idempotent) and ``collectstatic`` with production-like settings
   (DEBUG unset, no SSL redirect; runtime files under bench/results/var);
2. starts ``gunicorn clinic.wsgi -w 2`` on a free port of 127.0.0.1 and waits for /healthz;
3. logs in as the demo front-desk user via ``POST /api/auth/token/``;
4. runs ``wrk -t2 -c8 -d<duration>s --latency`` once per target per round (``--rounds``,
   3), the targets interleaved within each round, with a generated Lua script that sets the
   method, the JSON body and the headers (the API token when ``auth=True``);
5. prints each target's median req/s, p50 and p99 in ms, non-2xx/3xx responses and the
   ratio to a bare Django JSON view (``/bench/bare/``, served by the same gunicorn with the
   same middleware: ``BENCH_BARE_VIEW=true``) measured in the same rounds;
6. with gunicorn stopped, times the scheduling workflows one request at a time inside Django
   (bench/scheduling.py): booking series of 1, 3 and 6 sessions through the API, and the
   course proposal of a practitioner with 1,000 sessions in its window, each with its SQL
   queries;
7. runs bench/messages.py (10,000 due messages through one worker, beside a bare-Celery run
   on the same Redis) with the same database and broker, unless ``--skip-messages``;
8. prints all of it as one report and writes it to bench/results/latest.json (wrk's raw
   output, the gunicorn log and the messages run's output beside it).

``--only`` names wrk targets and the sections ``booking``, ``proposal`` and ``messages``;
with sections alone no wrk target runs.

The database and the broker come from ``--database-url``/``--broker-url`` (or
``BENCH_DATABASE_URL``/``BENCH_BROKER_URL``); after seeding, the audit rows and the intakes
of earlier runs are dropped and ``VACUUM ANALYZE`` runs, so every run starts from the same
data.

Gunicorn is always stopped at the end, also on errors and Ctrl-C.

Adding a target is one line in ``TARGETS`` below, for example::

    Target("patient_search", "/api/patients/?search=Adams", auth=True),
    # 20,000 sessions in the database; one practitioner's busy week (28 sessions).
    Target(
        "sessions_week",
        "/api/sessions/?practitioner={practitioner}&start={start}&end={end}",
        auth=True,
    ),
    Target(
        "calendar_week",
        "/calendar/?practitioner={practitioner}&week={week}",
        headers={"Cookie": "sessionid={sessionid}", "Accept": "text/html"},
    ),
    Target("token", "/api/auth/token/", method="POST",
           body={"username": "frontdesk", "password": "frontdesk-demo-2026"}),

A body is sent as JSON (``Content-Type: application/json``) on every request unchanged, so
an endpoint that creates rows must accept the same body repeatedly. The demo data has 10 000
patients (``--patients``) named e.g. "Amy Adams0"; the front-desk user has role front desk.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import psycopg2
from psycopg2 import sql

from patients.vocabulary import negative_answers  # noqa: E402  (pure Python, no Django)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
RESULTS_DIR = ROOT / "bench" / "results"

HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
BENCH_DB = "clinic_bench"
DATABASE_URL = f"postgres://{PG_USER}@{HOST}:{PG_PORT}/{BENCH_DB}"
BROKER_URL = f"redis://{HOST}:6379/14"

FRONT_DESK = {"username": "frontdesk", "password": "frontdesk-demo-2026"}
GUNICORN_WORKERS = 2
WRK_THREADS = 2
WRK_TIMEOUT_S = 10  # wrk's default (2 s) would count slow-but-correct answers as errors
STARTUP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Target:
    """One URL to benchmark. ``body`` (any JSON value) is sent on every request."""

    name: str
    path: str
    auth: bool = False
    method: str = "GET"
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


BASELINE = "bare_django"
# Every key of the intake vocabulary answered "no" (a cleared intake, screened per request),
# from the vocabulary itself so the benchmark never falls behind a new question.
CLEAR_ANSWERS: dict[str, Any] = negative_answers()

# `{patient}` in a path is the public id of a demo patient, looked up once the server is up.
TARGETS: list[Target] = [
    # The yardstick: a bare Django JSON view (clinic.views.bench_bare) behind the same
    # middleware and server; every ratio is to it, in the same run.
    Target(BASELINE, "/bench/bare/"),
    # Floors, for reading the ratios (clinic/views.py): DRF with token auth and the staff
    # check answering an empty page, and a logged-in page of base.html around nothing. No API
    # endpoint can beat the first, no staff page the second.
    Target("floor_api", "/bench/floor-api/", auth=True),
    # The least the patient list must do (exact count, a page, one durable audit row), in
    # raw SQL: the ceiling of any list that keeps those rules on this machine.
    Target("floor_list", "/bench/floor-list/", auth=True),
    Target(
        "floor_page",
        "/bench/floor-page/",
        headers={"Cookie": "sessionid={sessionid}", "Accept": "text/html"},
    ),
    Target("healthz", "/healthz"),  # database + broker check, no auth
    Target("patient_list", "/api/patients/", auth=True),
    Target("api_schema", "/api/schema/?format=json", auth=True),
    Target("patient_search", "/api/patients/?search=Adams", auth=True),
    # 20,000 sessions in the database; one practitioner's busy week (28 sessions).
    Target(
        "sessions_week",
        "/api/sessions/?practitioner={practitioner}&start={start}&end={end}",
        auth=True,
    ),
    Target(
        "calendar_week",
        "/calendar/?practitioner={practitioner}&week={week}",
        headers={"Cookie": "sessionid={sessionid}", "Accept": "text/html"},
    ),
    Target(
        "intake_submit",
        "/api/patients/{patient}/intakes/",
        auth=True,
        method="POST",
        body={"answers": CLEAR_ANSWERS, "areas": ["cheeks", "forehead"]},
    ),
    # A 6-session course of a practitioner with 1,000 sessions in the proposal's window
    # (bench/scheduling.py seed), among the 20,000 of the others.
    Target(
        "course_proposal",
        "/api/courses/{proposal_course}/proposal/?start={proposal_start}",
        auth=True,
    ),
]
# What runs after the wrk targets, each also a name for --only.
SECTIONS = ("booking", "proposal", "messages")
MESSAGES_SCRIPT = ROOT / "bench" / "messages.py"
MESSAGES_TIMEOUT_S = 1800


@dataclass
class Result:
    name: str
    method: str
    path: str
    auth: bool
    probe_status: int  # status of one request sent before wrk runs
    requests_per_sec: float | None
    p50_ms: float | None
    p99_ms: float | None
    requests: int | None
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    ratio_to_baseline: float | None = None

    @property
    def failed(self) -> bool:
        return self.non_2xx_3xx > 0 or not 200 <= self.probe_status < 400

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())


class BenchError(Exception):
    """A setup step failed; the message says which and what to do."""


# --- Setup ---------------------------------------------------------------------------------


def bench_env(database_url: str = DATABASE_URL, broker_url: str = BROKER_URL) -> dict[str, str]:
    """The environment of every manage.py and gunicorn process: production-like, local."""
    env = dict(os.environ)
    env.pop("DEBUG", None)
    env.update(
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        BENCH_BARE_VIEW="true",
        # The demo logins have no authenticator app; the bench measures endpoints, not login.
        REQUIRE_STAFF_2FA="false",
        SECURE_SSL_REDIRECT="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=f"{HOST},localhost",
        CLINIC_VAR_DIR=str(RESULTS_DIR / "var"),
        PYTHONUNBUFFERED="1",
    )
    return env


def ensure_database(database_url: str = DATABASE_URL) -> None:
    """Create the benchmark's database when missing (on the server the URL names)."""
    url = urlsplit(database_url)
    name = url.path.lstrip("/")
    host, port, user = url.hostname or HOST, url.port or PG_PORT, url.username or PG_USER
    try:
        conn = psycopg2.connect(host=host, port=port, user=user, dbname="postgres")
    except psycopg2.OperationalError as exc:
        raise BenchError(
            f"PostgreSQL does not answer on {host}:{port} ({exc}); run `make services`."
        ) from exc
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                print(f"Creating database {name}.")
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def manage(env: dict[str, str], *args: str) -> None:
    print(f"$ manage.py {' '.join(args)}", flush=True)
    done = subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        raise BenchError(f"`manage.py {' '.join(args)}` failed (exit {done.returncode}).")


def prepare(env: dict[str, str], patients: int) -> dict[str, Any]:
    """Migrate and seed; returns the context the targets' `{placeholders}` are filled from."""
    ensure_database(env["DATABASE_URL"])
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "seed_demo", "--patients", str(patients))
    manage(env, "collectstatic", "--no-input", "-v", "0")
    context = scheduling(env, "seed")
    fresh_statistics(env["DATABASE_URL"])
    return context


# The intakes earlier runs' `intake_submit` target added (the demo data has at most one per
# patient; thousands piled up on the bench patient would slow what reads them), with their
# screenings, unless something else of the clinic's points at them.
EXTRA_INTAKES = """
    CREATE TEMP TABLE bench_extra_intakes ON COMMIT DROP AS
    SELECT s.id FROM patients_intakesubmission s
    WHERE s.id > (SELECT MIN(f.id) FROM patients_intakesubmission f
                  WHERE f.patient_id = s.patient_id)
      AND NOT EXISTS (SELECT 1 FROM treatments_presessioncheck p WHERE p.submission_id = s.id)
      AND NOT EXISTS (SELECT 1 FROM treatments_bookingrequest b WHERE b.intake_id = s.id)
      AND NOT EXISTS (
          SELECT 1 FROM patients_screeningresult r
          WHERE r.submission_id = s.id AND (
              EXISTS (SELECT 1 FROM treatments_session t WHERE t.screening_id = r.id)
              OR EXISTS (SELECT 1 FROM treatments_checkinconfirmation c
                         WHERE c.earlier_id = r.id)));
    DELETE FROM patients_screeningresult
    WHERE submission_id IN (SELECT id FROM bench_extra_intakes);
    DELETE FROM patients_intakesubmission WHERE id IN (SELECT id FROM bench_extra_intakes);
"""


def fresh_statistics(database_url: str) -> None:
    """Every run starts alike: the audit rows and intakes earlier runs wrote are dropped
    (they would grow the tables the targets write to and read), and the tables are vacuumed
    and analysed."""
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cursor:  # one transaction: the temp table lives in it
            cursor.execute(EXTRA_INTAKES)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("TRUNCATE clinic_auditevent")
            # As autovacuum leaves a clinic's tables between busy spells: dead rows gone,
            # GIN pending lists merged, visibility maps set, statistics fresh.
            cursor.execute("VACUUM ANALYZE")
    finally:
        conn.close()


def scheduling(env: dict[str, str], command: str) -> dict[str, Any]:
    """Run bench/scheduling.py (inside Django) and read the JSON it prints last."""
    print(f"$ bench/scheduling.py {command}", flush=True)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scheduling.py"), command],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"bench/scheduling.py {command} failed: {done.stderr[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- Gunicorn ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def request(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        payload = None if body is None else json.dumps(body).encode()
        all_headers = {"Accept": "application/json", **(headers or {})}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=all_headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the gunicorn master (graceful), then SIGKILL its process group if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: master and workers only
        process.wait(timeout=5)


@contextmanager
def gunicorn(env: dict[str, str]) -> Iterator[int]:
    """Run gunicorn on a free local port until the block ends; yield the port."""
    port = free_port()
    log_path = RESULTS_DIR / "gunicorn.log"
    command = [
        str(PYTHON), "-m", "gunicorn", "clinic.wsgi",
        "-c", str(ROOT / "gunicorn.conf.py"),  # production's: the redacted access log included
        "-w", str(GUNICORN_WORKERS), "-b", f"{HOST}:{port}",
        "--no-control-socket",  # gunicorn 27 would otherwise share ~/.gunicorn/gunicorn.ctl
    ]  # fmt: skip
    with log_path.open("wb") as log:
        # A session of its own: Ctrl-C reaches only this script, which then stops gunicorn.
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_healthy(process, port, log_path)
            yield port
        finally:
            stop(process)


def wait_healthy(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(
                f"gunicorn exited with {process.returncode} during startup; "
                f"end of {log_path}:\n{tail(log_path)}"
            )
        try:
            status, body = request(port, "GET", "/healthz")
        except OSError as exc:
            last = str(exc)
        else:
            if status == 200:
                return
            last = f"HTTP {status} {body[:200].decode(errors='replace')}"
        time.sleep(0.25)
    raise BenchError(
        f"/healthz did not answer 200 within {STARTUP_TIMEOUT_S:.0f} s (last: {last}); "
        f"end of {log_path}:\n{tail(log_path)}"
    )


def api_token(port: int) -> str:
    status, body = request(port, "POST", "/api/auth/token/", body=FRONT_DESK)
    if status != 200:
        raise BenchError(f"POST /api/auth/token/ answered {status}: {body[:300]!r}")
    return str(json.loads(body)["token"])


def demo_patient_id(port: int, token: str) -> str:
    """The public id of the demo patient Alice Morgan (seed_demo creates her)."""
    status, body = request(
        port,
        "GET",
        "/api/patients/?search=alice.morgan",
        headers={"Authorization": f"Token {token}"},
    )
    results = json.loads(body).get("results") if status == 200 else None
    if not results:
        raise BenchError(f"no demo patient found (GET /api/patients/ answered {status})")
    return str(results[0]["id"])


# --- wrk -----------------------------------------------------------------------------------


def lua_string(text: str) -> str:
    """A Lua 5.1 string literal (wrk embeds LuaJIT): printable ASCII kept, the rest \\ddd."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        out.append(char if 32 <= byte < 127 and char not in '"\\' else f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def target_headers(target: Target, token: str) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if target.body is not None:
        headers["Content-Type"] = "application/json"
    if target.auth:
        headers["Authorization"] = f"Token {token}"
    return {**headers, **target.headers}


def lua_script(target: Target, token: str) -> str:
    """Set once at load time, so wrk builds the request a single time per thread."""
    lines = [f"wrk.method = {lua_string(target.method)}"]
    if target.body is not None:
        lines.append(f"wrk.body = {lua_string(json.dumps(target.body))}")
    for name, value in target_headers(target, token).items():
        lines.append(f"wrk.headers[{lua_string(name)}] = {lua_string(value)}")
    return "\n".join(lines) + "\n"


_UNIT_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m|h)"


def to_ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_TO_MS[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/sec, p50 and p99 (ms), request count, non-2xx/3xx and socket errors."""

    def percentile(label: str) -> float | None:
        match = re.search(rf"^\s*{label}%\s+{_DURATION}\s*$", output, re.MULTILINE)
        return to_ms(match[1], match[2]) if match else None

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ", output, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests_per_sec": float(rps[1]) if rps else None,
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "requests": int(total[1]) if total else None,
        "non_2xx_3xx": int(non_2xx[1]) if non_2xx else 0,
        "socket_errors": dict(
            zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True)
        )
        if sockets
        else {},
    }


def run_wrk(target: Target, port: int, token: str, duration: int, connections: int) -> Result:
    probe_status, _ = request(
        port, target.method, target.path, target.body, target_headers(target, token)
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix=f"bench-{target.name}-") as lua:
        lua.write(lua_script(target, token))
        lua.flush()
        command = [
            "wrk", f"-t{min(WRK_THREADS, connections)}", f"-c{connections}", f"-d{duration}s",
            "--latency", f"--timeout={WRK_TIMEOUT_S}s", "-s", lua.name,
            f"http://{HOST}:{port}{target.path}",
        ]  # fmt: skip
        print(f"wrk {target.method} {target.path} for {duration} s ...", flush=True)
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 60, check=False
        )
    (RESULTS_DIR / f"wrk-{target.name}.txt").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise BenchError(f"wrk failed for {target.name} (exit {done.returncode}): {done.stderr}")
    return Result(
        name=target.name,
        method=target.method,
        path=target.path,
        auth=target.auth,
        probe_status=probe_status,
        **parse_wrk(done.stdout),
    )


# --- Report --------------------------------------------------------------------------------


def medians(runs: Sequence[Result]) -> Result:
    """One target over its rounds: the median req/s, p50 and p99; every error counted."""

    def mid(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return round(median(known), 3) if known else None

    first = runs[0]
    sockets: dict[str, int] = {}
    for run in runs:
        for kind, count in run.socket_errors.items():
            sockets[kind] = sockets.get(kind, 0) + count
    return replace(
        first,
        probe_status=max(run.probe_status for run in runs),
        requests_per_sec=mid([run.requests_per_sec for run in runs]),
        p50_ms=mid([run.p50_ms for run in runs]),
        p99_ms=mid([run.p99_ms for run in runs]),
        requests=sum(run.requests or 0 for run in runs),
        non_2xx_3xx=sum(run.non_2xx_3xx for run in runs),
        socket_errors=sockets,
    )


def number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def print_table(results: Sequence[Result]) -> None:
    header = ("target", "req/s", "p50 ms", "p99 ms", "errors", "vs bare Django")
    rows = [
        (
            r.name,
            number(r.requests_per_sec),
            number(r.p50_ms, 2),
            number(r.p99_ms, 2),
            f"{r.errors} FAILED" if r.failed else str(r.errors),
            "-" if r.ratio_to_baseline is None else f"{r.ratio_to_baseline:.2f}x",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    print()
    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))
    for r in results:
        if r.failed:
            print(
                f"FAILED {r.name}: {r.non_2xx_3xx} non-2xx/3xx responses "
                f"(first request answered {r.probe_status}); see bench/results/gunicorn.log"
            )
        elif r.errors:
            print(f"note {r.name}: socket errors {r.socket_errors}")


def write_json(
    results: Sequence[Result],
    args: argparse.Namespace,
    started: datetime,
    sections: dict[str, Any],
) -> Path:
    path = RESULTS_DIR / "latest.json"
    document = {
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "duration_s": args.duration,
        "connections": args.connections,
        "threads": min(WRK_THREADS, args.connections),
        "gunicorn_workers": GUNICORN_WORKERS,
        "rounds": args.rounds,
        "patients": args.patients,
        "baseline": BASELINE,
        "targets": [{**asdict(r), "errors": r.errors, "failed": r.failed} for r in results],
        **sections,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


# --- Main ----------------------------------------------------------------------------------


def select_targets(only: set[str]) -> list[Target]:
    """The targets named by --only (all when empty); the baseline always runs, for the ratio,
    unless --only names sections alone."""
    if only and not only - set(SECTIONS):
        return []
    return [t for t in TARGETS if not only or t.name in only or t.name == BASELINE]


def database_argument(parser: argparse.ArgumentParser, name: str, env_var: str) -> None:
    """`--database-url` for a benchmark's own database: `name` on the local server, unless
    the flag or `env_var` names another (every bench script has one, so none changes
    another's data)."""
    default = f"postgres://{PG_USER}@{HOST}:{PG_PORT}/{name}"
    parser.add_argument(
        "--database-url",
        default=os.environ.get(env_var, default),
        help=f"the benchmark's own database ({env_var}; {default})",
    )


def broker_argument(parser: argparse.ArgumentParser) -> None:
    """`--broker-url`: the Redis db the benchmark's worker uses (BENCH_BROKER_URL)."""
    parser.add_argument(
        "--broker-url",
        default=os.environ.get("BENCH_BROKER_URL", BROKER_URL),
        help=f"the Redis db for the broker (BENCH_BROKER_URL; {BROKER_URL})",
    )


def selected(section: str, args: argparse.Namespace) -> bool:
    if section == "messages" and args.skip_messages:
        return False
    return not args.only or section in args.only


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per target (10)")
    parser.add_argument("--patients", type=int, default=10_000, help="demo patients (10000)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds over every target, interleaved (3)"
    )
    database_argument(parser, BENCH_DB, "BENCH_DATABASE_URL")
    broker_argument(parser)
    parser.add_argument(
        "--only",
        metavar="NAME,...",
        help="run only these targets (the bare Django view too) or sections: "
        + ", ".join(SECTIONS),
    )
    parser.add_argument(
        "--skip-messages", action="store_true", help="leave out the messages run (quick runs)"
    )
    args = parser.parse_args(argv)
    if args.duration < 1 or args.connections < 1 or args.patients < 0 or args.rounds < 1:
        parser.error("--duration, --connections and --rounds must be >= 1, --patients >= 0")
    args.only = {name.strip() for name in (args.only or "").split(",") if name.strip()}
    if unknown := args.only - {target.name for target in TARGETS} - set(SECTIONS):
        known = ", ".join([*(target.name for target in TARGETS), *SECTIONS])
        parser.error(f"unknown target(s) {', '.join(sorted(unknown))}; known: {known}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    targets = select_targets(args.only)
    if targets and shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    started = datetime.now(UTC)
    sections: dict[str, Any] = {}
    results: list[Result] = []
    try:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        env = bench_env(args.database_url, args.broker_url)
        context = prepare(env, args.patients)
        sections["load_average_before"] = load_average()
        if targets:
            results = run_targets(targets, env, context, args)
        # One request at a time, with gunicorn stopped: the latency of the workflow itself.
        if selected("booking", args):
            sections["booking"] = scheduling(env, "booking")
        if selected("proposal", args):
            sections["proposal"] = scheduling(env, "proposal")
        if selected("messages", args):
            sections["messages"] = run_messages(args)
        sections["load_average_after"] = load_average()
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted; gunicorn stopped.", file=sys.stderr)
        return 130

    baseline = next((r.requests_per_sec for r in results if r.name == BASELINE), None)
    for r in results:
        if baseline and r.requests_per_sec is not None:
            r.ratio_to_baseline = round(r.requests_per_sec / baseline, 3)
    print_report(results, sections, context, args, started)
    print(f"\nWrote {write_json(results, args, started, sections).relative_to(ROOT)}")
    failed = any(r.failed for r in results) or "error" in sections.get("messages", {})
    return 1 if failed else 0


def run_targets(
    targets: Sequence[Target], env: dict[str, str], context: dict[str, Any], args
) -> list[Result]:
    """Every target under wrk, in interleaved rounds; each target's median round."""
    rounds: dict[str, list[Result]] = {}
    with gunicorn(env) as port:
        token = api_token(port)
        context["patient"] = demo_patient_id(port, token)
        # Interleaved: each round runs every target once, so a slow spell of the machine
        # falls on all of them alike; the table shows each target's median round.
        for number_ in range(1, args.rounds + 1):
            print(f"round {number_} of {args.rounds}", flush=True)
            for target in targets:
                target = replace(
                    target,
                    path=target.path.format(**context),
                    headers={k: v.format(**context) for k, v in target.headers.items()},
                )
                rounds.setdefault(target.name, []).append(
                    run_wrk(target, port, token, args.duration, args.connections)
                )
    return [medians(runs) for runs in rounds.values()]


# --- The messages run ------------------------------------------------------------------------

MESSAGE_KEYS = (
    "messages",
    "seconds",
    "messages_per_s",
    "bare_celery_per_s",
    "ratio_to_bare_celery",
    "queries_per_batch",
    "by_workers",
    "sent_exactly_once",
)


def run_messages(args: argparse.Namespace) -> dict[str, Any]:
    """bench/messages.py in its own process on the same database and broker: the JSON object
    it prints last, or what went wrong (its output is kept in bench/results)."""
    command = [
        sys.executable, str(MESSAGES_SCRIPT),
        "--database-url", args.database_url, "--broker-url", args.broker_url,
    ]  # fmt: skip
    print("$ bench/messages.py --database-url ... --broker-url ...", flush=True)
    output = RESULTS_DIR / "messages-output.txt"
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True,
            timeout=MESSAGES_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"error": f"bench/messages.py did not finish within {MESSAGES_TIMEOUT_S} s"}
    output.write_text(done.stdout + "\n--- stderr ---\n" + done.stderr)
    found = last_json_object(done.stdout)
    if found is None:
        tail_lines = (done.stdout + done.stderr).strip().splitlines()[-5:]
        return {
            "error": f"bench/messages.py exited {done.returncode} without a JSON last line",
            "tail": tail_lines,
        }
    if done.returncode != 0:
        found["exit_status"] = done.returncode
    return found


def last_json_object(stdout: str) -> dict[str, Any] | None:
    lines = stdout.strip().splitlines()
    if not lines:
        return None
    try:
        found = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None


# --- The report ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "load_average": load_average()}


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def print_report(
    results: Sequence[Result],
    sections: dict[str, Any],
    context: dict[str, Any],
    args: argparse.Namespace,
    started: datetime,
) -> None:
    """One block a README can quote: the wrk table, then the scheduling and messages runs."""
    print()
    print(
        f"Clinic bench, {started:%Y-%m-%d %H:%M} UTC: {os.cpu_count()} CPUs, load average "
        f"{sections.get('load_average_before')} before and {sections.get('load_average_after')} "
        f"after; PostgreSQL with {args.patients:,} patients and "
        f"{context.get('sessions_total', 0):,} sessions."
    )
    if results:
        print(
            f"HTTP: gunicorn {GUNICORN_WORKERS} workers, wrk {args.connections} connections, "
            f"{args.rounds} interleaved rounds of {args.duration} s (medians)."
        )
        print_table(results)
    if "booking" in sections:
        print_booking(sections["booking"])
    if "proposal" in sections:
        print_proposal(sections["proposal"])
    if "messages" in sections:
        print_messages(sections["messages"])


def print_booking(booking: dict[str, Any]) -> None:
    print(
        f"\nBooking a series through the API (POST /api/courses/{{id}}/book/, API token, one "
        f"request at a time, {booking.get('bookings_each')} of each size):"
    )
    print(f"  {'sessions':>8}  {'p50 ms':>7}  {'p90 ms':>7}  SQL queries")
    for size, row in booking.get("by_sessions", {}).items():
        queries = ", ".join(str(q) for q in row["queries"])
        print(f"  {size:>8}  {row['p50_ms']:>7.1f}  {row['p90_ms']:>7.1f}  {queries}")


def print_proposal(proposal: dict[str, Any]) -> None:
    queries = ", ".join(str(q) for q in proposal.get("queries", []))
    print(
        f"\nCourse proposal (GET /api/courses/{{id}}/proposal/, a 6-session course of a "
        f"practitioner with {proposal.get('practitioner_sessions_in_window', 0):,} sessions "
        f"among {proposal.get('all_sessions_in_window', 0):,} in its "
        f"{proposal.get('window_days')}-day window; {proposal.get('requests')} requests one "
        f"at a time): p50 {proposal.get('p50_ms')} ms, p90 {proposal.get('p90_ms')} ms, "
        f"SQL queries {queries}"
    )


def print_messages(messages: dict[str, Any]) -> None:
    print("\nMessages (bench/messages.py: due messages through a worker, beside bare Celery):")
    if "error" in messages:
        print(f"  FAILED: {messages['error']}")
        for line in messages.get("tail", []):
            print(f"  | {line}")
        return
    missing = [key for key in MESSAGE_KEYS if key not in messages]
    if missing:
        print(f"  (its output lacks {', '.join(missing)}; what it gave: {json.dumps(messages)})")

    def get(key: str, digits: int = 1) -> str:
        value = messages.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return number(value, digits if isinstance(value, float) else 0)
        return "-" if value is None else str(value)

    print(
        f"  {get('messages')} messages in {get('seconds')} s: {get('messages_per_s')}/s; "
        f"bare Celery {get('bare_celery_per_s')}/s on the same Redis "
        f"(ratio {get('ratio_to_bare_celery', 2)})"
    )
    workers = messages.get("by_workers")
    if isinstance(workers, dict) and workers:
        by = "; ".join(f"{n}: {number(v) if isinstance(v, int | float) else v}/s"
                       for n, v in sorted(workers.items()))  # fmt: skip
        print(f"  by worker processes: {by}")
    print(
        f"  SQL queries per batch {get('queries_per_batch')}; "
        f"each sent exactly once: {get('sent_exactly_once')}"
    )
    if "exit_status" in messages:
        print(f"  note: bench/messages.py exited {messages['exit_status']}")


if __name__ == "__main__":
    sys.exit(main())
