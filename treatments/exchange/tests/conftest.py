"""A patient with something of everything the clinic holds, at a fixed clock.

The clock: 1 March 2027, 09:30 UTC (GMT in London). Alice Morgan has a clear intake, a
pre-session check that needs review (signed off), a deferral, two treatment consents (the
first replaced) and marketing, three sessions (one completed and charted, one cancelled, one
booked) with a practitioner, a room and a pen, and two messages sent (and one pending).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from clinic.tokens import token_issue
from patients import services as patient_services
from patients.models import IntakeSubmission
from patients.tests.factories import PatientFactory
from patients.tests.helpers import clear_answers
from treatments.messaging.models import Message
from treatments.scheduling.models import Session, SessionRecord
from treatments.scheduling.tests.factories import (
    CourseFactory,
    DeviceFactory,
    PractitionerFactory,
    RoomFactory,
    SessionFactory,
)

NOW = dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC)


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def token_client(front_desk_user, clock):
    """Front desk with an API token, as a script would call the API."""
    _, key = token_issue(user=front_desk_user, label="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def pen(db):
    return DeviceFactory(name="Pen 1", manufacturer="Crown Aesthetics", serial="SP-0001")


@pytest.fixture
def prac(practitioner_user):
    return PractitionerFactory(user=practitioner_user, display_name="Priya Shah")


class Record:
    """Builds a patient's record through the services where there are some."""

    def __init__(self, *, front_desk, practitioner, device, clock) -> None:
        self.front_desk = front_desk
        self.practitioner = practitioner
        self.device = device
        self.clock = clock

    def patient(self, **fields):
        fields.setdefault("first_name", "Alice")
        fields.setdefault("last_name", "Morgan")
        fields.setdefault("date_of_birth", dt.date(1985, 3, 14))
        fields.setdefault("fitzpatrick", "III")
        return PatientFactory(**fields)

    def intake(self, patient, *, areas=("cheeks",), **answers):
        return patient_services.intake_submit(
            patient=patient, answers=clear_answers(**answers), areas=list(areas), by=self.front_desk
        )

    def consent(self, patient, kind="treatment"):
        return patient_services.consent_sign(
            patient=patient,
            kind=kind,
            signed_name=patient.full_name,
            agreed=True,
            by=self.front_desk,
        )

    def course(self, patient, practitioner=None):
        return CourseFactory(
            patient=patient,
            practitioner=practitioner or self.practitioner,
            areas=["cheeks", "forehead"],
        )

    def session(
        self, course, when, status=Session.Status.BOOKED, room="Room A", device=None, **fields
    ):
        return SessionFactory(
            course=course,
            room=RoomFactory(name=room),
            device=device or self.device,
            starts_at=when,
            status=status,
            **fields,
        )

    def chart(self, session, area, mm="0.50", passes=3):
        return SessionRecord.objects.create(
            session=session,
            area=area,
            device_setting_mm=Decimal(mm),
            passes=passes,
            cartridge_lot="LOT-42",
            endpoint="Even erythema",
            numbing_product="Lidocaine 4%",
        )

    def message(self, patient, session, kind, channel="email", status=Message.Status.SENT):
        return Message.objects.create(
            patient=patient,
            session=session,
            kind=kind,
            channel=channel,
            due_at=session.starts_at - dt.timedelta(days=1),
            status=status,
            sent_at=session.starts_at - dt.timedelta(days=1)
            if status == Message.Status.SENT
            else None,
        )

    def full(self, practitioner=None, **fields):
        """A patient with something of everything (the module docstring). A second such
        patient is given another `practitioner`, and has another room and pen."""
        patient = self.patient(**fields)
        elsewhere = {"room": "Room B", "device": DeviceFactory()} if practitioner else {}
        self.intake(patient)
        self.clock.shift(dt.timedelta(minutes=5))
        review = self.intake(patient, anticoagulants=True).screening
        patient_services.screening_sign_off(
            screening_result=review,
            reason="Prescriber agrees; bruising explained.",
            by=self.practitioner.user,
        )
        self.clock.shift(dt.timedelta(minutes=5))
        self.intake(patient, recent_procedure_in_area_days=4)
        self.consent(patient)
        self.clock.shift(dt.timedelta(minutes=5))
        self.consent(patient)
        self.consent(patient, "marketing")
        course = self.course(patient, practitioner)
        done = self.session(course, at(1, 11), Session.Status.COMPLETED, number=1, **elsewhere)
        self.chart(done, "cheeks")
        self.chart(done, "forehead", mm="0.25", passes=2)
        self.session(
            course, at(2, 8), Session.Status.CANCELLED, number=2, cancel_reason="Patient unwell"
        )
        booked = self.session(course, at(3, 8), number=3, **elsewhere)
        self.message(patient, done, Message.Kind.AFTERCARE)
        self.message(patient, booked, Message.Kind.REMINDER_24H, channel="sms")
        self.message(patient, booked, Message.Kind.REMINDER_48H, status=Message.Status.PENDING)
        return patient


@pytest.fixture
def record(front_desk_user, prac, pen, clock):
    return Record(front_desk=front_desk_user, practitioner=prac, device=pen, clock=clock)


@pytest.fixture
def alice(record):
    return record.full()


def intakes_of(patient):
    return IntakeSubmission.objects.filter(patient=patient).order_by("submitted_at")


def _logged_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


# Logged in once the clock is set (a session idle since today's real time has expired by then).
@pytest.fixture
def front_desk_client(front_desk_user, clock):
    return _logged_in(front_desk_user)


@pytest.fixture
def patient_client(patient_user, clock):
    return _logged_in(patient_user)
