"""Import benchmark: 10,000 patients from one CSV through a real Celery worker, end to end.

Run it with ``make bench-import`` or directly::

    .venv/bin/python bench/import_patients.py                 # 10,000 rows
    .venv/bin/python bench/import_patients.py --rows 2000 --timeout 120

It needs PostgreSQL and Redis (``make services``). The database is its own,
``clinic_bench_import`` (``--database-url`` or ``BENCH_IMPORT_DATABASE_URL``), so the imported
patients never skew ``make bench``; the broker is bench/run.py's Redis db 14 (``--broker-url``
or ``BENCH_BROKER_URL``), on a queue of its own. It:

1. migrates the database and removes an earlier run's bench patients (last name
   ``Importbench``) with their import jobs;
2. writes a CSV as Excel's "CSV UTF-8" does (byte-order mark, CRLF, semicolons) with
   ``--rows`` distinct, valid patients;
3. starts one ``celery worker --pool solo`` on the queue and waits until it answers a ping;
4. uploads the file and chooses the columns through the services the pages call, and waits
   for the worker's dry run (every row checked, one query for the duplicates), timed;
5. starts the import (the task is enqueued after the commit, as the page does) and waits
   until the worker has finished it; the clock runs from the start to the job's
   ``finished_at``;
6. imports the same file again (every row a duplicate: nothing created), timed the same way.

It prints rows per second and total seconds of each step, checks that the first import
created every row and the second none, and writes the figures to
bench/results/import.json (the worker's log beside it). Exit status 1 when a check fails or
the import took a minute or more. The worker is always stopped.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import json
import os
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import messages as outbox_bench  # noqa: E402 - its worker helpers
import run as http_bench  # noqa: E402 - the database and environment helpers

ROOT = http_bench.ROOT
RESULTS_DIR = http_bench.RESULTS_DIR
BenchError = http_bench.BenchError
MARK = "Importbench"  # the last name of every bench patient: how a rerun finds its rows
TARGET_SECONDS = 60
BORN_FROM = date(1940, 1, 1)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="patients in the file (10000)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds to wait per import")
    http_bench.database_argument(parser, "clinic_bench_import", "BENCH_IMPORT_DATABASE_URL")
    http_bench.broker_argument(parser)
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    return args


def csv_file(rows: int) -> bytes:
    """Excel's "CSV UTF-8" with semicolons: `rows` distinct patients, each valid, born on
    days spread over 60 years as a clinic's patients are (few share a birthday)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["First name", "Surname", "Date of birth", "Email", "Mobile",
                     "Email consent", "SMS consent"])  # fmt: skip
    for n in range(rows):
        writer.writerow([
            f"Bench{n}", MARK, (BORN_FROM + timedelta(days=n * 7919 % 21900)).strftime("%d/%m/%Y"),
            f"import.bench.{n}@example.com", f"07911 {n % 1_000_000:06d}", "yes", "yes",
        ])  # fmt: skip
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def clean_up() -> int:
    """Remove an earlier run's bench patients and their jobs; returns how many patients."""
    from django.db import transaction

    from patients.imports.models import PatientImport, PatientImportRow
    from patients.models import Patient

    with transaction.atomic():
        bench = Patient.objects.filter(last_name=MARK)
        jobs = PatientImportRow.objects.filter(patient__in=bench).values("job_id")
        PatientImport.objects.filter(pk__in=jobs).delete()  # their rows go with them
        PatientImport.objects.filter(created_by__username="bench-import").delete()
        return bench.delete()[0]


def manager():
    from django.contrib.auth.models import Group

    from clinic.models import Role, User

    user, _ = User.objects.get_or_create(
        username="bench-import", defaults={"first_name": "Bench", "last_name": "Manager"}
    )
    user.groups.add(Group.objects.get(name=Role.MANAGER))
    return User.objects.get(pk=user.pk)  # roles not cached from before


def import_once(data: bytes, by, timeout: float, say) -> dict:
    """Upload, map (the dry run), start, and wait for the worker. Returns the figures."""
    from patients.imports import services
    from patients.imports.models import PatientImport

    def wait(job, statuses):
        deadline = time.monotonic() + timeout
        while job.status not in statuses:
            if time.monotonic() > deadline:
                raise BenchError(f"the import is still {job.status} after {timeout} s")
            time.sleep(0.1)
            job = PatientImport.objects.defer("content", "preview", "cleaned").get(pk=job.pk)
        return job

    started = time.monotonic()
    job = services.patient_import_upload(data=data, by=by)
    uploaded = time.monotonic()
    # The worker checks every row (the dry run) once this commits.
    job = services.patient_import_map(job=job, mapping=dict(job.mapping), by=by)
    job = wait(job, [PatientImport.Status.MAPPED, *PatientImport.FINISHED])
    checked = time.monotonic()
    say(f"  dry run of {job.total_rows:,} rows: {checked - uploaded:.2f} s; importing ...")
    job = services.patient_import_start(job=job, by=by)  # enqueued when this commits
    job = wait(job, PatientImport.FINISHED)
    import_seconds = (job.finished_at - job.started_at).total_seconds()
    if job.status != PatientImport.Status.DONE:
        raise BenchError(f"the import ended {job.status}: {job.failure}")
    return {
        "rows": job.total_rows,
        "upload_seconds": round(uploaded - started, 2),
        "dry_run_seconds": round(checked - uploaded, 2),
        "import_seconds": round(import_seconds, 2),
        "rows_per_s": round(job.total_rows / max(import_seconds, 1e-3), 1),
        "total_seconds": round(time.monotonic() - started, 2),
        "created": job.created_count,
        "duplicates": job.duplicate_count,
        "invalid": job.invalid_count,
        "attempts": job.attempts,
        "file_deleted": not bytes(
            PatientImport.objects.values_list("content", flat=True).get(pk=job.pk)
        ),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    say = print
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    queue = f"bench-import-{uuid.uuid4().hex[:8]}"
    env = http_bench.bench_env(args.database_url, args.broker_url)
    env.update(CELERY_QUEUE=queue, LOG_LEVEL="WARNING")
    http_bench.ensure_database(args.database_url)
    http_bench.manage(env, "migrate", "--no-input", "-v", "0")
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from clinic.celery import app

    removed = clean_up()
    if removed:
        say(f"Removed {removed:,} bench patients of an earlier run.")
    data = csv_file(args.rows)
    by = manager()
    load_before = round(os.getloadavg()[0], 2)
    log = RESULTS_DIR / "import-worker.log"
    name = f"{queue}-1"
    worker = outbox_bench.start_worker(env, name, queue, 1, log)
    try:
        outbox_bench.wait_until_ready(app, [name], [worker], timeout=60)
        say(f"First import of {args.rows:,} new patients ({len(data) / 1024:.0f} KiB):")
        first = import_once(data, by, args.timeout, say)
        say("The same file again (every row already registered):")
        second = import_once(data, by, args.timeout, say)
    finally:
        outbox_bench.stop_worker(worker)
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
        except Exception as exc:  # a leftover queue in the bench's Redis db is harmless
            say(f"note: could not delete queue {queue}: {type(exc).__name__}")
    ok = (
        first["created"] == args.rows
        and second["created"] == 0
        and second["duplicates"] == args.rows
        and first["file_deleted"]
        and second["file_deleted"]
    )
    fast = first["total_seconds"] < TARGET_SECONDS
    result = {
        "rows": args.rows,
        "first": first,
        "again": second,
        "created_each_once": ok,
        "under_a_minute": fast,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_1m_before": load_before,
        "cpus": os.cpu_count(),
    }
    path = RESULTS_DIR / "import.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    say()
    say(f"{'run':>6} {'rows':>7} {'dry run s':>9} {'import s':>9} {'rows/s':>8} {'total s':>8} "
        f"{'created':>8} {'dupes':>7}")  # fmt: skip
    for label, run in (("first", first), ("again", second)):
        say(
            f"{label:>6} {run['rows']:>7,} {run['dry_run_seconds']:>9} {run['import_seconds']:>9} "
            f"{run['rows_per_s']:>8} {run['total_seconds']:>8} {run['created']:>8,} "
            f"{run['duplicates']:>7,}"
        )
    say(f"rows/s: {first['rows_per_s']} (the worker's import); total seconds: "
        f"{first['total_seconds']} (upload, dry run, import; target {TARGET_SECONDS})")  # fmt: skip
    say(f"machine: {os.cpu_count()} CPUs, load average before {load_before}")
    say(f"results: {path.relative_to(ROOT)}; worker log {log.relative_to(ROOT)}")
    if not ok:
        say("FAILED: the first import did not create every row once, or the second created some")
    if not fast:
        say(f"FAILED: {args.rows:,} rows took {first['total_seconds']} s, not < {TARGET_SECONDS}")
    return 0 if ok and fast else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(2)
