"""Every HTML form, fed what no form should choke on (issue 9 item 5; DESIGN.md §6 "Bad input
gets a clear answer"): a NUL byte, 5,000 characters, `NaN`, `Infinity`, `-1`, 30 February,
the last minute of year 9999, nothing, and two values where one is expected, posted field by
field to every staff and portal form, the other fields filled in as a person would.

The answer is the form again with its problems (200 or 400) or a redirect with a message:
never a 500, never a 403/404 that says the input broke the page. A refused post changes
nothing in the database. A payload that is a fine value for its field (`NaN` is a possible
cancellation reason; any value ticks a checkbox) may be accepted: each field's kind says
which. Each post runs in a savepoint that is rolled back, so every one meets the same world;
FORMS names every URL whose view takes a POST (admin and API aside: see Django's admin and
clinic/tests/test_api_fuzz.py); a test walks the URL conf, so a new form without a row fails.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.contrib.messages import ERROR, get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.test.utils import ContextList
from django.urls import reverse

from clinic.models import AuditEvent, Role, StaffInvite, User
from clinic.staff import links as staff_links
from clinic.staff import services as staff_services
from clinic.tests.factories import PASSWORD as FACTORY_PASSWORD
from clinic.tests.factories import PatientUserFactory, UserFactory
from patients.imports.tests import fuzz_rows as imports
from patients.models import Consent, Hold, IntakeSubmission, Patient, ScreeningResult
from patients.tests.factories import PatientFactory
from patients.vocabulary import QUESTIONS, negative_answers
from treatments.messaging.models import Message
from treatments.portal import booking, check_ins, pre_session
from treatments.portal import services as portal
from treatments.portal.models import (
    AftercareAcknowledgement,
    BookingRequest,
    CheckInAnswer,
    PortalInvite,
    PreSessionCheck,
    ReactionFlag,
    SessionChangeRequest,
)
from treatments.resources.tests import fuzz_rows as setup
from treatments.scheduling import services as scheduling
from treatments.scheduling.forms import ChartForm
from treatments.scheduling.models import Course, Practitioner, Session, SessionRecord
from treatments.scheduling.tests import check_in_helpers
from treatments.waitlist.tests import fuzz_rows as waitlist

from .helpers import (
    booked_session,
    completed_session,
    expiring_answers,
    intake,
    portal_patient,
    sent_link,
)
from .test_isolation import Route, routes

pytestmark = [pytest.mark.django_db]

NOW = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)  # a Monday, 08:00 in London (GMT)
LONDON = ZoneInfo("Europe/London")
PASSWORD = "Sturdy-passphrase-2026"

PAYLOADS: dict[str, str | list[str]] = {
    "nul": "\x00",
    "long": "a" * 5000,
    "nan": "NaN",
    "infinity": "Infinity",
    "minus": "-1",
    "feb-30": "2027-02-30",
    "year-9999": "9999-12-31T23:59",
    "year-1": "0001-01-01T00:00",
    "huge-number": "1e999",
    "empty": "",
    "list": ["1", "2"],
}


@dataclass(frozen=True)
class Kind:
    """What a field is, as far as bad input goes: which payloads it may accept."""

    accepts: frozenset[str]
    file: bool = False


TEXT = Kind(frozenset(PAYLOADS) - {"nul", "long"})  # free text: anything short and printable
VALUE = Kind(frozenset())  # a choice, a number or a date: none of the payloads is one
OPTIONAL = Kind(frozenset({"empty"}))  # the same, and may be left empty
FLAG = Kind(frozenset(PAYLOADS))  # a checkbox (any value ticks it), or a value never stored
FILE = Kind(frozenset({"empty"}), file=True)  # posted as the uploaded file's content
CONFIRM = {"confirm_short_interval": FLAG}  # "I confirm the shorter interval" (issue 10 item 3)
MOVE_EXTRAS = {"room": OPTIONAL, "shift_following": FLAG, **CONFIRM}


@dataclass
class World:
    """Everything the forms act on, made at 08:00 on Monday 2 March 2026."""

    practitioner: Practitioner
    patient: Patient  # Pia: a portal account, screened and consenting, a booked session
    booked: Session  # Pia's, Thursday 5 March 10:00: cancel, move, no-show, pre-session check
    completed: Session  # Pia's, last Friday: aftercare and check-in
    checked_in: Session  # Quinn's, today 09:00, checked in: the chart
    planned: Course  # Quinn's second course, planned, to book
    reviewed: ScreeningResult  # Una's result waiting for a practitioner's sign-off
    flag: ReactionFlag  # Tess's open reaction, for a practitioner to clear
    call: PreSessionCheck  # Tess's answers that stop her next session: front desk calls
    change: SessionChangeRequest  # Tess asks to move it
    invitee: Patient  # Rae, invited to the portal: `token` is her link's
    token: str
    failed: Message  # a reminder that failed, to resend
    member: User  # Mo, front desk: the manager changes roles, deactivates, reactivates
    staff_invitee: User  # Ida, invited to a staff account: `staff_token` is her link's
    staff_token: str
    asked: BookingRequest  # Tess asks online for a review: a practitioner confirms it
    rooms: list = field(default_factory=list)


@dataclass(frozen=True)
class Form:
    name: str  # the URL's name
    role: str  # who posts: front_desk, practitioner, manager, patient or anonymous
    fields: dict[str, Kind]  # fuzzed one at a time; the others keep `base`
    kwargs: Callable[[World], dict] = lambda w: {}
    base: Callable[[World], dict] = lambda w: {}


def _patient_details(w: World) -> dict:
    return {
        "first_name": "Fuzz",
        "last_name": "Case",
        "date_of_birth": "1990-01-01",
        "email": "fuzz@example.com",
        "phone": "07700 900123",
        "preferred_channel": "email",
        "email_consent": "on",
    }


def _answers(keys) -> dict:
    """The questionnaire's form data with every answer "no"."""
    data: dict = {"areas": ["cheeks"]}
    for key, value in negative_answers().items():
        if key not in keys:
            continue
        kind = QUESTIONS[key].kind
        if kind in ("bool", "int"):
            data[key] = "yes" if value else "no"
        elif kind == "choice":
            data[key] = value
    return data


PATIENT_FIELDS = {
    "first_name": TEXT,
    "last_name": TEXT,
    "date_of_birth": VALUE,
    "email": OPTIONAL,
    "phone": TEXT,  # the service reads any way of writing a number
    "preferred_channel": VALUE,
    "email_consent": FLAG,
    "sms_consent": FLAG,
    "fitzpatrick": OPTIONAL,
    "confirm_duplicate": FLAG,
}
# One question of each kind: a No/Yes, a choice, a date, and a "how many days ago" pair.
QUESTION_FIELDS = {
    "pregnant_or_breastfeeding": VALUE,
    "isotretinoin": VALUE,
    "isotretinoin_stopped_on": OPTIONAL,
    "recent_procedure_in_area_days": VALUE,
    "recent_procedure_in_area_days__days": OPTIONAL,
}
_CHART_TEXT = "cartridge_lot endpoint numbing_product immediate_reaction notes depth_reason"
CHART_FIELDS = {"cheeks-device_setting_mm": VALUE, "cheeks-passes": VALUE} | {
    f"cheeks-{name}": TEXT for name in _CHART_TEXT.split()
}


def _booked(w: World) -> dict:
    return {"public_id": w.booked.public_id}


FORMS = [
    # --- Logging in and out
    Form("login", "anonymous", {"username": TEXT, "password": TEXT},
         base=lambda w: {"username": "fd", "password": "not-the-password"}),
    Form("logout", "front_desk", {}),
    Form("two_factor_code", "front_desk", {"code": TEXT}),
    Form("two_factor_setup", "front_desk", {"code": TEXT}),
    Form("portal:login", "anonymous", {"username": TEXT, "password": TEXT},
         base=lambda w: {"username": w.patient.email, "password": "not-the-password"}),
    Form("portal:logout", "patient", {}),
    Form("portal:invite", "anonymous", {"password": TEXT, "password_again": TEXT},
         kwargs=lambda w: {"token": w.token},
         base=lambda w: {"password": PASSWORD, "password_again": PASSWORD}),
    Form("portal:reset", "anonymous", {"identifier": TEXT}),
    Form("staff:welcome", "anonymous", {"password": TEXT, "password_again": TEXT},
         kwargs=lambda w: {"token": w.staff_token},
         base=lambda w: {"password": PASSWORD, "password_again": PASSWORD}),
    # --- Patients
    Form("patients:create", "front_desk", PATIENT_FIELDS, base=_patient_details),
    Form("patients:edit", "front_desk", PATIENT_FIELDS,
         kwargs=lambda w: {"public_id": w.patient.public_id}, base=_patient_details),
    # Una has no sessions booked: any button archives her (Pia's booked one is refused, a 409).
    Form("treatments:patient_archive", "front_desk", {"reason": TEXT, "sessions": FLAG},
         kwargs=lambda w: {"public_id": w.reviewed.patient.public_id},
         base=lambda w: {"reason": "Moved away.", "sessions": "cancel"}),
    Form("patients:restore", "front_desk", {},
         kwargs=lambda w: {"public_id": w.patient.public_id}),
    Form("patients:intake", "front_desk", {"areas": VALUE, **QUESTION_FIELDS},
         kwargs=lambda w: {"public_id": w.patient.public_id},
         base=lambda w: _answers(QUESTIONS)),
    Form("patients:consent", "front_desk", {"signed_name": TEXT, "agreed": FLAG},
         kwargs=lambda w: {"public_id": w.patient.public_id, "kind": "treatment"},
         base=lambda w: {"signed_name": w.patient.full_name, "agreed": "on"}),
    Form("patients:hold_release", "practitioner", {"note": TEXT},
         kwargs=lambda w: {"public_id": Hold.objects.filter(source="reaction").get().public_id}),
    Form("patients:sign_off", "practitioner", {"reason": TEXT, "override_defer": FLAG},
         kwargs=lambda w: {"public_id": w.reviewed.public_id}),
    # --- Staff accounts
    Form("staff:invite", "manager",
         {"first_name": TEXT, "last_name": TEXT, "email": VALUE, "roles": VALUE},
         base=lambda w: {"first_name": "Fuzz", "last_name": "Staff",
                         "email": "fuzz.staff@example.com", "roles": ["front_desk"]}),
    Form("staff:detail", "manager", {"roles": VALUE},
         kwargs=lambda w: {"id": w.member.pk}, base=lambda w: {"roles": ["practitioner"]}),
    Form("staff:deactivate", "manager", {}, kwargs=lambda w: {"id": w.member.pk}),
    Form("staff:reactivate", "manager", {}, kwargs=lambda w: {"id": w.member.pk}),
    Form("staff:reinvite", "manager", {}, kwargs=lambda w: {"id": w.staff_invitee.pk}),
    Form("staff:reset_login", "manager", {}, kwargs=lambda w: {"id": w.member.pk}),
    Form("password_change", "front_desk",
         {"current_password": TEXT, "password": TEXT, "password_again": TEXT},
         base=lambda w: {"current_password": FACTORY_PASSWORD, "password": PASSWORD,
                         "password_again": PASSWORD}),
    # --- Courses and sessions
    Form("treatments:course_new", "practitioner",
         {"practitioner": VALUE, "protocol": VALUE, "areas": VALUE, "sessions": OPTIONAL,
          "interval_days": OPTIONAL},
         kwargs=lambda w: {"patient_id": w.patient.public_id},
         base=lambda w: {"practitioner": w.practitioner.pk, "protocol": w.planned.protocol_id,
                         "areas": ["cheeks"]}),
    Form("treatments:course_book", "front_desk", {"starts_at": VALUE, "room": VALUE, **CONFIRM},
         kwargs=lambda w: {"public_id": w.planned.public_id},
         base=lambda w: {"starts_at": "2026-03-10T10:00:00+00:00", "room": w.rooms[1].pk}),
    Form("treatments:course_confirm_flags", "practitioner", {"note": TEXT},
         kwargs=lambda w: {"public_id": w.planned.public_id}),
    # Ticks, a changed answer's No/Yes and days, a confirmed one's inputs (ignored, never stored).
    Form("treatments:session_check_in", "front_desk",
         {"pregnant_or_breastfeeding": VALUE, "isotretinoin__new": FLAG, "screening": OPTIONAL}
         | {f"recent_procedure_in_area_days{end}": VALUE for end in ("", "__new", "__days")},
         kwargs=_booked, base=lambda w: check_in_helpers.form_data(**check_in_helpers.HARMLESS)),
    Form("treatments:session_no_show", "front_desk", {}, kwargs=_booked),
    Form("treatments:session_cancel", "front_desk", {"reason": TEXT, "initiated_by": VALUE},
         kwargs=_booked, base=lambda w: {"reason": "Unwell", "initiated_by": "patient"}),
    Form("treatments:session_drop", "front_desk", {"reason": TEXT}, kwargs=_booked),
    Form("treatments:course_add_session", "front_desk",
         {"starts_at": VALUE, "room": VALUE, **CONFIRM},
         kwargs=lambda w: {"public_id": w.booked.course.public_id},
         base=lambda w: {"starts_at": "2026-04-02T10:00", "room": w.rooms[0].pk}),
    Form("treatments:course_cancel", "front_desk", {"reason": TEXT, "initiated_by": VALUE},
         kwargs=lambda w: {"public_id": w.planned.public_id},
         base=lambda w: {"reason": "Moving away", "initiated_by": "clinic"}),
    Form("treatments:session_reschedule", "front_desk", {"starts_at": VALUE, **MOVE_EXTRAS},
         kwargs=_booked, base=lambda w: {"starts_at": "2026-03-06T10:00"}),
    Form("treatments:session_complete", "practitioner", CHART_FIELDS,
         kwargs=lambda w: {"public_id": w.checked_in.public_id},
         base=lambda w: {"cheeks-device_setting_mm": "0.5", "cheeks-passes": "2",
                         "cheeks-cartridge_lot": "LOT-1"}),
    Form("treatments:calendar_rotate_feed", "practitioner", {"practitioner": OPTIONAL}),
    Form("treatments:message_resend", "front_desk", {"next": FLAG},
         kwargs=lambda w: {"public_id": w.failed.public_id}, base=lambda w: {"next": "/"}),
    # --- The portal
    Form("portal:aftercare_acknowledge", "patient", {"stage": VALUE},
         kwargs=lambda w: {"session_id": w.completed.public_id}),
    Form("portal:check_in", "patient",
         {"skin": VALUE, "warning_signs": OPTIONAL, "note": TEXT, "photo": FILE},
         kwargs=lambda w: {"session_id": w.completed.public_id},
         base=lambda w: {"skin": "improving"}),
    Form("portal:pre_session", "patient", QUESTION_FIELDS,
         kwargs=lambda w: {"session_id": w.booked.public_id},
         base=lambda w: _answers(expiring_answers())),
    Form("portal:change_request", "patient", {"kind": VALUE, "note": TEXT},
         kwargs=lambda w: {"session_id": w.booked.public_id}, base=lambda w: {"kind": "move"}),
    # Booking for yourself (PORTAL_BOOKING=full in this world): Pia moves her session on
    # Thursday 5 March to Monday 9 March 10:00, a free time; her course has none to add.
    Form("portal:book_move", "patient", {"starts_at": VALUE},
         kwargs=lambda w: {"session_id": w.booked.public_id},
         base=lambda w: {"starts_at": "2026-03-09T10:00:00+00:00"}),
    Form("portal:book_next", "patient", {"starts_at": VALUE},
         kwargs=lambda w: {"course_id": w.booked.course.public_id},
         base=lambda w: {"starts_at": "2026-03-09T10:00:00+00:00"}),
    Form("portal:book_request", "patient",
         {"kind": VALUE, "protocol": OPTIONAL, "areas": OPTIONAL, "when_suits": TEXT},
         base=lambda w: {"kind": "review", "when_suits": "Mornings"}),
    Form("portal:preferences", "patient",
         {"email_consent": FLAG, "sms_consent": FLAG, "preferred_channel": VALUE},
         base=lambda w: {"email_consent": "on", "preferred_channel": "email"}),
    # --- The portal's staff pages
    Form("portal:staff_clear", "practitioner", {"note": TEXT},
         kwargs=lambda w: {"flag_id": w.flag.public_id}),
    Form("portal:staff_call_resolve", "front_desk", {"note": TEXT},
         kwargs=lambda w: {"check_id": w.call.public_id}),
    Form("portal:staff_request_handle", "front_desk", {"outcome": VALUE, "note": TEXT},
         kwargs=lambda w: {"request_id": w.change.public_id},
         base=lambda w: {"outcome": "done", "note": "Moved by phone."}),
    Form("portal:staff_booking_request_handle", "practitioner", {"outcome": VALUE, "note": TEXT},
         kwargs=lambda w: {"request_id": w.asked.public_id},
         base=lambda w: {"outcome": "confirm", "note": "I will call her."}),
    Form("portal:staff_invite", "front_desk", {"channel": VALUE},
         kwargs=lambda w: {"patient_id": w.invitee.public_id}),
    Form("portal:staff_triage_read", "practitioner", {"check_in": VALUE},
         base=lambda w: {"check_in": str(w.flag.check_in.public_id)}),
    # --- The audit log: a POSTed search for a patient to filter by (issue 11 item 8)
    Form("audit_log", "manager", {"q": TEXT}, base=lambda w: {"q": "Pia"}),
    Form("portal:staff_invite_offer", "front_desk", {},
         kwargs=lambda w: {"course_id": w.booked.course.public_id}),
    Form("portal:staff_sheet_email", "front_desk", {},
         kwargs=lambda w: {"session_id": w.completed.public_id}),
    *setup.forms(Form, TEXT=TEXT, VALUE=VALUE, OPTIONAL=OPTIONAL, FLAG=FLAG),  # Clinic setup
    *imports.forms(Form, VALUE=VALUE, OPTIONAL=OPTIONAL, FILE=FILE),  # Importing patients
    *waitlist.forms(Form, TEXT=TEXT, VALUE=VALUE, OPTIONAL=OPTIONAL, FLAG=FLAG),  # Waitlist
]  # fmt: skip


# --- The world ---------------------------------------------------------------------------------


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _local(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=LONDON)


@pytest.fixture
def world(
    frozen,
    clinic,
    acne_protocol,
    front_desk_user,
    practitioner_user,
    manager_user,
    mailoutbox,
    settings,
) -> World:
    settings.PORTAL_BOOKING = "full"  # every booking form the portal can show
    desk, prac = front_desk_user, practitioner_user
    pia = clinic.screened_patient(desk, first_name="Pia", last_name="Park", email="pia@example.com")
    pia.portal_user = PatientUserFactory(username=pia.email)
    pia.save(update_fields=["portal_user"])
    course = clinic.course(pia, protocol=acne_protocol, by=prac, sessions=1)
    slot = scheduling.SlotRequest(starts_at=_local(5, 10), room=clinic.rooms[0])
    [booked] = scheduling.course_book(course=course, slots=[slot], by=desk)
    completed = completed_session(pia, at=NOW - dt.timedelta(days=3), areas=("cheeks",),
                                  practitioner=clinic.practitioner)  # fmt: skip

    quinn = clinic.screened_patient(desk, first_name="Quinn", last_name="Quist")
    course = clinic.course(quinn, protocol=acne_protocol, by=prac, sessions=1)
    slot = scheduling.SlotRequest(starts_at=_local(2, 9), room=clinic.rooms[0])
    [checked_in] = scheduling.course_book(course=course, slots=[slot], by=desk)
    check_in_helpers.check_in(checked_in, by=desk)
    planned = clinic.course(quinn, protocol=acne_protocol, by=prac, sessions=1)

    una = PatientFactory(first_name="Una")
    reviewed = intake(una, desk, keloid_history=True).screening

    tess = portal_patient(first_name="Tess", email="tess@example.com")
    intake(tess, desk)
    done = completed_session(tess, at=NOW - dt.timedelta(days=8), practitioner=clinic.practitioner)
    upcoming = booked_session(tess, at=_local(6, 10), course=done.course)
    answer = check_ins.check_in_submit(
        session=done, skin="improving", warning_signs=["infection"], note="", photo=None,
        by=tess.portal_user,
    )  # fmt: skip
    call = pre_session.pre_session_submit(
        session=upcoming, answers=expiring_answers(pregnant_or_breastfeeding=True),
        by=tess.portal_user,
    )  # fmt: skip
    change = portal.change_request_create(
        session=upcoming, kind="move", note="", by=tess.portal_user
    )
    asked = booking.booking_request_create(patient=tess, kind="review", by=tess.portal_user)

    rae = PatientFactory(first_name="Rae", email="rae@example.com")
    _, token = sent_link(rae, by=desk)
    failed = booked.messages.order_by("pk").first()  # a reminder the booking queued
    Message.objects.filter(pk=failed.pk).update(status=Message.Status.FAILED)
    member = UserFactory(username="mo", role=Role.FRONT_DESK)
    ida = staff_services.staff_invite(email="ida@example.com", first_name="Ida", last_name="Ives",
                                      roles=[Role.PRACTITIONER], by=manager_user)  # fmt: skip
    staff_token = staff_links.invite_mint(str(ida.public_id))
    setup.make()  # what the Clinic setup forms act on
    imports.make(manager_user)  # an upload to map, and one to import
    waitlist.make(clinic, acne_protocol, desk, NOW, pia)  # what the waitlist's forms act on
    return World(
        practitioner=clinic.practitioner, patient=pia, booked=booked, completed=completed,
        checked_in=checked_in, planned=planned, reviewed=reviewed, flag=answer.flag, call=call,
        change=change, invitee=rae, token=token, failed=failed, member=member,
        staff_invitee=ida.user, staff_token=staff_token, asked=asked, rooms=clinic.rooms,
    )  # fmt: skip


@pytest.fixture
def clients(world, front_desk_user, practitioner_user, manager_user) -> dict[str, Client]:
    """One client per role. A 500 comes back as a response, not as the view's exception."""
    users = {
        "front_desk": front_desk_user,
        "practitioner": practitioner_user,
        "manager": manager_user,
        "patient": world.patient.portal_user,
    }
    found = {"anonymous": Client(raise_request_exception=False)}
    for role, user in users.items():
        found[role] = Client(raise_request_exception=False)
        found[role].force_login(user)
    return found


# --- What a post did ---------------------------------------------------------------------------

# The rows a post may change and still have changed nothing: reads are audited (a refused
# edit page is still a page read), failed logins are counted (django-axes), and logging in
# touches the account's last login and the session table.
WATCHED = [
    Patient, IntakeSubmission, ScreeningResult, Consent, Hold, Course, Session, SessionRecord,
    Practitioner, Message, PortalInvite, AftercareAcknowledgement, CheckInAnswer, ReactionFlag,
    PreSessionCheck, SessionChangeRequest, StaffInvite, BookingRequest,
]  # fmt: skip


def snapshot() -> dict:
    """Every watched row; the staff writes in the audit trail; each account's password and
    state."""
    found = {m.__name__: list(m.objects.order_by("pk").values_list()) for m in WATCHED}
    found["audit"] = AuditEvent.objects.exclude(action__in=["view", "list"]).count()
    found["users"] = list(
        User.objects.order_by("pk").values_list("pk", "username", "password", "is_active")
    )
    found["roles"] = list(User.groups.through.objects.order_by("pk").values_list())
    return found


class _Undo(Exception):
    pass


@contextmanager
def rolled_back():
    """Whatever the post did is undone when the block ends."""
    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass


def _has_form_errors(response) -> bool:
    contexts = response.context
    if contexts is None:
        return False
    for context in contexts if isinstance(contexts, ContextList) else [contexts]:
        for value in context.flatten().values():
            if isinstance(value, forms.BaseForm) and value.is_bound and value.errors:
                return True
            if isinstance(value, ChartForm) and value.has_errors:
                return True
    return False


def outcome(response) -> str:
    """ "refused" (the form again with its problems, or a redirect with an error message),
    "accepted", or what went wrong."""
    status = response.status_code
    said = list(get_messages(response.wsgi_request))
    error_said = any(m.level == ERROR for m in said)
    if status == 302:
        return "refused" if error_said else "accepted"
    if status in (200, 400):
        return "refused" if _has_form_errors(response) or error_said else "accepted"
    return f"a {status}"


def _value(payload, kind: Kind):
    if not kind.file:
        return payload
    if isinstance(payload, list):
        return [SimpleUploadedFile(f"{p}.jpg", p.encode(), "image/jpeg") for p in payload]
    return SimpleUploadedFile("photo.jpg", payload.encode(), "image/jpeg")


# --- The tests ---------------------------------------------------------------------------------


def test_every_form_answers_bad_input_with_its_problems_and_changes_nothing(world, clients):
    before = snapshot()
    logged_in = {role: copy.deepcopy(client.cookies) for role, client in clients.items()}
    problems: list[str] = []
    posts = 0
    for form in FORMS:
        url = reverse(form.name, kwargs=form.kwargs(world))
        client = clients[form.role]
        base = form.base(world)
        with rolled_back():
            client.cookies = copy.deepcopy(logged_in[form.role])
            first = client.post(url, base)
            if first.status_code in (403, 404, 405) or first.status_code >= 500:
                problems.append(f"{form.name}: the filled-in form got a {first.status_code}")
                continue
        for name, kind in form.fields.items():
            for label, payload in PAYLOADS.items():
                with rolled_back():
                    # As logged in, with no message left over (a post may log out).
                    client.cookies = copy.deepcopy(logged_in[form.role])
                    response = client.post(url, {**base, name: _value(payload, kind)})
                    posts += 1
                    result = outcome(response)
                    where = f"{form.name} {name}={label}"
                    if result == "refused":
                        if snapshot() != before:
                            problems.append(f"{where}: refused, but the database changed")
                    elif result == "accepted":
                        if label not in kind.accepts:
                            problems.append(f"{where}: accepted ({response.status_code})")
                    else:
                        problems.append(f"{where}: {result}")
    assert not problems, "\n".join(problems)
    assert posts == sum(len(f.fields) for f in FORMS) * len(PAYLOADS)


def _takes_post(route: Route, clients: dict[str, Client]) -> bool:
    """Does the view answer a POST with anything but a 405, as someone it lets in?"""
    values = {name: uuid.uuid4() for name in route.params()}
    values.update({k: "not-a-token" for k in ("token",) if k in values})
    values.update({k: "treatment" for k in ("kind",) if k in values})
    path = route.path(values)
    client = {"portal": "patient", "public": "anonymous"}.get(route.kind, "everyone")
    with rolled_back():
        return clients[client].post(path, {}).status_code != 405


def test_every_url_that_takes_a_post_has_a_fuzz_row(
    frozen, front_desk_user, practitioner_user, manager_user
):
    everyone = UserFactory(username="all-roles")
    for user in (front_desk_user, practitioner_user, manager_user):
        everyone.groups.add(*user.groups.all())
    pia = portal_patient(first_name="Pia")
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role, user in (("everyone", everyone), ("patient", pia.portal_user)):
        clients[role] = Client(raise_request_exception=False)
        clients[role].force_login(user)
    listed = {form.name for form in FORMS}
    taking_post = {
        route.name
        for route in routes()
        if not route.text.startswith(("api/", "admin/")) and _takes_post(route, clients)
    }
    assert taking_post - listed == set(), "a form without a fuzz row: add it to FORMS"
    assert listed - taking_post == set(), "a row for a URL that takes no POST (or is gone)"


@pytest.mark.parametrize(("path", "status"), [("/admin/login/", 200), ("/api/auth/token/", 400)])
def test_the_admin_and_api_logins_refuse_an_overlong_username_too(db, path, status):
    """Outside FORMS (Django's admin, the API), but the same 500 was there: django-axes logs a
    failed login's username in 255 characters."""
    client = Client(raise_request_exception=False)
    data = {"username": "a" * 5000, "password": "x"}
    if path.startswith("/api/"):
        response = client.post(path, data, content_type="application/json")
    else:
        response = client.post(path, data)
    assert response.status_code == status
