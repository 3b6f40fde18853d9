"""Reports benchmark: each report's milliseconds and SQL queries on 20,000 sessions.

Run it with ``make bench-reports`` or directly::

    .venv/bin/python bench/reports.py                 # seed (once), then time every report
    .venv/bin/python bench/reports.py --rounds 21 --json

It needs PostgreSQL as ``bench/run.py`` does (``make services``), and seeds with that
script's own helpers: ``prepare`` (the database, ``migrate``, ``seed_demo --patients N``,
``collectstatic``, ``bench/scheduling.py seed``: 20,000 sessions over 10 practitioners, four
2-hour sessions a day from Monday 5 January 2026, and a fresh ``ANALYZE``). Its database is
its own by default, ``clinic_bench_reports`` (``--database-url`` or ``BENCH_REPORTS_DATABASE_URL``),
because it then gives those sessions a clinic's mix, which ``make bench`` does not expect:

* sessions that end before 1 September 2026 are completed (75%), cancelled by the patient
  (10%) or by the clinic (5%), or missed (5%), the rest still booked; one course in ten is
  cancelled as a whole, three in ten completed;
* two messages per session (a booking confirmation and a 24-hour reminder) in every status,
  skipped ones with one of the outbox's reasons;
* 10,000 screening results over the year, every outcome, with findings.

All of it is deterministic and made once (a rerun finds it). Then, inside Django, it times
each report over the widest range the page allows (366 days from 5 January 2026: about
14,600 of the sessions) for the whole clinic and for one practitioner, ``--rounds`` times
(the first run warms up and is not counted), and counts each report's SQL queries; then the
whole page and one CSV download through Django's test client as a manager. It prints a table
(median and worst ms, queries) against the 200 ms target, writes bench/results/reports.json
and ends stdout with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as http_bench  # noqa: E402 - bench/run.py: the database and seeding helpers

ROOT = http_bench.ROOT
RESULTS_DIR = http_bench.RESULTS_DIR
FIRST_DAY = date(2026, 1, 5)  # bench/scheduling.py's first day of sessions
DAYS = 366  # the widest range the page allows (treatments/reports/forms.py LONGEST_DAYS)
MIX_BEFORE = datetime(2026, 9, 1, tzinfo=UTC)  # sessions ending earlier took place
SCREENINGS = 10_000
TARGET_MS = 200.0
MARK = "bench-reports"  # the questionnaire version of the bench's screenings


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11, help="timed runs of each report (11)")
    parser.add_argument("--patients", type=int, default=2000, help="demo patients (2000)")
    http_bench.database_argument(parser, "clinic_bench_reports", "BENCH_REPORTS_DATABASE_URL")
    parser.add_argument("--json", action="store_true", help="the table to stderr")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.patients < 2000:
        parser.error("--rounds must be >= 1 and --patients >= 2000 (the sessions' patients)")
    return args


# --- Outside Django: seed with bench/run.py's helpers, then run the timing inside ----------


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.inside:
        return inside(args)
    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else print
    try:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        env = http_bench.bench_env(args.database_url, http_bench.BROKER_URL)
        http_bench.prepare(env, args.patients)
        done = subprocess.run(
            [sys.executable, __file__, "--inside", "--rounds", str(args.rounds)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False,
        )  # fmt: skip
    except http_bench.BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    if done.returncode != 0:
        print(f"bench/reports.py failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return 1
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    # Timings on a busy machine are not a quiet machine's: say how busy it was.
    figures["load_average_after"] = http_bench.load_average()
    print_table(figures, say)
    path = RESULTS_DIR / "reports.json"
    path.write_text(json.dumps(figures, indent=2))
    say(f"\nWrote {path.relative_to(ROOT)}")
    print(json.dumps(figures))
    return 0 if figures["all_under_target"] else 1


def print_table(figures: dict, say) -> None:
    say(
        f"\nReports on {figures['sessions']:,} sessions ({figures['sessions_in_range']:,} in "
        f"the {DAYS} days from {FIRST_DAY:%d %B %Y}), {figures['rounds']} runs each; "
        f"load average after: {figures['load_average_after']}"
    )
    say(f"{'report':<34}{'median ms':>10}{'worst ms':>10}{'queries':>9}  under {TARGET_MS:g} ms")
    for name, row in figures["reports"].items():
        ok = "yes" if row["median_ms"] <= TARGET_MS else "NO"
        say(f"{name:<34}{row['median_ms']:>10.1f}{row['worst_ms']:>10.1f}{row['queries']:>9}  {ok}")


# --- Inside Django ------------------------------------------------------------------------


def inside(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    sys.path.insert(0, str(ROOT))
    import django  # the inner process alone starts Django

    django.setup()
    from django.db import connection

    seed_mix()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(json.dumps(measure(args.rounds)))
    return 0


def seed_mix() -> None:
    """Statuses, cancellations, messages and screenings for bench/scheduling.py's sessions:
    deterministic (by id), made once."""
    from django.db import transaction
    from django.db.models import F

    from clinic.models import User
    from patients.models import IntakeSubmission, Patient, ScreeningResult
    from treatments.messaging.models import Message
    from treatments.scheduling.models import Course, Session

    bench = Session.objects.filter(practitioner__user__username__startswith="bench-prac-")
    past = bench.filter(ends_at__lt=MIX_BEFORE).annotate(slot=F("id") % 20)
    with transaction.atomic():
        past.filter(slot__lt=15).update(status="completed")
        past.filter(slot__in=(15, 16)).update(
            status="cancelled", cancel_reason="Bench", cancel_initiated_by="patient"
        )
        past.filter(slot=17).update(
            status="cancelled", cancel_reason="Bench", cancel_initiated_by="clinic"
        )
        past.filter(slot=18).update(status="no_show")
        courses = Course.objects.filter(
            practitioner__user__username__startswith="bench-prac-"
        ).annotate(slot=F("id") % 10)
        courses.filter(slot=0).update(
            status="cancelled",
            cancel_reason="Bench",
            cancel_initiated_by="patient",
            cancelled_at=F("created_at"),
        )
        courses.filter(slot__in=(1, 2, 3)).update(status="completed")

    if not Message.objects.filter(session__in=bench).exists():
        statuses = ["sent"] * 14 + ["skipped", "skipped", "failed", "pending", "cancelled", "sent"]
        reasons = [
            "The patient has not agreed to e-mail or SMS.",
            "The patient's record is archived.",
        ]
        rows = []
        for pk, patient_id, starts_at in bench.values_list("pk", "patient_id", "starts_at"):
            for kind, due in (("booking_confirmation", starts_at - timedelta(days=28)),
                              ("reminder_24h", starts_at - timedelta(days=1))):  # fmt: skip
                status = statuses[(pk + len(kind)) % len(statuses)]
                rows.append(
                    Message(
                        patient_id=patient_id,
                        session_id=pk,
                        kind=kind,
                        channel="email" if pk % 3 else "sms",
                        due_at=due,
                        status=status,
                        sent_at=due if status == "sent" else None,
                        last_error=reasons[pk % 2] if status == "skipped" else "",
                    )
                )
        Message.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)

    if not IntakeSubmission.objects.filter(questionnaire_version=MARK).exists():
        by = User.objects.get(username="frontdesk")
        patients = list(Patient.objects.order_by("id").values_list("pk", flat=True)[:2000])
        findings = [
            ("cleared", []),
            ("cleared", [{"rule": "fitzpatrick_iv_vi", "outcome": "advise"}]),
            ("review", [{"rule": "hsv_history", "outcome": "review"}]),
            (
                "review",
                [
                    {"rule": "anticoagulants", "outcome": "review"},
                    {"rule": "keloid_history", "outcome": "review"},
                ],
            ),  # fmt: skip
            (
                "defer",
                [
                    {"rule": "active_cold_sore", "outcome": "defer"},
                    {"rule": "hsv_history", "outcome": "review"},
                ],
            ),  # fmt: skip
            ("blocked", [{"rule": "pregnancy", "outcome": "blocked"}]),
        ]
        start = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, 8, tzinfo=UTC)
        with transaction.atomic():
            intakes = IntakeSubmission.objects.bulk_create(
                IntakeSubmission(
                    patient_id=patients[n % len(patients)],
                    answers={},
                    areas=["cheeks"],
                    questionnaire_version=MARK,
                    submitted_by=by,
                    submitted_at=start + timedelta(minutes=52 * n),
                )
                for n in range(SCREENINGS)
            )
            results = []
            for n, intake in enumerate(intakes):
                outcome, found = findings[n % len(findings)]
                at = intake.submitted_at
                defer = (at + timedelta(days=14)).date() if outcome == "defer" else None
                results.append(
                    ScreeningResult(
                        submission=intake,
                        patient_id=intake.patient_id,
                        outcome=outcome,
                        findings=[{**f, "message": "bench", "defer_until": None} for f in found],
                        ruleset_version="bench",
                        screened_at=at,
                        valid_until=(at + timedelta(days=7)).date(),
                        defer_until=defer,
                    )
                )
            ScreeningResult.objects.bulk_create(results, batch_size=5000)


def measure(rounds: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from clinic.models import Role
    from clinic.tests.factories import UserFactory
    from treatments.reports import sections
    from treatments.reports.selectors import Period, Scope
    from treatments.scheduling.models import Practitioner, Session
    from treatments.scheduling.selectors import local_day_bounds

    period = Period(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1))
    one = Practitioner.objects.get(user__username="bench-prac-0")
    scopes = {"clinic": Scope(), "one practitioner": Scope(one.pk)}

    def timed(call) -> dict:
        call()  # warm up: the first run pays for plans and caches
        times = []
        for _ in range(rounds):
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                call()
                times.append((time.perf_counter() - began) * 1000)
        return {
            "median_ms": round(statistics.median(times), 1),
            "worst_ms": round(max(times), 1),
            "queries": len(captured),
        }

    reports = {}
    for label, scope in scopes.items():
        for name, make in sections.SECTIONS.items():
            reports[f"{name} ({label})"] = timed(lambda make=make, scope=scope: make(period, scope))

    manager = UserFactory(username="bench-reports-manager", role=Role.MANAGER)
    client = Client(HTTP_HOST="127.0.0.1")  # bench/run.py's ALLOWED_HOSTS
    client.force_login(manager)
    query = {"since": period.first.isoformat(), "until": period.last.isoformat()}

    def page():
        assert client.get("/reports/", query).status_code == 200

    def download():
        assert client.get("/reports/export.csv", {**query, "table": "sessions"}).status_code == 200

    whole = {"the whole page (every report)": timed(page), "one CSV download": timed(download)}
    start, end = local_day_bounds(period.first, period.last)
    in_range = Session.objects.filter(starts_at__gte=start, starts_at__lt=end)
    return {
        "sessions": Session.objects.count(),
        "sessions_in_range": in_range.count(),
        "rounds": rounds,
        "reports": reports | whole,
        "all_under_target": all(r["median_ms"] <= TARGET_MS for r in reports.values()),
    }


if __name__ == "__main__":
    sys.exit(main())
