"""A small clinic for scheduling tests: a practitioner working Mon–Fri 09:00–17:00 in
Europe/London, two rooms, one device, and a screened, consenting patient."""

import datetime as dt
from dataclasses import dataclass

import pytest
import time_machine

from patients import services as patient_services
from patients.tests.factories import PatientFactory
from patients.tests.helpers import clear_answers
from treatments.scheduling import services
from treatments.scheduling.models import Device, Practitioner, Room, WorkingHours
from treatments.scheduling.tests.factories import (
    DeviceFactory,
    PractitionerFactory,
    RoomFactory,
    protocol,
)


@dataclass
class Clinic:
    practitioner: Practitioner
    rooms: list[Room]
    device: Device

    def screened_patient(self, by, *, answers=None, consent=True, **patient_fields):
        patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1), **patient_fields)
        patient_services.intake_submit(
            patient=patient,
            answers=answers or clear_answers(),
            areas=["cheeks", "forehead"],
            by=by,
        )
        if consent:
            patient_services.consent_sign(
                patient=patient,
                kind="treatment",
                signed_name=patient.full_name,
                agreed=True,
                by=by,
            )
        return patient

    def course(self, patient, *, protocol, by, sessions=1, interval_days=28):
        """A planned course on the cheeks with this clinic's practitioner."""
        return services.course_create(
            patient=patient,
            practitioner=self.practitioner,
            protocol=protocol,
            areas=["cheeks"],
            sessions=sessions,
            interval_days=interval_days,
            by=by,
        )

    def book(self, *, starts, protocol, planner, desk):
        """A screened, consenting patient's course booked on 2 March 2026 at `starts`, in the
        first room; returns its sessions."""
        with time_machine.travel(dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC), tick=False):
            patient = self.screened_patient(desk)
            course = self.course(patient, protocol=protocol, by=planner, sessions=len(starts))
            slots = [services.SlotRequest(starts_at=s, room=self.rooms[0]) for s in starts]
            return services.course_book(course=course, slots=slots, by=desk)


@pytest.fixture
def long_sessions(settings):
    """For tests that jump weeks between requests (the 30-minute idle expiry is tested in
    clinic/tests/test_accounts.py)."""
    settings.SESSION_COOKIE_AGE = 365 * 24 * 3600


@pytest.fixture
def clinic(db, practitioner_user):
    practitioner = PractitionerFactory(user=practitioner_user, display_name="Priya Shah")
    for weekday in range(5):
        WorkingHours.objects.create(
            practitioner=practitioner, weekday=weekday, start=dt.time(9), end=dt.time(17)
        )
    rooms = [RoomFactory(name="Room A"), RoomFactory(name="Room B")]
    return Clinic(practitioner=practitioner, rooms=rooms, device=DeviceFactory(name="Pen 1"))


@pytest.fixture
def acne_protocol(db):
    return protocol("acne_scars")  # 4 sessions, 28 days, min 14, 120 minutes
