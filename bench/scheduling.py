"""Scheduling benchmarks, run inside Django against the bench database.

    python bench/scheduling.py seed      # top the bench up; print the context JSON
    python bench/scheduling.py booking   # book series of 1, 3 and 6 sessions; print figures
    python bench/scheduling.py proposal  # propose a series for the busy practitioner; figures

`bench/run.py` calls them with its environment (DATABASE_URL=.../clinic_bench). `seed` gives
it a practitioner, a busy week and a logged-in session cookie for the calendar targets, and a
planned course of a busy practitioner (1,000 sessions in the proposal's window) for the
proposal target. `booking` and `proposal` time the API requests one at a time with Django's
test client and an API token (the whole request: middleware, token and roles, the view and
the service), and count their SQL queries.

Every command can run again: `seed` creates what is missing and re-seeds the busy
practitioner's calendar only when fewer than 1,000 of its sessions lie in the window from
tomorrow; `booking` deletes the series the previous run booked (and their messages) before it
starts and after it ends, so runs start from the same data.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

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

from clinic import tokens  # noqa: E402
from clinic.clock import clinic_today  # noqa: E402
from clinic.models import ApiToken, Role, User  # noqa: E402
from clinic.tests.factories import UserFactory  # noqa: E402
from patients import selectors as patient_selectors  # noqa: E402
from patients import services as patient_services  # noqa: E402
from patients import vocabulary  # noqa: E402
from patients.models import Patient  # noqa: E402
from treatments.messaging.models import Message  # noqa: E402
from treatments.scheduling.models import (  # noqa: E402
    Course,
    Practitioner,
    Protocol,
    Room,
    Session,
    WorkingHours,
)
from treatments.scheduling.services import PLANNING_SLACK_DAYS  # noqa: E402

SESSIONS = 20_000
PRACTITIONERS = 10
PER_DAY = (9, 11, 13, 15)  # local hours: four 2-hour sessions a day per practitioner
FIRST_DAY = date(2026, 1, 5)

# The booking series: how many sessions, and how many bookings of each are timed.
BOOKING_SIZES = (1, 3, 6)
BOOKINGS_EACH = 15
BOOKING_DAYS_AHEAD = 30
# The proposal: a 6-session course 28 days apart of a practitioner with BUSY sessions in its
# window (6 × 28 + PLANNING_SLACK_DAYS days from tomorrow): one-hour sessions from 08:00 to
# 14:00 on every weekday, leaving 14:00-18:00 for the 2-hour sessions the planner looks for.
BUSY = 1_000
BUSY_HOURS = (8, 9, 10, 11, 12, 13)
PROPOSAL_SESSIONS, PROPOSAL_INTERVAL = 6, 28
PROPOSALS = 21
WORKDAY = (0, 1, 2, 3, 4)
LABEL = "bench/scheduling.py"  # the label of its API tokens, replaced each run


def seed(total: int = SESSIONS) -> dict:
    """20,000 sessions over 10 practitioners (2,000 each, four a day), created once; the
    booking practitioner and patients; the busy practitioner and the course to propose."""
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
    _practitioner("bench-booker", "Bench Booker", clock_time(9), clock_time(17))
    for i in range(BOOKINGS_EACH * len(BOOKING_SIZES)):
        _patient(f"bench.book.{i}@example.com", "Benchbook")
    proposing = _proposal_context()
    practitioner = practitioners[0][0]
    week = FIRST_DAY + timedelta(weeks=20)
    return {
        "practitioner": practitioner.pk,
        "week": week.isoformat(),
        "start": f"{week.isoformat()}T00:00:00Z",
        "end": f"{(week + timedelta(days=7)).isoformat()}T00:00:00Z",
        "sessionid": _login_cookie(User.objects.get(username="frontdesk")),
        "sessions_total": Session.objects.count(),
        **proposing,
    }


def _proposal_context() -> dict:
    """The busy practitioner, with BUSY sessions in the window from tomorrow (re-seeded when
    fewer), and their planned course to propose a series for."""
    busy = _practitioner("bench-busy", "Bench Busy", clock_time(8), clock_time(18))
    start, end = _proposal_window()
    in_window = _busy_sessions(busy, start, end)
    if in_window < BUSY:
        _create_busy_calendar(busy)
        in_window = _busy_sessions(busy, start, end)
    return {
        "proposal_course": str(_proposal_course(busy).public_id),
        "proposal_start": start.isoformat(),
        "busy_sessions_in_window": in_window,
    }


@transaction.atomic
def _create_sessions(practitioners, total: int) -> None:
    tz = ZoneInfo(settings.CLINIC_TIME_ZONE)
    protocol = Protocol.objects.current().get(indication="acne_scars")
    patients = list(Patient.objects.order_by("id").values_list("pk", flat=True)[:2000])
    by = User.objects.get(username="frontdesk")
    per_practitioner = total // len(practitioners)
    rows = []
    for p_index, (practitioner, room) in enumerate(practitioners):
        Session.objects.filter(practitioner=practitioner).delete()
        Course.objects.filter(practitioner=practitioner).delete()
        courses = _booked_courses(
            practitioner,
            protocol,
            by,
            [patients[(p_index * 200 + c) % len(patients)] for c in range(per_practitioner // 10)],
        )
        for n in range(per_practitioner):
            day = FIRST_DAY + timedelta(days=n // len(PER_DAY))
            start = datetime(day.year, day.month, day.day, PER_DAY[n % len(PER_DAY)], tzinfo=tz)
            course = courses[n // 10]
            rows.append(_booked_session(course, room, n % 10 + 1, start, timedelta(hours=2)))
    Session.objects.bulk_create(rows, batch_size=2000)


def _booked_courses(practitioner, protocol, by, patient_ids) -> list[Course]:
    """One booked 10-session course on the cheeks per patient id, in one INSERT."""
    return Course.objects.bulk_create(
        Course(
            patient_id=patient_id,
            practitioner=practitioner,
            protocol=protocol,
            areas=["cheeks"],
            planned_sessions=10,
            interval_days=28,
            status=Course.Status.BOOKED,
            created_by=by,
        )
        for patient_id in patient_ids
    )


def _booked_session(course: Course, room, number: int, start: datetime, length) -> Session:
    """A booked session of `course` with its practitioner, from local `start`."""
    return Session(
        course=course,
        patient_id=course.patient_id,
        practitioner=course.practitioner,
        room=room,
        number=number,
        starts_at=start.astimezone(UTC),
        ends_at=(start + length).astimezone(UTC),
        status=Session.Status.BOOKED,
    )


def _practitioner(username: str, name: str, opens: clock_time, closes: clock_time):
    """A practitioner of the bench's own, working Monday to Friday from `opens` to `closes`."""
    user = UserFactory(username=username, role=Role.PRACTITIONER)
    practitioner, _ = Practitioner.objects.get_or_create(user=user, defaults={"display_name": name})
    for weekday in WORKDAY:
        WorkingHours.objects.get_or_create(
            practitioner=practitioner, weekday=weekday, defaults={"start": opens, "end": closes}
        )
    return practitioner


def _patient(email: str, last_name: str) -> Patient:
    patient, _ = Patient.objects.get_or_create(
        email=email,
        defaults={
            "first_name": email.split("@")[0].replace(".", " ").title().replace(" ", ""),
            "last_name": last_name,
            "date_of_birth": date(1990, 1, 1),
        },
    )
    return patient


def _cleared(patient: Patient, desk: User) -> Patient:
    """Screened and consenting for a new course on the cheeks today (an intake and a consent
    only when the clearance rule asks for them: an older intake stands for six months)."""
    if patient_selectors.clearance(patient=patient, areas=["cheeks"], new_course=True):
        return patient
    patient_services.intake_submit(
        patient=patient, answers=vocabulary.negative_answers(), areas=["cheeks"], by=desk
    )
    if not patient_selectors.has_current_treatment_consent(patient):
        patient_services.consent_sign(
            patient=patient, kind="treatment", signed_name=patient.full_name, agreed=True, by=desk
        )
    return patient


def _proposal_window() -> tuple[date, date]:
    start = clinic_today() + timedelta(days=1)
    span = PROPOSAL_SESSIONS * PROPOSAL_INTERVAL + PLANNING_SLACK_DAYS
    return start, start + timedelta(days=span)


def _local(day: date, hour: int) -> datetime:
    return datetime.combine(day, clock_time(hour), ZoneInfo(settings.CLINIC_TIME_ZONE))


def _busy_sessions(practitioner: Practitioner, start: date, end: date) -> int:
    return (
        Session.objects.active()
        .filter(
            practitioner=practitioner,
            starts_at__gte=_local(start, 0),
            starts_at__lt=_local(end, 0),
        )
        .count()
    )


@transaction.atomic
def _create_busy_calendar(practitioner: Practitioner) -> None:
    """BUSY one-hour sessions from tomorrow, six a weekday, in a room of their own, for
    demo patients (ten sessions to a course); the practitioner's earlier ones are replaced."""
    protocol = Protocol.objects.current().get(indication="acne_scars")
    room, _ = Room.objects.get_or_create(name="Bench busy room")
    desk = User.objects.get(username="frontdesk")
    Session.objects.filter(practitioner=practitioner).delete()
    Course.objects.filter(practitioner=practitioner).exclude(status=Course.Status.PLANNED).delete()
    patients = list(
        Patient.objects.filter(email__startswith="demo.patient.")
        .order_by("id")
        .values_list("pk", flat=True)[: BUSY // 10]
    )
    courses = _booked_courses(practitioner, protocol, desk, patients)
    rows, day = [], _proposal_window()[0]
    while len(rows) < BUSY:
        if day.weekday() in WORKDAY:
            for hour in BUSY_HOURS[: BUSY - len(rows)]:
                start = _local(day, hour)
                course = courses[len(rows) // 10]
                number = len(rows) % 10 + 1
                rows.append(_booked_session(course, room, number, start, timedelta(hours=1)))
        day += timedelta(days=1)
    Session.objects.bulk_create(rows, batch_size=2000)


def _proposal_course(practitioner: Practitioner) -> Course:
    """A planned 6-session course of a cleared patient with the busy practitioner."""
    desk = User.objects.get(username="frontdesk")
    patient = _cleared(_patient("bench.proposal@example.com", "Benchproposal"), desk)
    course = Course.objects.filter(
        patient=patient, practitioner=practitioner, status=Course.Status.PLANNED
    ).first()
    return course or Course.objects.create(
        patient=patient,
        practitioner=practitioner,
        protocol=Protocol.objects.current().get(indication="acne_scars"),
        areas=["cheeks"],
        planned_sessions=PROPOSAL_SESSIONS,
        interval_days=PROPOSAL_INTERVAL,
        created_by=desk,
    )


def _login_cookie(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "clinic.backends.AccountBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(3600)
    store.create()
    return store.session_key


def _api_client(user: User) -> Client:
    """A client with a new API token of `user` (the bench's earlier tokens deleted)."""
    ApiToken.objects.filter(user=user, label=LABEL).delete()
    _, key = tokens.token_issue(user=user, label=LABEL)
    return Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Token {key}"})


def _figures(timings: list[float], queries: list[int]) -> dict:
    ordered = sorted(timings)
    return {
        "requests": len(timings),
        "p50_ms": round(statistics.median(timings), 1),
        "p90_ms": round(ordered[max(0, int(len(ordered) * 0.9) - 1)], 1),
        "queries": sorted(set(queries)),
    }


def _forget_bookings(practitioner: Practitioner) -> None:
    """The series an earlier run booked with the booking practitioner, gone with their
    messages, so every run books into the same calendar."""
    sessions = Session.objects.filter(practitioner=practitioner)
    Message.objects.filter(session__in=sessions).delete()
    sessions.delete()
    Course.objects.filter(practitioner=practitioner).delete()


def booking(rounds: int = BOOKINGS_EACH) -> dict:
    """Book `rounds` series of 1, 3 and 6 sessions through the API (each on slots the
    proposal found) and time each POST; its median and p90 latency and SQL queries."""
    desk = User.objects.get(username="frontdesk")
    booker = Practitioner.objects.get(user__username="bench-booker")
    protocol = Protocol.objects.current().get(indication="acne_scars")
    client = _api_client(desk)
    start = clinic_today() + timedelta(days=BOOKING_DAYS_AHEAD)
    _forget_bookings(booker)
    patients = iter(Patient.objects.filter(last_name="Benchbook").order_by("email"))
    figures = {}
    try:
        for size in BOOKING_SIZES:
            timings, queries = [], []
            for _ in range(rounds):
                course = Course.objects.create(
                    patient=_cleared(next(patients), desk),
                    practitioner=booker,
                    protocol=protocol,
                    areas=["cheeks"],
                    planned_sessions=size,
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
                        f"/api/courses/{course.public_id}/book/",
                        body,
                        content_type="application/json",
                    )
                    timings.append((time.perf_counter() - began) * 1000)
                if response.status_code != 201:
                    raise SystemExit(
                        f"booking failed: {response.status_code} {response.content[:300]}"
                    )
                queries.append(len(captured))
            figures[str(size)] = _figures(timings, queries)
    finally:
        _forget_bookings(booker)
    return {"bookings_each": rounds, "by_sessions": figures}


def proposal(rounds: int = PROPOSALS) -> dict:
    """Ask `rounds` times for the busy practitioner's course's proposal through the API; its
    median and p90 latency and SQL queries, and how many sessions lie in its window."""
    context = _proposal_context()
    client = _api_client(User.objects.get(username="frontdesk"))
    url = f"/api/courses/{context['proposal_course']}/proposal/"
    timings, queries = [], []
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(url, {"start": context["proposal_start"]})
            timings.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"proposal failed: {response.status_code} {response.content[:300]}")
        queries.append(len(captured))
    start, end = _proposal_window()
    return {
        **_figures(timings, queries),
        "practitioner_sessions_in_window": context["busy_sessions_in_window"],
        "all_sessions_in_window": Session.objects.active()
        .filter(starts_at__gte=_local(start, 0), starts_at__lt=_local(end, 0))
        .count(),
        "window_days": (end - start).days,
    }


COMMANDS = {"seed": seed, "booking": booking, "proposal": proposal}

if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "seed"
    if command not in COMMANDS:
        raise SystemExit(f"usage: bench/scheduling.py {{{','.join(COMMANDS)}}}")
    print(json.dumps(COMMANDS[command]()))
