"""Outbox benchmark: 10,000 due messages through real Celery workers, end to end.

Run it with ``make bench-messages`` or directly::

    .venv/bin/python bench/messages.py                       # 10,000 messages, 1 then 2 workers
    .venv/bin/python bench/messages.py --workers 1 --messages 2000 --timeout 120
    .venv/bin/python bench/messages.py --json                # stdout: progress, then the JSON

It needs PostgreSQL and Redis as ``bench/run.py`` does (``make services``); the database and
the Redis db come from ``--database-url``/``--broker-url`` (or ``BENCH_DATABASE_URL``/
``BENCH_BROKER_URL``; by default bench/run.py's ``clinic_bench`` and Redis db 14). For each
number of workers in ``--workers`` (1,2) it:

1. replaces the previous run's bench rows with the same fresh ones: 200 patients with one
   course each, 1,000 booked future sessions (confirmation, pre-session check, two reminders)
   and 1,000 completed ones (aftercare, three check-ins, two reviews): 10,000 pending
   messages, all due, half by e-mail and half by SMS;
2. starts that many ``celery worker --concurrency 2`` (prefork) on one queue of their own,
   with the file e-mail and SMS backends under a temporary CLINIC_VAR_DIR (removed after the
   run) and no SMS quiet hours, and waits until each answers a ping;
3. calls the sweep (``treatments.messaging.tasks.sweep``, batches of MESSAGE_BATCH_SIZE, as
   beat's ``sweep_outbox`` does) in this process until no bench message is pending or
   sending, or the time is up;
4. measures messages sent per second end to end (from the first sweep to the last message
   recorded as sent) and checks that each message was sent once: every row ``sent`` with
   one attempt, and the files hold each exactly once;
5. then publishes as many trivial tasks (Celery's own ``celery.accumulate``, no result
   stored) to the same workers and times them until the queue and its unacked set are empty:
   the bare-Celery rate of this machine in this run.

Last, it counts the SQL queries of one send task (``treatments.send_messages``) run in this
process on batches of 10 and MESSAGE_SEND_BATCH fresh messages. It prints a table (messages/s
and the ratio to bare Celery per number of workers), writes every figure to
bench/results/messages.json (worker logs beside it) and ends stdout with one JSON line for
bench/run.py: ``messages``, ``seconds``, ``messages_per_s``, ``bare_celery_per_s`` and
``ratio_to_bare_celery`` (of the 1-worker run), ``queries_per_batch`` (of a full send task),
``by_workers`` (messages/s by number of workers) and ``sent_exactly_once``. With ``--json``
the table goes to stderr. Workers are always stopped, also on errors.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as http_bench  # noqa: E402 - bench/run.py: the database and environment helpers

ROOT = http_bench.ROOT
RESULTS_DIR = http_bench.RESULTS_DIR
BenchError = http_bench.BenchError
MARK = "Outboxbench"  # the last name of every bench patient: how a rerun finds its rows
PATIENTS = 200
SESSIONS_PER_COURSE = 10  # 5 booked (4 messages each), 5 completed (6 messages each)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000, help="multiple of 50 (10000)")
    parser.add_argument(
        "--concurrency", type=int, default=2, help="processes of each worker (2, prefork)"
    )
    parser.add_argument(
        "--workers",
        default="1,2",
        metavar="N,...",
        help="one run per number of workers, each on the same fresh data (1,2)",
    )
    parser.add_argument("--timeout", type=int, default=300, help="seconds to wait per run (300)")
    http_bench.database_argument(parser, http_bench.BENCH_DB, "BENCH_DATABASE_URL")
    http_bench.broker_argument(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the summary lines on stderr: stdout ends with the JSON object alone "
        "(it is always the last line of stdout)",
    )
    args = parser.parse_args(argv)
    if args.messages % 50 or args.messages < 50:
        parser.error("--messages must be a positive multiple of 50")
    try:
        args.workers = [int(n) for n in args.workers.split(",") if n.strip()]
    except ValueError:
        parser.error("--workers takes numbers separated by commas, e.g. 1,2")
    if not args.workers or min(args.workers) < 1 or args.concurrency < 1:
        parser.error("--workers and --concurrency must be >= 1")
    return args


def environment(var_dir: Path, queue: str, database_url: str, broker_url: str) -> dict[str, str]:
    env = http_bench.bench_env(database_url, broker_url)
    env.update(
        CLINIC_VAR_DIR=str(var_dir),
        CELERY_QUEUE=queue,
        CELERY_RESULT_BACKEND=broker_url,
        SMS_BACKEND="file",
        SMS_QUIET_HOURS="00:00,00:00",  # the bench runs at any hour
        LOG_LEVEL="WARNING",
    )
    env.pop("EMAIL_URL", None)
    return env


def seed(messages: int) -> int:
    """Replace the bench rows; return the number of pending, due bench messages."""
    from django.db import transaction
    from django.utils import timezone

    from clinic.models import User
    from patients.models import Patient
    from treatments.messaging.models import Message
    from treatments.scheduling.models import Course, Practitioner, Protocol, Room, Session

    Kind = Message.Kind
    booked_kinds = [
        Kind.BOOKING_CONFIRMATION, Kind.PRE_SESSION_CHECK, Kind.REMINDER_48H, Kind.REMINDER_24H
    ]  # fmt: skip
    done_kinds = [
        Kind.AFTERCARE, Kind.CHECKIN_24H, Kind.CHECKIN_72H, Kind.CHECKIN_7D, Kind.REVIEW_3M,
        Kind.REVIEW_6M,
    ]  # fmt: skip
    courses = messages // 50  # 50 messages per 10-session course
    now = timezone.now()
    with transaction.atomic():
        Message.objects.filter(patient__last_name=MARK).delete()
        Session.objects.filter(patient__last_name=MARK).delete()
        Course.objects.filter(patient__last_name=MARK).delete()
        Patient.objects.filter(last_name=MARK).delete()
        user, _ = User.objects.get_or_create(
            username="bench-outbox", defaults={"first_name": "Bench", "last_name": "Needler"}
        )
        practitioner, _ = Practitioner.objects.get_or_create(
            user=user, defaults={"display_name": "Bench Needler"}
        )
        room, _ = Room.objects.get_or_create(name="Bench room")
        protocol = Protocol.objects.current().get(indication="acne_scars")
        patients = Patient.objects.bulk_create(
            Patient(
                first_name=f"Bench{n}",
                last_name=MARK,
                date_of_birth=datetime(1990, 1, 1, tzinfo=UTC).date(),
                email=f"outbox.bench.{n}@example.com",
                phone=f"+44740{n:07d}",
                preferred_channel="sms" if n % 2 else "email",
                email_consent=True,
                sms_consent=True,
            )
            for n in range(max(courses, 1))
        )
        course_rows = Course.objects.bulk_create(
            Course(
                patient=patient,
                practitioner=practitioner,
                protocol=protocol,
                areas=["cheeks"],
                planned_sessions=SESSIONS_PER_COURSE,
                interval_days=28,
                status=Course.Status.BOOKED,
                created_by=user,
            )
            for patient in patients[:courses]
        )
        # Booked sessions three hours apart from a year ahead: no two overlap.
        future = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=365)
        sessions = []
        for c, course in enumerate(course_rows):
            for number in range(1, SESSIONS_PER_COURSE + 1):
                booked = number > SESSIONS_PER_COURSE // 2
                slot = c * SESSIONS_PER_COURSE + number
                start = future + timedelta(hours=3 * slot) if booked else now - timedelta(
                    days=30 + number, hours=c % 8
                )  # fmt: skip
                sessions.append(
                    Session(
                        course=course,
                        patient=course.patient,
                        practitioner=practitioner,
                        room=room,
                        number=number,
                        starts_at=start,
                        ends_at=start + timedelta(hours=2),
                        status=Session.Status.BOOKED if booked else Session.Status.COMPLETED,
                    )
                )
        sessions = Session.objects.bulk_create(sessions)
        due = now - timedelta(minutes=1)
        rows = [
            Message(
                patient=session.patient,
                session=session,
                kind=kind,
                channel=session.patient.preferred_channel,
                due_at=due,
            )
            for session in sessions
            for kind in (booked_kinds if session.status == Session.Status.BOOKED else done_kinds)
        ]
        Message.objects.bulk_create(rows, batch_size=2000)
    return Message.objects.filter(patient__last_name=MARK, status="pending").count()


def start_worker(env: dict[str, str], name: str, queue: str, concurrency: int, log: Path):
    command = [
        str(http_bench.PYTHON), "-m", "celery", "-A", "clinic", "worker",
        "-c", str(concurrency), "-Q", queue, "-n", f"{name}@%h",
        "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "warning",
    ]  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the worker and its children
        process.wait(timeout=10)


def wait_until_ready(app, names: list[str], workers: list, timeout: float) -> None:
    """Every worker answers a ping: the run's clock starts with them all consuming, so worker
    start-up (seconds on a busy machine) is not counted as sending."""
    deadline = time.monotonic() + timeout
    wanted = {f"{name}@{socket.gethostname()}" for name in names}
    while time.monotonic() < deadline:
        for worker in workers:
            if worker.poll() is not None:
                raise BenchError(f"a worker exited with {worker.returncode} while starting")
        replies = app.control.ping(timeout=0.5)
        if wanted <= {key for reply in replies for key in reply}:
            return
    raise BenchError(f"the workers did not answer a ping within {timeout:.0f} s")


def drained(app, queue: str) -> bool:
    """No task waiting in the queue and none taken but not yet acknowledged (acks_late)."""
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        return client.llen(queue) == 0 and client.hlen("unacked") == 0


def bare_celery_rate(app, queue: str, tasks: int, timeout: float) -> float:
    """Trivial tasks a second through the same workers: the ceiling the outbox is held to."""
    started = time.monotonic()
    with app.producer_or_acquire() as producer:
        for n in range(tasks):
            app.send_task(
                "celery.accumulate", args=(n,), queue=queue, producer=producer, ignore_result=True
            )
    while not drained(app, queue):
        if time.monotonic() - started > timeout:
            raise BenchError(f"{tasks} trivial tasks did not drain in {timeout} s")
        time.sleep(0.02)
    return tasks / (time.monotonic() - started)


def delivered(var_dir: Path, email_ids: set[str], sms_ids: set[str]) -> dict[str, int]:
    """What the file backends wrote for the bench's messages (by X-Clinic-Message header for
    e-mail, by file name = provider id for SMS), and anything else they wrote."""
    emails: Counter = Counter()
    for path in (var_dir / "mail").glob("*"):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("X-Clinic-Message: "):
                emails[line.split(": ", 1)[1].strip()] += 1
    sms_files = {p.stem for p in (var_dir / "sms").glob("*.txt")}
    return {
        "emails": sum(n for key, n in emails.items() if key in email_ids),
        "email_duplicates": sum(n - 1 for key, n in emails.items() if key in email_ids and n > 1),
        "sms": len(sms_files & sms_ids),
        # not the bench's (demo data due in clinic_bench), or sent but not recorded yet
        "other_files": sum(n for key, n in emails.items() if key not in email_ids)
        + len(sms_files - sms_ids),
    }


def run_once(args, workers: int, base_env: dict[str, str], say) -> dict:
    """Seed the same fresh rows, start `workers` workers, sweep until every bench message is
    sent, then time trivial tasks on the same workers. Returns this run's figures."""
    from django.db import connection
    from django.db.models import Max, Min
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from clinic.celery import app
    from treatments.messaging.models import Message
    from treatments.messaging.tasks import sweep

    say(f"[{workers} worker(s)] seeding {args.messages:,} due messages ...")
    pending = seed(args.messages)
    if pending != args.messages:
        raise BenchError(f"expected {args.messages} pending bench messages, found {pending}")
    bench = Message.objects.filter(patient__last_name=MARK)
    var_dir = Path(tempfile.mkdtemp(prefix="clinic-bench-messages-"))
    env = {**base_env, "CLINIC_VAR_DIR": str(var_dir)}
    queue = base_env["CELERY_QUEUE"]
    names = [f"{queue}-{workers}-{n}" for n in range(workers)]
    processes = []
    sweeps: list[int] = []
    try:
        for n, name in enumerate(names):
            log = RESULTS_DIR / f"messages-worker-{workers}-{n}.log"
            processes.append(start_worker(env, name, queue, args.concurrency, log))
        wait_until_ready(app, names, processes, timeout=60)
        say(f"[{workers} worker(s)] sending ...")
        started_at = timezone.now()
        started = time.monotonic()
        with CaptureQueriesContext(connection) as queries:
            sweeps.append(len(sweep()))
        sweep_queries = len(queries)
        deadline = started + args.timeout
        while time.monotonic() < deadline:
            for process in processes:
                if process.poll() is not None:
                    raise BenchError(f"a worker exited with {process.returncode}; see {log}")
            claimed = sweep()  # what beat's sweep_outbox does: batch after batch
            if claimed:
                sweeps.append(len(claimed))
                continue
            if not bench.filter(status__in=["pending", "sending"]).exists():
                break
            time.sleep(0.1)
        statuses = Counter(bench.values_list("status", flat=True))
        sent = statuses.get("sent", 0)
        span = bench.filter(status="sent").aggregate(first=Min("sent_at"), last=Max("sent_at"))
        # End to end: from the first sweep to the last message recorded as sent.
        last = span["last"] or timezone.now()
        seconds = max((last - started_at).total_seconds(), 1e-3)
        say(f"[{workers} worker(s)] timing {args.messages:,} trivial tasks on the same workers ...")
        bare_rate = bare_celery_rate(app, queue, args.messages, args.timeout)
    finally:
        for process in processes:
            stop_worker(process)
    sent_rows = bench.filter(status="sent")
    try:
        written = delivered(
            var_dir,
            {str(u) for u in sent_rows.filter(channel="email").values_list("public_id", flat=True)},
            set(sent_rows.filter(channel="sms").values_list("provider_id", flat=True)),
        )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)  # 10,000 small files
    attempts = Counter(sent_rows.values_list("attempts", flat=True))
    once = (
        sent == args.messages
        and written["emails"] + written["sms"] == sent
        and written["email_duplicates"] == 0
        and set(attempts) == {1}
    )
    return {
        "workers": workers,
        "concurrency": args.concurrency,
        "seconds": round(seconds, 2),
        "sent": sent,
        "messages_per_s": round(sent / seconds, 1),
        "bare_celery_per_s": round(bare_rate, 1),
        "ratio_to_bare_celery": round(sent / seconds / bare_rate, 2),
        "sweeps_with_claims": len(sweeps),
        "queries_per_sweep": sweep_queries,
        "statuses": dict(statuses),
        "attempts_of_sent": {str(k): v for k, v in sorted(attempts.items())},
        "written": written,
        "sent_exactly_once": once,
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }


def send_batch_queries(sizes: tuple[int, ...]) -> dict[str, int]:
    """SQL queries of one send task (`treatments.send_messages`) in this process, for batches
    of these sizes of fresh bench messages of every kind (a first batch warms the process)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from treatments.messaging.models import Message
    from treatments.messaging.tasks import send_messages

    seed(50 * -(-(sum(sizes) + 10) // 50))
    ids = list(
        Message.objects.filter(patient__last_name=MARK).order_by("session_id", "kind")
        .values_list("pk", flat=True)
    )  # fmt: skip
    send_messages(ids[:10])
    counts, position = {}, 10
    for size in sizes:
        with CaptureQueriesContext(connection) as queries:
            send_messages(ids[position : position + size])
        counts[str(size)] = len(queries)
        position += size
    return counts


def main(argv=None) -> int:
    args = parse_args(argv)
    say = partial(print, file=sys.stderr if args.json else sys.stdout, flush=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    queue = f"bench-messages-{uuid.uuid4().hex[:8]}"
    var_dir = Path(tempfile.mkdtemp(prefix="clinic-bench-messages-"))
    env = environment(var_dir, queue, args.database_url, args.broker_url)
    load_before = round(os.getloadavg()[0], 2)
    http_bench.ensure_database(args.database_url)
    http_bench.manage(env, "migrate", "--no-input", "-v", "0")
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from clinic.celery import app

    runs = []
    try:
        for workers in args.workers:
            runs.append(run_once(args, workers, env, say))
        batch_size = settings.MESSAGE_SEND_BATCH
        by_size = send_batch_queries((10, batch_size))
    finally:
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
        except Exception as exc:  # a leftover queue in the bench's Redis db is harmless
            say(f"note: could not delete queue {queue}: {type(exc).__name__}")
        shutil.rmtree(var_dir, ignore_errors=True)

    first = next((run for run in runs if run["workers"] == 1), runs[0])
    result = {
        "messages": args.messages,
        "seconds": first["seconds"],
        "messages_per_s": first["messages_per_s"],
        "bare_celery_per_s": first["bare_celery_per_s"],
        "ratio_to_bare_celery": first["ratio_to_bare_celery"],
        "queries_per_batch": by_size[str(batch_size)],
        "queries_per_batch_by_size": by_size,
        "queries_per_sweep": first["queries_per_sweep"],
        "by_workers": {str(run["workers"]): run["messages_per_s"] for run in runs},
        "sent_exactly_once": all(run["sent_exactly_once"] for run in runs),
        "worker_concurrency": args.concurrency,
        "batch_size": settings.MESSAGE_BATCH_SIZE,
        "send_batch": batch_size,
        "runs": runs,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_1m_before": load_before,
        "cpus": os.cpu_count(),
    }
    path = RESULTS_DIR / "messages.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    say()
    say(f"{'workers':>7} {'sent':>7} {'seconds':>8} {'sent/s':>8} {'bare/s':>8} {'ratio':>6} once")
    for run in runs:
        say(
            f"{run['workers']:>7} {run['sent']:>7,} {run['seconds']:>8} "
            f"{run['messages_per_s']:>8} {run['bare_celery_per_s']:>8} "
            f"{run['ratio_to_bare_celery']:>6} {run['sent_exactly_once']}"
        )
    say(f"each worker: celery worker --concurrency {args.concurrency} (prefork)")
    say(
        f"SQL per send task: {by_size} (by ids per task); per sweep of up to "
        f"{settings.MESSAGE_BATCH_SIZE}: {first['queries_per_sweep']}"
    )
    say(f"machine: {os.cpu_count()} CPUs, load average before {load_before}")
    say(f"results: {path.relative_to(ROOT)}; worker logs bench/results/messages-worker-*.log")
    summary = {key: result[key] for key in (
        "messages", "seconds", "messages_per_s", "bare_celery_per_s", "ratio_to_bare_celery",
        "queries_per_batch", "by_workers", "sent_exactly_once",
    )}  # fmt: skip
    print(json.dumps(summary), flush=True)  # the last line of stdout: bench/run.py reads it
    if not result["sent_exactly_once"]:
        say("FAILED: not every message was sent, or one was sent more than once")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(2)
