"""Scheduling benchmarks, run inside Django against the bench database.

    python bench/scheduling.py seed      # top the bench up to 20,000 sessions; print context JSON
    python bench/scheduling.py booking   # book N 6-session series through the API; print figures

`bench/run.py` calls both with its environment (DATABASE_URL=.../clinic_bench): `seed` gives it
a practitioner, a busy week and a logged-in session cookie for the calendar targets, and
`booking` measures the median latency and SQL queries of `POST /api/courses/{id}/book/`.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from clinic.clock import clinic_today  # noqa: E402
from clinic.models import Role, User  # noqa: E402
from clinic.tests.factories import UserFactory  # noqa: E402
from patients import services as patient_services  # noqa: E402
from patients import vocabulary  # noqa: E402
from patients.models import Patient  # noqa: E402
from treatments.scheduling.models import Course, Practitioner, Protocol, Room, Session  # noqa: E402

SESSIONS = 20_000
PRACTITIONERS = 10
PER_DAY = (9, 11, 13, 15)  # local hours: four 2-hour sessions a day per practitioner
FIRST_DAY = date(2026, 1, 5)


def seed(total: int = SESSIONS) -> dict:
    """20,000 sessions over 10 practitioners (2,000 each, four a day), created once."""
    practitioners = []
    for i in range(PRACTITIONERS):
        user = UserFactory(username=f"bench-prac-{i}", role=Role.PRACTITIONER)
        practitioner, _ = Practitioner.objects.get_or_create(
            user=user, defaults={"display_name": f"Bench Practitioner {i}"}
        )
        room, _ = Room.objects.get_or_create(name=f"Bench room {i}")
        practitioners.append((practitioner, room))
    existing = Session.objects.filter(practitioner__user__username__startswith="bench-prac-")
    if existing.count() < total:
        _create_sessions(practitioners, total)
    practitioner = practitioners[0][0]
    week = FIRST_DAY + timedelta(weeks=20)
    return {
        "practitioner": practitioner.pk,
        "week": week.isoformat(),
        "start": f"{week.isoformat()}T00:00:00Z",
        "end": f"{(week + timedelta(days=7)).isoformat()}T00:00:00Z",
        "sessionid": _login_cookie(User.objects.get(username="frontdesk")),
        "sessions_total": Session.objects.count(),
    }


@transaction.atomic
def _create_sessions(practitioners, total: int) -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(settings.CLINIC_TIME_ZONE)
    protocol = Protocol.objects.current().get(indication="acne_scars")
    patients = list(Patient.objects.order_by("id").values_list("pk", flat=True)[:2000])
    by = User.objects.get(username="frontdesk")
    per_practitioner = total // len(practitioners)
    rows = []
    for p_index, (practitioner, room) in enumerate(practitioners):
        Session.objects.filter(practitioner=practitioner).delete()
        Course.objects.filter(practitioner=practitioner).delete()
        courses = Course.objects.bulk_create(
            Course(
                patient_id=patients[(p_index * 200 + c) % len(patients)],
                practitioner=practitioner,
                protocol=protocol,
                areas=["cheeks"],
                planned_sessions=10,
                interval_days=28,
                status=Course.Status.BOOKED,
                created_by=by,
            )
            for c in range(per_practitioner // 10)
        )
        for n in range(per_practitioner):
            day = FIRST_DAY + timedelta(days=n // len(PER_DAY))
            start = datetime(day.year, day.month, day.day, PER_DAY[n % len(PER_DAY)], tzinfo=tz)
            course = courses[n // 10]
            rows.append(
                Session(
                    course=course,
                    patient_id=course.patient_id,
                    practitioner=practitioner,
                    room=room,
                    number=n % 10 + 1,
                    starts_at=start.astimezone(UTC),
                    ends_at=(start + timedelta(hours=2)).astimezone(UTC),
                    status=Session.Status.BOOKED,
                )
            )
    Session.objects.bulk_create(rows, batch_size=2000)


def _login_cookie(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(3600)
    store.create()
    return store.session_key


def booking(rounds: int = 15) -> dict:
    """Book `rounds` 6-session series through the API; median latency and SQL queries."""
    desk = User.objects.get(username="frontdesk")
    practitioner_user = User.objects.get(username="practitioner")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(desk)
    protocol = Protocol.objects.current().get(indication="acne_scars")
    patients = Patient.objects.filter(email__startswith="demo.patient.", courses__isnull=True)
    timings, queries = [], []
    start = clinic_today() + timedelta(days=400)
    for patient in patients.order_by("-id")[:rounds]:
        patient_services.intake_submit(
            patient=patient, answers=vocabulary.negative_answers(), areas=["cheeks"], by=desk
        )
        patient_services.consent_sign(
            patient=patient,
            kind="treatment",
            signed_name=patient.full_name,
            agreed=True,
            by=desk,
        )
        course = Course.objects.create(
            patient=patient,
            practitioner=practitioner_user.practitioner,
            protocol=protocol,
            areas=["cheeks"],
            planned_sessions=6,
            interval_days=28,
            created_by=desk,
        )
        proposal = client.get(
            f"/api/courses/{course.public_id}/proposal/", {"start": start.isoformat()}
        ).json()
        body = {"sessions": [{"starts_at": s["starts_at"], "room": s["room"]}
                             for s in proposal["sessions"]]}  # fmt: skip
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.post(
                f"/api/courses/{course.public_id}/book/", body, content_type="application/json"
            )
            timings.append((time.perf_counter() - began) * 1000)
        if response.status_code != 201:
            raise SystemExit(f"booking failed: {response.status_code} {response.content[:300]}")
        queries.append(len(captured))
    return {
        "bookings": len(timings),
        "sessions_per_booking": 6,
        "median_ms": round(statistics.median(timings), 1),
        "p90_ms": round(sorted(timings)[int(len(timings) * 0.9) - 1], 1),
        "queries_per_booking": sorted(set(queries)),
    }


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "seed"
    result = seed() if command == "seed" else booking()
    print(json.dumps(result))
