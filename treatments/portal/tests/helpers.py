"""Patients with portal accounts and their sessions, for the portal's tests, and the links
the worker sends them.

Completed and booked sessions are rows made by factories (reads); what the portal changes
goes through the portal's services in the tests themselves.
"""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.core import mail
from django.test import Client

from clinic.tests.factories import PatientUserFactory
from patients import services as patient_services
from patients.models import Patient
from patients.tests.factories import PatientFactory
from patients.vocabulary import negative_answers
from treatments.messaging.tests.helpers import work_outbox
from treatments.portal import invites
from treatments.portal.models import PortalInvite
from treatments.scheduling.models import Practitioner, Session, SessionRecord
from treatments.scheduling.tests.factories import CourseFactory, PractitionerFactory, RoomFactory

UTC = dt.UTC
# A Monday in March, before the clocks change in Europe/London (UTC = local time).
MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TOKEN = re.compile(r"https?://\S+/portal/invite/([\w-]+)/")


def at(days: float = 0, hours: float = 0) -> dt.datetime:
    return MONDAY + dt.timedelta(days=days, hours=hours)


def travel(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def main(response) -> str:
    """The page's <main>, where the answer is (the header carries a per-session CSRF token)."""
    return re.search(r"<main.*</main>", text(response)).group(0)


def token_in(body: str) -> str:
    """The one-time token of the (only) portal link in a message."""
    (token,) = TOKEN.findall(body)
    return token


def sent_link(patient: Patient, *, by, **kwargs) -> tuple[PortalInvite, str]:
    """Staff ask for a link by e-mail and the worker sends it: the invite and its token."""
    invite = invites.invite_send(patient=patient, by=by, **kwargs)
    work_outbox()
    return invite, token_in(mail.outbox[-1].body)


def portal_patient(**fields) -> Patient:
    """A patient with a portal account (the account's username is the patient's e-mail)."""
    patient = PatientFactory(**fields)
    patient.portal_user = PatientUserFactory(
        username=patient.email, first_name=patient.first_name, last_name=patient.last_name
    )
    patient.save(update_fields=["portal_user"])
    return patient


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def completed_session(
    patient: Patient,
    *,
    at: dt.datetime,
    practitioner: Practitioner | None = None,
    areas: tuple[str, ...] = ("cheeks", "forehead"),
    charted: bool = True,
    number: int = 1,
    course=None,
) -> Session:
    """A session that took place at `at` (aware) and was completed 90 minutes later."""
    course = course or CourseFactory(
        patient=patient, practitioner=practitioner or PractitionerFactory(), areas=list(areas)
    )
    session = Session.objects.create(
        course=course,
        patient=patient,
        practitioner=course.practitioner,
        room=RoomFactory(name="Room A"),
        number=number,
        starts_at=at,
        ends_at=at + dt.timedelta(minutes=90),
        status=Session.Status.COMPLETED,
        status_changed_at=at + dt.timedelta(minutes=90),
    )
    if charted:
        SessionRecord.objects.bulk_create(
            SessionRecord(
                session=session,
                area=area,
                device_setting_mm="0.50",
                passes=2,
                cartridge_lot="LOT-1",
            )
            for area in areas
        )
    return session


def booked_session(patient: Patient, *, at: dt.datetime, course=None, number: int = 2) -> Session:
    course = course or CourseFactory(patient=patient)
    return Session.objects.create(
        course=course,
        patient=patient,
        practitioner=course.practitioner,
        room=RoomFactory(name="Room B"),
        number=number,
        starts_at=at,
        ends_at=at + dt.timedelta(minutes=90),
    )


def intake(patient: Patient, by, **answers):
    """A full intake with every answer "no" unless given."""
    return patient_services.intake_submit(
        patient=patient,
        answers=negative_answers(**answers),
        areas=["cheeks", "forehead"],
        by=by,
    )


def expiring_answers(**changes) -> dict:
    """The pre-session check's answers (only the keys that expire), all "no" unless given."""
    from patients.vocabulary import EXPIRING_KEYS

    return {k: v for k, v in negative_answers(**changes).items() if k in EXPIRING_KEYS}


# A real 1×1 JPEG with an EXIF block holding an orientation and GPS-looking data, and a
# real 1×1 PNG with a text chunk: enough structure for the checks, no Pillow needed.
def tiny_jpeg(with_exif: bool = True) -> bytes:
    import struct

    exif = b""
    if with_exif:
        tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 2)
        tiff += struct.pack("<HHIHH", 0x0112, 3, 1, 6, 0)  # orientation 6
        tiff += struct.pack("<HHII", 0x8825, 4, 1, 38)  # a GPS IFD pointer
        tiff += struct.pack("<I", 0) + b"GPS-SECRET-51.5N"
        body = b"Exif\x00\x00" + tiff
        exif = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    jfif = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    comment = b"\xff\xfe\x00\x0eCamera SN 42"
    sos = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + jfif + exif + comment + sos + b"\x12\x34\x56" + b"\xff\xd9"


def tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"tEXt", b"Location\x00Home address")
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


__all__ = [
    "MONDAY",
    "UTC",
    "at",
    "main",
    "sent_link",
    "text",
    "token_in",
    "travel",
    "work_outbox",
    "booked_session",
    "client_for",
    "completed_session",
    "expiring_answers",
    "intake",
    "negative_answers",
    "portal_patient",
    "tiny_jpeg",
    "tiny_png",
]
