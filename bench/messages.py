"""Outbox benchmark: 10,000 due messages through one real Celery worker, end to end.

Run it with ``make bench-messages`` or directly::

    .venv/bin/python bench/messages.py                     # 10,000 messages, 2 processes
    .venv/bin/python bench/messages.py --messages 2000 --concurrency 1 --timeout 120

It needs PostgreSQL and Redis as ``bench/run.py`` does (``make services``). It then:

1. migrates the PostgreSQL database ``clinic_bench`` (created when missing, via bench/run.py)
   and replaces the previous run's bench rows with fresh ones: 200 patients with one course
   each, 1,000 booked future sessions (confirmation, pre-session check, two reminders) and
   1,000 completed ones (aftercare, three check-ins, two reviews): 10,000 pending messages,
   all due, half by e-mail and half by SMS;
2. starts ``celery worker --concurrency 2`` (prefork) on Redis, on a queue of its own, with
   the file e-mail and SMS backends under a temporary CLINIC_VAR_DIR (removed at the end)
   and no SMS quiet hours;
3. calls the sweep (``treatments.messaging.tasks.sweep``, batches of MESSAGE_BATCH_SIZE) in this
   process until every bench message is sent or the time is up, measuring the SQL queries
   of one claimed batch with CaptureQueriesContext;
4. prints messages sent per second end to end (from the first sweep to the last message
   recorded as sent), checks that the files hold each message exactly once;
5. then, on the same worker, publishes as many trivial tasks (Celery's own
   ``celery.accumulate``, no result stored) and times them until the queue and its unacked
   set are empty: the bare-Celery rate of this machine in this run, and the outbox's share of
   it. It writes bench/results/messages.json. The worker is always stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
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
    parser.add_argument("--messages", type=int, default=10_000, help="multiple of 10 (10000)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (2)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds to wait (300)")
    args = parser.parse_args(argv)
    if args.messages % 10 or args.messages < 10:
        parser.error("--messages must be a positive multiple of 10")
    return args


def environment(var_dir: Path, queue: str) -> dict[str, str]:
    env = http_bench.bench_env()
    env.update(
        CLINIC_VAR_DIR=str(var_dir),
        CELERY_QUEUE=queue,
        CELERY_RESULT_BACKEND=http_bench.BROKER_URL,
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


def start_worker(env: dict[str, str], queue: str, concurrency: int, log: Path):
    command = [
        str(http_bench.PYTHON), "-m", "celery", "-A", "clinic", "worker",
        "-c", str(concurrency), "-Q", queue, "-n", f"{queue}@%h",
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


def drained(app, queue: str) -> bool:
    """No task waiting in the queue and none taken but not yet acknowledged (acks_late)."""
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        return client.llen(queue) == 0 and client.hlen("unacked") == 0


def bare_celery_rate(app, queue: str, tasks: int, timeout: float) -> float:
    """Trivial tasks a second through the same worker: the ceiling the outbox is held to."""
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


def main(argv=None) -> int:
    args = parse_args(argv)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    queue = f"bench-messages-{uuid.uuid4().hex[:8]}"
    var_dir = Path(tempfile.mkdtemp(prefix="clinic-bench-messages-"))
    env = environment(var_dir, queue)
    http_bench.ensure_database()
    http_bench.manage(env, "migrate", "--no-input", "-v", "0")
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clinic.celery import app
    from treatments.messaging.models import Message
    from treatments.messaging.tasks import sweep

    print(f"Seeding {args.messages:,} due messages in {http_bench.BENCH_DB} ...", flush=True)
    pending = seed(args.messages)
    if pending != args.messages:
        raise BenchError(f"expected {args.messages} pending bench messages, found {pending}")
    bench = Message.objects.filter(patient__last_name=MARK)

    log = RESULTS_DIR / "messages-worker.log"
    worker = start_worker(env, queue, args.concurrency, log)
    sweeps = []
    try:
        started = time.monotonic()
        with CaptureQueriesContext(connection) as queries:
            claimed = sweep()
        sweeps.append(len(claimed))
        batch_queries = len(queries)
        deadline = started + args.timeout
        sent = 0
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise BenchError(f"the worker exited with {worker.returncode}; see {log}")
            claimed = sweep()
            if claimed:
                sweeps.append(len(claimed))
                continue
            sent = bench.filter(status="sent").count()
            if sent + bench.filter(status__in=["failed", "skipped", "cancelled"]).count() >= (
                args.messages
            ):
                break
            time.sleep(0.25)
        elapsed = time.monotonic() - started
        statuses = Counter(bench.values_list("status", flat=True))
        sent = statuses.get("sent", 0)
        print("Timing as many trivial tasks on the same worker ...", flush=True)
        bare_rate = bare_celery_rate(app, queue, args.messages, args.timeout)
    finally:
        stop_worker(worker)
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
        except Exception as exc:  # a leftover queue in the bench's Redis db is harmless
            print(f"note: could not delete queue {queue}: {type(exc).__name__}")

    sent_rows = bench.filter(status="sent")
    try:
        written = delivered(
            var_dir,
            {str(u) for u in sent_rows.filter(channel="email").values_list("public_id", flat=True)},
            set(sent_rows.filter(channel="sms").values_list("provider_id", flat=True)),
        )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)  # 10,000 small files
    result = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "messages": args.messages,
        "worker_concurrency": args.concurrency,
        "batch_size": settings.MESSAGE_BATCH_SIZE,
        "send_batch": settings.MESSAGE_SEND_BATCH,
        "sweeps_with_claims": len(sweeps),
        "sql_queries_per_claimed_batch": batch_queries,
        "sql_of_one_batch": [q["sql"][:120] for q in queries.captured_queries],
        "first_batch_claimed": sweeps[0] if sweeps else 0,
        "seconds": round(elapsed, 2),
        "messages_per_second": round(sent / elapsed, 1) if elapsed else None,
        "bare_celery_tasks_per_second": round(bare_rate, 1),
        "share_of_bare_celery": round(sent / elapsed / bare_rate, 2) if elapsed else None,
        "statuses": dict(statuses),
        "written": written,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "completed": sent == args.messages,
    }
    path = RESULTS_DIR / "messages.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(f"messages sent        {sent:,} of {args.messages:,} in {elapsed:.1f} s")
    print(f"sent/s               {result['messages_per_second']}")
    print(f"bare Celery tasks/s  {result['bare_celery_tasks_per_second']} (same worker, same run)")
    print(f"share of bare Celery {result['share_of_bare_celery']}")
    claimed_first = result["first_batch_claimed"]
    print(f"SQL per batch        {batch_queries} queries for {claimed_first} claimed")
    print(f"written              {written['emails']:,} e-mails ({written['email_duplicates']} "
          f"duplicates), {written['sms']:,} SMS; {written['other_files']} other")  # fmt: skip
    print(f"machine              {os.cpu_count()} CPUs, load average {result['load_average_1m']}")
    print(f"statuses             {dict(statuses)}")
    print(f"results              {path.relative_to(ROOT)}; worker log {log.relative_to(ROOT)}")
    if not result["completed"]:
        print("FAILED: not every message was sent in time")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(2)
