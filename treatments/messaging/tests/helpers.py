"""Helpers for the outbox tests: booking and completing through the services at a chosen
moment, due messages in bulk, and reading what the file backends delivered."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from django.utils import timezone

from clinic.celery import app
from patients import services as patient_services
from patients.tests.helpers import clear_answers
from treatments.messaging import tasks
from treatments.messaging.models import SESSION_KINDS, Message, channels_for
from treatments.scheduling import charting, services
from treatments.scheduling.models import Course, Session
from treatments.scheduling.tests.check_in_helpers import check_in

LONDON = ZoneInfo("Europe/London")
RECORDS = [
    charting.AreaRecord(
        area="cheeks", device_setting_mm=Decimal("1.50"), passes=4, cartridge_lot="LOT-7"
    )
]


def local(y, m, d, h, minute=0) -> dt.datetime:
    return dt.datetime(y, m, d, h, minute, tzinfo=LONDON)


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def book(clinic, *, by, practitioner_user, protocol, starts, booked_at, patient=None, **fields):
    """Book a course with sessions at `starts` (aware), as it was at `booked_at`."""
    with at(booked_at):
        patient = patient or clinic.screened_patient(by, **fields)
        course = services.course_create(
            patient=patient,
            practitioner=clinic.practitioner,
            protocol=protocol,
            areas=["cheeks"],
            sessions=len(starts),
            interval_days=28,
            by=practitioner_user,
        )
        slots = [services.SlotRequest(starts_at=s, room=clinic.rooms[0]) for s in starts]
        return services.course_book(course=course, slots=slots, by=by)


def complete(session, *, by, practitioner_user, when):
    """Screen again, check in and complete `session` at `when` (after its start)."""
    with at(when):
        patient_services.intake_submit(
            patient=session.patient, answers=clear_answers(), areas=["cheeks"], by=by
        )
        check_in(session, by=by)
        return charting.session_complete(session=session, records=RECORDS, by=practitioner_user)


def next_monday(after: dt.datetime) -> dt.date:
    day = after.astimezone(LONDON).date() + dt.timedelta(days=1)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def work_outbox() -> list[int]:
    """One beat tick and the worker, in this process: the sweep claims what is due and,
    after its commit, each send task runs at once (Celery's eager mode), as the worker would
    run it. Only SMTP and the SMS provider are stand-ins (the test settings' backends).
    Returns the ids the sweep claimed."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return tasks.sweep()
    finally:
        app.conf.task_always_eager = eager


def make_due(queryset=None) -> int:
    """Move pending messages' due time to a minute ago (real time), as if their moment came."""
    queryset = queryset if queryset is not None else Message.objects.all()
    return queryset.filter(status=Message.Status.PENDING).update(
        due_at=timezone.now() - dt.timedelta(minutes=1), enqueued_at=None
    )


def bulk_due_messages(count: int, *, clinic, patient, by, protocol) -> list[Message]:
    """`count` pending messages due a minute ago, 23 per (completed) session: every cadence
    kind on each of its channels. Written directly: these tests are about claiming, not
    scheduling."""
    course = Course.objects.create(
        patient=patient,
        practitioner=clinic.practitioner,
        protocol=protocol,
        areas=["cheeks"],
        planned_sessions=1,
        interval_days=28,
        created_by=by,
    )
    due = timezone.now() - dt.timedelta(minutes=1)
    combos = [(k, c) for k in SESSION_KINDS for c in channels_for(k)]
    messages = []
    number = 0
    while len(messages) < count:
        number += 1
        start = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC) + dt.timedelta(days=number)
        session = Session.objects.create(
            course=course,
            patient=patient,
            practitioner=clinic.practitioner,
            room=clinic.rooms[0],
            number=number,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            status=Session.Status.COMPLETED,
        )
        for kind, channel in combos[: count - len(messages)]:
            messages.append(
                Message(patient=patient, session=session, kind=kind, channel=channel, due_at=due)
            )
    return Message.objects.bulk_create(messages)


def wait_until(condition, *, timeout: float, interval: float = 0.2, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout:g} s: {message or condition}")


def delivered_emails(mail_dir: Path) -> Counter:
    """How many times each message (by its X-Clinic-Message id) was written by Django's file
    e-mail backend (one file may hold several e-mails)."""
    counts: Counter = Counter()
    if not mail_dir.exists():
        return counts
    for path in mail_dir.iterdir():
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("X-Clinic-Message: "):
                counts[line.split(": ", 1)[1].strip()] += 1
    return counts


def delivered_sms(sms_dir: Path) -> dict[str, str]:
    """Provider id → file text, for every SMS the file backend wrote."""
    if not sms_dir.exists():
        return {}
    return {p.stem: p.read_text() for p in sms_dir.glob("*.txt")}
