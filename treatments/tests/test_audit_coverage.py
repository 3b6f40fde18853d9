"""Every staff page and endpoint that shows a patient writes an audit row naming that patient
(DESIGN.md §6 "Access"; issue 11 item 8).

The URLs come from the URL conf: each staff page and API endpoint is either in SHOWS_PATIENT
(and is requested here, as the role that uses it, with one patient's ids) or in NO_PATIENT
with the reason it shows none. A new page fails this test until someone says which it is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.clock import to_local
from clinic.models import AuditEvent, User
from clinic.tests.factories import UserFactory
from patients import services as patient_services
from patients.imports import runner as import_runner
from patients.imports import services as import_services
from patients.imports.models import PatientImport
from patients.imports.tests import factories as imports
from patients.models import Consent, IntakeSubmission, Patient
from treatments.messaging.models import Message
from treatments.portal import check_ins, pre_session
from treatments.portal import services as portal
from treatments.portal.models import CheckInAnswer, PreSessionCheck
from treatments.portal.tests.helpers import (
    booked_session,
    completed_session,
    expiring_answers,
    intake,
    portal_patient,
    tiny_jpeg,
)
from treatments.portal.tests.test_isolation import routes
from treatments.scheduling.models import Course, Practitioner, Session
from treatments.scheduling.tests.factories import CourseFactory, PractitionerFactory
from treatments.waitlist import services as waitlist
from treatments.waitlist.models import FreedSlot, SlotOffer, WaitlistEntry

pytestmark = pytest.mark.django_db


@dataclass
class World:
    patient: Patient
    practitioner: Practitioner
    course: Course
    booked: Session
    completed: Session
    intake: IntakeSubmission
    consent: Consent
    photo: CheckInAnswer
    call: PreSessionCheck
    waiting: WaitlistEntry
    checked: PatientImport  # an import's dry run that finds the patient already registered
    imported: PatientImport  # the same file imported: its result file names the patient


@dataclass(frozen=True)
class Visit:
    """How the walk opens a page: as whom, with which ids, and which (id-only) query."""

    role: str
    kwargs: Callable[[World], dict] = lambda w: {}
    query: Callable[[World], dict] = lambda w: {}
    at: Callable[[World], dt.datetime] | None = None  # the clock, when the page depends on it


def _patient(w: World) -> dict:
    return {"public_id": w.patient.public_id}


def _booked(w: World) -> dict:
    return {"public_id": w.booked.public_id}


def _week(w: World) -> dict:
    return {"practitioner": w.practitioner.pk, "week": to_local(w.booked.starts_at).date()}


def _span(w: World) -> dict:
    return {
        "start": (w.booked.starts_at - dt.timedelta(hours=1)).isoformat(),
        "end": (w.booked.starts_at + dt.timedelta(hours=3)).isoformat(),
    }


SHOWS_PATIENT: dict[str, Visit] = {
    # --- Pages
    "dashboard": Visit("front_desk"),  # the work queue: the patient's open change request
    "patients:list": Visit("front_desk"),
    "patients:detail": Visit("front_desk", _patient),
    "patients:edit": Visit("front_desk", _patient),
    "treatments:patient_archive": Visit("front_desk", _patient),
    "patients:intake": Visit("front_desk", _patient),
    "patients:consent": Visit("front_desk", lambda w: {**_patient(w), "kind": "treatment"}),
    "treatments:calendar": Visit("front_desk", query=_week),
    "treatments:day": Visit(
        "front_desk", query=lambda w: {"date": to_local(w.booked.starts_at).date()}
    ),
    "treatments:session": Visit("front_desk", _booked),
    "treatments:session_ics": Visit("front_desk", _booked),
    "treatments:course_new": Visit("practitioner", lambda w: {"patient_id": w.patient.public_id}),
    "treatments:course": Visit("practitioner", lambda w: {"public_id": w.course.public_id}),
    "treatments:session_complete": Visit("practitioner", _booked),
    # Check-in opens on the session's day.
    "treatments:session_check_in": Visit("front_desk", _booked, at=lambda w: w.booked.starts_at),
    "portal:staff_sheet": Visit("front_desk", lambda w: {"session_id": w.completed.public_id}),
    "portal:staff": Visit("front_desk"),
    "portal:staff_triage": Visit("practitioner"),
    "portal:staff_photo": Visit("practitioner", lambda w: {"check_in_id": w.photo.public_id}),
    "portal:staff_invite": Visit("front_desk", lambda w: {"patient_id": w.patient.public_id}),
    "audit_log": Visit("manager", query=lambda w: {"patient": w.patient.public_id}),
    "audit_log_export": Visit("manager", query=lambda w: {"patient": w.patient.public_id}),
    # --- The API
    "api-patients": Visit("front_desk"),
    "api-patient": Visit("front_desk", _patient),
    "api-intakes": Visit("front_desk", _patient),
    "api-screenings": Visit("front_desk", _patient),
    "api-consents": Visit("front_desk", _patient),
    "api-course": Visit("practitioner", lambda w: {"public_id": w.course.public_id}),
    "api-session": Visit("front_desk", _booked),
    "api-sessions": Visit("front_desk", query=_span),
    "api-messages": Visit("front_desk", query=lambda w: {"patient": w.patient.public_id}),
    "treatments:export_pdf": Visit("front_desk", _patient),
    "treatments:export_fhir": Visit("front_desk", _patient),
    "fhir-read": Visit(
        "front_desk", lambda w: {"resource_type": "Patient", "resource_id": w.patient.public_id}
    ),
    "fhir-search": Visit(
        "front_desk",
        lambda w: {"resource_type": "Appointment"},
        query=lambda w: {"patient": w.patient.public_id},
    ),
    "fhir-everything": Visit("front_desk", lambda w: {"resource_id": w.patient.public_id}),
    # --- Importing patients (managers): the dry run and the result file name the records
    "patients:imports:detail": Visit("manager", lambda w: {"public_id": w.checked.public_id}),
    "patients:imports:results": Visit("manager", lambda w: {"public_id": w.imported.public_id}),
    # --- The waitlist: the patient waits, and a freed time is offered to them on that day
    "treatments:waitlist": Visit("front_desk", query=lambda w: {"day": w.waiting.earliest}),
    "treatments:waitlist_new": Visit("front_desk", lambda w: {"public_id": w.course.public_id}),
    "api-waitlist": Visit("front_desk", query=lambda w: {"day": w.waiting.earliest}),
    "api-waitlist-entry": Visit("front_desk", lambda w: {"public_id": w.waiting.public_id}),
    "api-waitlist-slots": Visit("front_desk", query=lambda w: {"day": w.waiting.earliest}),
}

POST_ONLY = "a POST that changes something and redirects to a page above"
NO_PATIENT: dict[str, str] = {
    "patients:create": "an empty registration form",
    "api-schema": "the OpenAPI schema",
    "fhir-metadata": "the FHIR CapabilityStatement: what the server does",
    "patients:imports:upload": "the upload form and past imports' counts and who ran them",
    "patients:imports:mapping": (
        "the file's own column names and first values, before any record is matched (the "
        "upload is audited); the dry run that matches them is audited above"
    ),
    "patients:imports:progress": "how many rows an import has done",
    "api-docs": "the API's documentation page",
    "api-protocols": "reference data",
    "api-practitioners": "reference data",
    "api-rooms": "reference data",
    "api-practitioner-availability": "a practitioner's free times",
    "api-course-proposal": "proposed times and rooms, no patient data",
    "treatments:reports": "counts, hours and a median: no patient named (reports/selectors.py)",
    "treatments:reports_export": "the reports' tables as CSV: counts, no patient named",
    "api-reports": "the reports as JSON: counts, no patient named",
    **{
        name: "clinic setup: reference data (a refused change's strand list is a POST answer)"
        for name in (
            "api-setup-device",
            "api-setup-device-outages",
            "api-setup-devices",
            "api-setup-outage",
            "api-setup-practitioner",
            "api-setup-practitioner-hours",
            "api-setup-practitioner-time-off",
            "api-setup-practitioners",
            "api-setup-protocol",
            "api-setup-protocol-versions",
            "api-setup-protocols",
            "api-setup-room",
            "api-setup-rooms",
            "api-setup-time-off",
            "api-setup-working-hours",
            "treatments:setup",
            "treatments:setup_device",
            "treatments:setup_device_new",
            "treatments:setup_hours",
            "treatments:setup_hours_new",
            "treatments:setup_hours_remove",
            "treatments:setup_outage",
            "treatments:setup_outage_new",
            "treatments:setup_outage_remove",
            "treatments:setup_practitioner",
            "treatments:setup_practitioner_new",
            "treatments:setup_protocol",
            "treatments:setup_room",
            "treatments:setup_room_new",
            "treatments:setup_time_off",
            "treatments:setup_time_off_new",
            "treatments:setup_time_off_remove",
        )
    },  # fmt: skip
    **{
        name: "a practitioner's own working hours (a refused change's strand list is a POST answer)"
        for name in (
            "treatments:my_hours",
            "treatments:my_hours_new",
            "treatments:my_hours_change",
            "treatments:my_hours_remove",
        )
    },
    **{
        name: "staff accounts: names, e-mails and roles of staff, no patient data"
        for name in (
            "staff:list",
            "staff:detail",
            "staff:invite",
            "staff:deactivate",
            "staff:reactivate",
            "staff:reinvite",
            "staff:reset_login",
            "api-staff",
            "api-staff-member",
            "api-staff-deactivate",
            "api-staff-reactivate",
            "api-staff-invitation",
            "api-staff-reset-login",
        )
    },  # fmt: skip
    **{
        name: "a login's second step, the caller's own password and API tokens: no patient data"
        for name in (
            "two_factor_code",
            "two_factor_setup",
            "password_change",
            "api-tokens",
            "api-token-detail",
        )
    },
    **{
        name: POST_ONLY
        for name in (
            "patients:sign_off",
            "patients:hold_release",
            "patients:restore",
            "portal:staff_invite_offer",
            "portal:staff_sheet_email",
            "treatments:calendar_rotate_feed",
            "treatments:course_book",
            "treatments:course_confirm_flags",
            "treatments:course_add_session",
            "treatments:course_cancel",
            "treatments:session_drop",
            "treatments:session_cancel",
            "treatments:session_no_show",
            "treatments:session_reschedule",
            "treatments:message_resend",
            "portal:staff_triage_read",
            "portal:staff_clear",
            "portal:staff_call_resolve",
            "portal:staff_request_handle",
            "portal:staff_booking_request_handle",
            "patients:imports:start",
            "patients:imports:abandon",
            "api-patient-archive",
            "api-patient-restore",
            "api-screening-sign-off",
            "api-courses",
            "api-course-book",
            "api-course-confirm-flags",
            "api-course-sessions",
            "api-course-cancel",
            "api-session-drop",
            "api-session-reschedule",
            "api-session-cancel",
            "api-session-check-in",
            "api-session-no-show",
            "api-session-complete",
            "api-message-resend",
            "treatments:waitlist_close",
            "treatments:waitlist_offer",
            "treatments:waitlist_remove",
            "api-waitlist-close",
            "api-waitlist-offer",
            "api-waitlist-remove",
        )
    },
}


def staff_routes() -> list:
    """Staff pages and API endpoints (the admin has its own test: test_admin.py)."""
    return [
        route
        for route in routes()
        if route.kind in ("staff", "api")
        and not route.text.startswith("admin/")
        and route.name != "clinic.api.api_not_found"
    ]


def test_every_staff_page_and_endpoint_is_classified():
    names = {route.name for route in staff_routes()}
    unclassified = names - set(SHOWS_PATIENT) - set(NO_PATIENT)
    assert not unclassified, f"say whether these show a patient: {sorted(unclassified)}"
    assert not (set(SHOWS_PATIENT) | set(NO_PATIENT)) - names, "a listed URL no longer exists"
    assert not set(SHOWS_PATIENT) & set(NO_PATIENT)


@pytest.fixture
def world(settings, tmp_path, front_desk_user, practitioner_user, mailoutbox) -> World:
    settings.MEDIA_ROOT = tmp_path
    practitioner = PractitionerFactory(user=practitioner_user, display_name="Priya Shah")
    patient = portal_patient(first_name="Beatrix", last_name="Potterton")
    user = patient.portal_user
    taken = intake(patient, front_desk_user)
    consent = patient_services.consent_sign(
        patient=patient, kind="treatment", signed_name=patient.full_name, agreed=True,
        by=front_desk_user,
    )  # fmt: skip
    now = timezone.now()
    course = CourseFactory(patient=patient, practitioner=practitioner)
    done = completed_session(patient, at=now - dt.timedelta(days=3), course=course, number=1)
    booked = booked_session(patient, at=now + dt.timedelta(days=3), course=course, number=2)
    Message.objects.create(
        patient=patient, session=booked, kind="reminder_24h", channel="email",
        due_at=booked.starts_at,
    )  # fmt: skip
    photo = check_ins.check_in_submit(
        session=done, skin="improving", warning_signs=["infection"], note="", photo=tiny_jpeg(),
        by=user,
    )  # fmt: skip
    call = pre_session.pre_session_submit(
        session=booked, answers=expiring_answers(pregnant_or_breastfeeding=True), by=user
    )
    portal.change_request_create(session=booked, kind="move", note="", by=user)
    waiting = waitlist.entry_add(course=course, by=front_desk_user)
    starts = dt.datetime.combine(waiting.earliest, dt.time(10), tzinfo=booked.starts_at.tzinfo)
    slot = FreedSlot.objects.create(
        practitioner=practitioner, room=booked.room, starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2), next_check_at=now,
    )  # fmt: skip
    SlotOffer.objects.create(
        slot=slot, entry=waiting, patient=patient, opens_at=now,
        expires_at=now + dt.timedelta(hours=1),
    )  # fmt: skip
    importer = UserFactory(username="walk-importer", role="manager")
    again = imports.csv_bytes(
        [imports.row(first=patient.first_name, last=patient.last_name,
                     born=f"{patient.date_of_birth:%d/%m/%Y}", email=patient.email)]
    )  # fmt: skip
    checked = imports.mapped(again, by=importer)
    imported = imports.mapped(again, by=importer)
    import_services.patient_import_start(job=imported, by=importer)
    import_runner.work(imported.pk)
    return World(
        patient=patient, practitioner=practitioner, course=course, booked=booked,
        completed=done, intake=taken, consent=consent, photo=photo, call=call, waiting=waiting,
        checked=checked, imported=imported,
    )  # fmt: skip


def _users(front_desk_user, practitioner_user) -> dict[str, User]:
    return {
        "front_desk": front_desk_user,
        "practitioner": practitioner_user,
        "manager": UserFactory(username="walk-manager", role="manager"),
    }


def _clients(users: dict[str, User]) -> dict[str, Client]:
    clients = {}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    return clients


def test_every_staff_page_that_shows_a_patient_writes_a_row_naming_them(
    world, front_desk_user, practitioner_user
):
    users = _users(front_desk_user, practitioner_user)
    clients = _clients(users)
    problems = []
    for name, visit in SHOWS_PATIENT.items():
        path = reverse(name, kwargs=visit.kwargs(world))
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        if visit.at:  # a login of its own at that time, so the others' sessions live on
            with time_machine.travel(visit.at(world), tick=False):
                client = Client()
                client.force_login(users[visit.role])
                response = client.get(path, visit.query(world))
        else:
            response = clients[visit.role].get(path, visit.query(world))
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        written = AuditEvent.objects.filter(id__gt=before)
        if response.status_code != 200:
            problems.append(f"{name}: {response.status_code}")
        elif not written.about(world.patient.public_id).exists():
            problems.append(f"{name}: no audit row names the patient")
        elif written.exclude(actor__username=response.wsgi_request.user.username).exists():
            problems.append(f"{name}: a row names someone else as the reader")
    assert not problems, "\n".join(problems)


def test_the_urls_said_to_take_only_a_post_refuse_a_get(front_desk_user, practitioner_user):
    """So a page cannot hide in NO_PATIENT by growing a GET."""
    everyone = UserFactory(username="walk-everyone")
    for user in (front_desk_user, practitioner_user):
        everyone.groups.add(*user.groups.all())
    everyone.groups.add(*UserFactory(username="walk-mgr", role="manager").groups.all())
    client = Client()
    client.force_login(everyone)
    for route in staff_routes():
        if NO_PATIENT.get(route.name) != POST_ONLY:
            continue
        values = {p: uuid.uuid4() for p in route.params()}
        assert client.get(route.path(values)).status_code == 405, route.name
