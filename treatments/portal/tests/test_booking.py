"""Patients book for themselves in the portal (issue 15 item 1): who sees times, which times,
what a choice does, and what the clinic's setting allows.

The clock is frozen at 08:00 on Monday 2 March 2026 (London is on GMT until 29 March). Pia's
course: session 1 on Tuesday 24 February (done), session 2 on Tuesday 17 March (booked, the
one she may move) and session 3 on Tuesday 14 April; the protocol's minimum is 14 days, so
session 2 may go from Tuesday 10 March to Tuesday 31 March.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.errors import Conflict
from clinic.models import AuditEvent
from clinic.tests.factories import PatientUserFactory
from patients import services as patient_services
from patients.models import Hold
from patients.tests.factories import PatientFactory
from patients.tests.screening_cases import clear_answers
from treatments.messaging.models import Message
from treatments.portal import booking
from treatments.portal import services as portal_services
from treatments.portal.models import BookingRequest, SessionChangeRequest
from treatments.scheduling import services as scheduling
from treatments.scheduling.models import Course, Session
from treatments.scheduling.tests.factories import CourseFactory

from .helpers import client_for, main, text

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)


def local(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LONDON)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk(front_desk_user):
    return front_desk_user


def portal_account(patient):
    patient.portal_user = PatientUserFactory(username=patient.email)
    patient.save(update_fields=["portal_user"])
    return patient


def course_of_three(clinic, patient, *, protocol, desk, planner, starts):
    """A course booked by the front desk (on 20 February) at `starts`, the first marked done."""
    with time_machine.travel(dt.datetime(2026, 2, 20, 8, tzinfo=dt.UTC), tick=False):
        course = clinic.course(
            patient, protocol=protocol, by=planner, sessions=len(starts), interval_days=21
        )
        slots = [scheduling.SlotRequest(starts_at=s, room=clinic.rooms[0]) for s in starts]
        sessions = scheduling.course_book(course=course, slots=slots, by=desk)
    Session.objects.filter(pk=sessions[0].pk).update(
        status=Session.Status.COMPLETED, status_changed_at=sessions[0].ends_at
    )
    return sessions


@pytest.fixture
def pia(clinic, acne_protocol, desk, practitioner_user):
    with time_machine.travel(dt.datetime(2026, 2, 20, 8, tzinfo=dt.UTC), tick=False):
        patient = clinic.screened_patient(desk, first_name="Pia", email="pia@example.com")
    portal_account(patient)
    patient.sessions_ = course_of_three(
        clinic,
        patient,
        protocol=acne_protocol,
        desk=desk,
        planner=practitioner_user,
        starts=[local(2, 24), local(3, 17), local(4, 14)],
    )
    # Her answers from today: valid until 9 March (7 days).
    patient_services.intake_submit(
        patient=patient, answers=clear_answers(), areas=["cheeks", "forehead"], by=desk
    )
    return patient


@pytest.fixture
def second(pia):
    return pia.sessions_[1]


@pytest.fixture
def browser_client(pia):
    return client_for(pia.portal_user)


def move_url(session) -> str:
    return f"/portal/book/sessions/{session.public_id}/"


def offered(response) -> list[str]:
    return re.findall(r'name="starts_at" value="([^"]+)"', response.content.decode())


# --- Who sees times ------------------------------------------------------------------------


def test_a_cleared_patient_sees_free_times_as_radio_buttons_in_the_clinics_zone(
    browser_client, second
):
    response = browser_client.get(move_url(second))
    assert response.status_code == 200
    values = offered(response)
    assert values, "no times offered"
    page = main(response)
    assert "Tuesday 10 March" in page
    # 09:00 London is 09:00 UTC in March before the clocks change; the label is local time.
    assert iso(local(3, 10, 9)) in values
    assert re.search(r"<span>09:00<span class=\"visually-hidden\"> on Tuesday 10 March", page)


def test_times_after_the_clocks_change_are_labelled_in_local_time(browser_client, second):
    response = browser_client.get(move_url(second) + "?from=2026-03-30")
    values = offered(response)
    # Monday 30 March 09:00 BST is 08:00 UTC: the radio's value is the instant, its label 09:00.
    assert iso(local(3, 30, 9)) in values
    assert "+00:00" in values[0] and values[0].startswith("2026-03-30T08:00")
    assert "09:00" in main(response)


def _not_cleared(clinic, acne_protocol, desk, practitioner_user, reason: str):
    """A patient with a booked course whose standing breaks one rule (each at its own hour)."""
    hour = 9 + list(WORDS).index(reason)
    patient = portal_account(PatientFactory(first_name="Nell", email=f"{reason}@example.com"))
    course = CourseFactory(
        patient=patient, practitioner=clinic.practitioner, protocol=acne_protocol, areas=["cheeks"]
    )
    session = Session.objects.create(
        course=course,
        patient=patient,
        practitioner=clinic.practitioner,
        room=clinic.rooms[0],
        number=1,
        starts_at=local(3, 17, hour),
        ends_at=local(3, 17, hour + 1),
    )
    answers = clear_answers(keloid_history=True) if reason == "sign_off" else clear_answers()
    if reason != "no_screening":
        taken = NOW - dt.timedelta(days=10) if reason == "expired" else NOW
        with time_machine.travel(taken, tick=False):
            patient_services.intake_submit(
                patient=patient, answers=answers, areas=["cheeks"], by=desk
            )
    if reason not in ("no_screening", "no_consent"):
        patient_services.consent_sign(
            patient=patient, kind="treatment", signed_name=patient.full_name, agreed=True, by=desk
        )
    if reason == "hold":
        patient_services.hold_place(
            patient=patient,
            reason="A reaction after the last session has not settled.",
            source=Hold.Source.PRE_SESSION,
            source_ref="x",
            by=desk,
        )
    return patient, session


WORDS = {
    "no_screening": "We have not been through your health questions yet.",
    "expired": "more than 7 days old",
    "sign_off": "A practitioner needs to look at your latest answers",
    "no_consent": "We need your signed consent to treatment",
    "hold": "Your practitioner wants to check how your skin is",
}


@pytest.mark.parametrize("reason", list(WORDS))
def test_a_patient_who_is_not_cleared_is_told_why_in_plain_words_and_never_sees_a_time(
    clinic, acne_protocol, desk, practitioner_user, reason
):
    patient, session = _not_cleared(clinic, acne_protocol, desk, practitioner_user, reason)
    client = client_for(patient.portal_user)
    for path in (move_url(session), "/portal/book/"):
        response = client.get(path)
        assert response.status_code == 200
        page = main(response)
        assert WORDS[reason] in page, page
        assert "Call" in page and "starts_at" not in page
        # Never the finding or staff's words.
        assert "keloid" not in page.lower() and "screening" not in page.lower()
    before, was = AuditEvent.objects.count(), session.starts_at
    response = client.post(move_url(session), {"starts_at": iso(local(3, 24))})
    assert response.status_code == 409
    session.refresh_from_db()
    assert session.starts_at == was
    assert AuditEvent.objects.count() == before
    with pytest.raises(Conflict):
        target = booking.next_session_for(patient, session.public_id)
        booking.next_session_book(
            patient=patient, target=target, starts_at=local(3, 24), by=patient.portal_user
        )


def test_the_clearance_rule_names_each_refusal(clinic, acne_protocol, desk, practitioner_user):
    for reason in WORDS:
        patient, _ = _not_cleared(clinic, acne_protocol, desk, practitioner_user, reason)
        verdict = booking.patient_clearance(patient=patient, areas=["cheeks"])
        assert not verdict and verdict.code == reason


def test_expired_answers_offer_the_pre_session_questions_when_they_are_open(
    long_sessions, clinic, acne_protocol, desk, practitioner_user
):
    patient, session = _not_cleared(clinic, acne_protocol, desk, practitioner_user, "expired")
    client = client_for(patient.portal_user)
    assert "Answer the questions now" not in main(client.get(move_url(session)))
    with time_machine.travel(dt.datetime(2026, 3, 11, 8, tzinfo=dt.UTC), tick=False):
        page = main(client.get(move_url(session)))
        assert "Answer the questions now" in page
        assert f"/portal/pre-session-check/{session.public_id}/" in page


# --- Which times: the course's spacing to both neighbours -----------------------------------


def test_the_window_keeps_the_minimum_interval_to_the_sessions_before_and_after(pia, second):
    target = booking.next_session_for(pia, second.public_id)
    verdict = booking.patient_clearance(patient=pia, areas=target.course.areas)
    # Session 1 on 24 February + 14 days; session 3 on 14 April - 14 days.
    assert booking.window(target, verdict.screening) == (dt.date(2026, 3, 10), dt.date(2026, 3, 31))


def test_no_time_is_offered_closer_than_the_minimum_to_the_previous_session(browser_client, second):
    response = browser_client.get(move_url(second) + "?from=2026-03-02")
    values = offered(response)
    days = sorted({dt.datetime.fromisoformat(v).astimezone(LONDON).date() for v in values})
    # Monday 9 March is a working day, but only 13 days after session 1.
    assert days[0] == dt.date(2026, 3, 10)


def test_no_time_is_offered_closer_than_the_minimum_to_the_following_session(
    browser_client, second
):
    response = browser_client.get(move_url(second) + "?from=2026-03-30")
    values = offered(response)
    days = sorted({dt.datetime.fromisoformat(v).astimezone(LONDON).date() for v in values})
    # Wednesday 1 April is a working day, but only 13 days before session 3.
    assert days[-1] == dt.date(2026, 3, 31)
    assert "Later dates" not in main(response)


@pytest.mark.parametrize("outside", [local(3, 9), local(4, 1)])
def test_a_time_too_close_to_a_neighbour_is_refused_and_nothing_moves(
    browser_client, pia, second, outside
):
    response = browser_client.post(move_url(second), {"starts_at": iso(outside)}, follow=True)
    assert booking.JUST_TAKEN in text(response)
    second.refresh_from_db()
    assert second.starts_at == local(3, 17)
    with pytest.raises(Conflict):
        booking.next_session_book(
            patient=pia,
            target=booking.next_session_for(pia, second.public_id),
            starts_at=outside,
            by=pia.portal_user,
        )


def test_a_time_shorter_than_usual_from_another_course_on_the_same_area_is_not_offered(
    clinic, acne_protocol, desk, practitioner_user, pia, browser_client, second
):
    other = clinic.course(pia, protocol=acne_protocol, by=practitioner_user, sessions=1)
    scheduling.course_book(
        course=other,
        slots=[scheduling.SlotRequest(starts_at=local(3, 31), room=clinic.rooms[1])],
        by=desk,
        confirm_short_interval=True,
    )
    response = browser_client.get(move_url(second) + "?from=2026-03-24")
    assert offered(response) == []  # within 28 days of 31 March on the cheeks


# --- What a choice does ----------------------------------------------------------------------


def test_choosing_a_time_moves_the_session_as_staff_would_with_its_messages_and_audit(
    browser_client, pia, second
):
    to = local(3, 24, 11)
    response = browser_client.post(move_url(second), {"starts_at": iso(to)})
    assert response.status_code == 302 and response["Location"] == "/portal/sessions/"
    second.refresh_from_db()
    assert second.starts_at == to and second.status == Session.Status.BOOKED
    moved = AuditEvent.objects.filter(action="update", object_id=str(second.pk)).get()
    assert moved.actor == pia.portal_user and moved.detail["moved_to"] == to.isoformat()
    # The same message staff's move sends, and the reminders re-timed.
    assert Message.objects.filter(session=second, kind="session_moved").exists()
    reminder = Message.objects.get(session=second, kind="reminder_24h", channel="email")
    assert reminder.due_at == to - dt.timedelta(hours=24)
    sessions = browser_client.get("/portal/sessions/", follow=True)
    assert "Tuesday 24 March 2026 at 11:00 GMT" in main(sessions)


def test_a_move_inside_the_notice_period_becomes_a_change_request(
    long_sessions, browser_client, pia, second
):
    with time_machine.travel(dt.datetime(2026, 3, 16, 8, tzinfo=dt.UTC), tick=False):
        patient_services.intake_submit(
            patient=pia, answers=clear_answers(), areas=["cheeks", "forehead"], by=pia.portal_user
        )
        page = main(browser_client.get(move_url(second)))
        assert "less than 48 hours away" in page
        to = local(3, 24, 11)
        response = browser_client.post(move_url(second), {"starts_at": iso(to)}, follow=True)
        assert "asked the front desk to move it" in text(response)
    second.refresh_from_db()
    assert second.starts_at == local(3, 17)  # unchanged until staff act
    change = SessionChangeRequest.objects.get(session=second)
    assert change.kind == "move" and change.status == "open"
    assert "Tuesday 24 March 2026 11:00" in change.note


def test_a_longer_notice_period_turns_an_earlier_move_into_a_request(
    browser_client, pia, second, settings
):
    settings.PORTAL_MOVE_NOTICE_HOURS = 24 * 16  # the session is 15 days away
    response = browser_client.post(move_url(second), {"starts_at": iso(local(3, 31))}, follow=True)
    assert "asked the front desk" in text(response)
    second.refresh_from_db()
    assert second.starts_at == local(3, 17)
    assert SessionChangeRequest.objects.filter(session=second, kind="move").exists()


def test_no_time_is_offered_inside_the_notice_period(clinic, acne_protocol, desk):
    ned = portal_account(clinic.screened_patient(desk, first_name="Ned", email="ned@example.com"))
    course = clinic.course(ned, protocol=acne_protocol, by=desk, sessions=1)
    # A course with nothing booked yet wants its first session from 4 March 08:00 on.
    Course.objects.filter(pk=course.pk).update(status=Course.Status.BOOKED)
    target = booking.next_session_for(ned, course.public_id)
    page = booking.slots(target, screening=None)
    first = page.days[0].choices[0].starts_at
    assert first >= NOW + dt.timedelta(hours=48)


def test_booking_the_next_session_of_a_course_adds_it_through_the_staff_service(
    clinic, acne_protocol, desk, practitioner_user, pia, browser_client, second
):
    for session in pia.sessions_[1:]:
        scheduling.session_cancel(session=session, reason="Unwell", by=desk)
    target = booking.next_session_for(pia, second.course.public_id)
    assert not target.moving and target.number == 2
    home = main(browser_client.get("/portal/book/"))
    assert f"/portal/book/courses/{second.course.public_id}/" in home
    to = local(3, 18, 9)
    response = browser_client.post(
        f"/portal/book/courses/{second.course.public_id}/", {"starts_at": iso(to)}
    )
    assert response.status_code == 302
    added = Session.objects.get(course=second.course, starts_at=to)
    assert added.status == Session.Status.BOOKED and added.number == 2
    created = AuditEvent.objects.get(action="create", object_id=str(added.pk))
    assert created.actor == pia.portal_user and created.detail["replacement"] is True
    assert Message.objects.filter(session=added, kind="booking_confirmation").exists()
    # A second tab posting the same course again: its next session is now booked (to move,
    # not to book), so it is told there is nothing left to book, and it is booked once.
    again = browser_client.post(
        f"/portal/book/courses/{second.course.public_id}/", {"starts_at": iso(to)}, follow=True
    )
    assert "no session left to book" in text(again)
    assert Session.objects.filter(course=second.course, status="booked").count() == 1


# --- A race: one wins, the other is told plainly ----------------------------------------------


@pytest.fixture
def rex(clinic, acne_protocol, desk, practitioner_user):
    """Another of Priya's patients, cleared, whose session 2 is at 13:00 on 17 March."""
    with time_machine.travel(dt.datetime(2026, 2, 20, 8, tzinfo=dt.UTC), tick=False):
        patient = clinic.screened_patient(desk, first_name="Rex", email="rex@example.com")
    portal_account(patient)
    patient.sessions_ = course_of_three(
        clinic,
        patient,
        protocol=acne_protocol,
        desk=desk,
        planner=practitioner_user,
        starts=[local(2, 24, 13), local(3, 17, 13), local(4, 14, 13)],
    )
    patient_services.intake_submit(
        patient=patient, answers=clear_answers(), areas=["cheeks", "forehead"], by=desk
    )
    return patient


def test_two_patients_choosing_the_same_time_one_wins_and_the_other_is_told_it_was_just_taken(
    rex, pia, second, browser_client
):
    rex_second = rex.sessions_[1]
    rex_client = client_for(rex.portal_user)
    wanted = iso(local(3, 24, 10))
    # Both see the time...
    assert wanted in offered(browser_client.get(move_url(second) + "?from=2026-03-24"))
    assert wanted in offered(rex_client.get(move_url(rex_second) + "?from=2026-03-24"))
    # ...Rex chooses it first, then Pia.
    assert rex_client.post(move_url(rex_second), {"starts_at": wanted}).status_code == 302
    response = browser_client.post(move_url(second), {"starts_at": wanted}, follow=True)
    assert booking.JUST_TAKEN in text(response)
    assert Session.objects.filter(starts_at=local(3, 24, 10), status="booked").count() == 1
    second.refresh_from_db()
    assert second.starts_at == local(3, 17)


@pytest.mark.django_db(transaction=True)
def test_two_patients_booking_the_same_time_at_the_same_moment_book_it_once(rex, pia, second):
    """Two requests at once, each on its own connection: the staff service's lock decides."""
    wanted = local(3, 24, 10)
    pairs = [
        (pia, booking.next_session_for(pia, second.public_id)),
        (rex, booking.next_session_for(rex, rex.sessions_[1].public_id)),
    ]
    ready = threading.Barrier(2)

    def book(pair):
        patient, target = pair
        try:
            ready.wait(timeout=10)
            booking.next_session_book(
                patient=patient, target=target, starts_at=wanted, by=patient.portal_user
            )
            return "booked"
        except Conflict as exc:
            return exc.message
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(book, pairs))
    assert sorted(results) == sorted(["booked", booking.JUST_TAKEN])
    assert Session.objects.filter(starts_at=wanted, status=Session.Status.BOOKED).count() == 1


def test_two_tabs_moving_the_same_session_to_the_same_time_move_it_once(browser_client, second):
    wanted = iso(local(3, 24, 10))
    assert browser_client.post(move_url(second), {"starts_at": wanted}).status_code == 302
    response = browser_client.post(move_url(second), {"starts_at": wanted}, follow=True)
    assert booking.JUST_TAKEN in text(response)
    assert AuditEvent.objects.filter(action="update", object_id=str(second.pk)).count() == 1


def test_a_clash_the_service_finds_under_its_lock_is_just_taken_too(
    clinic, acne_protocol, desk, practitioner_user, pia, second, monkeypatch
):
    """The page's check passed, but someone booked between it and the lock: the staff
    service refuses, and the patient reads the same plain words; nothing changes."""
    target = booking.next_session_for(pia, second.public_id)
    wanted = local(3, 24, 10)
    real = booking._chosen
    other = clinic.screened_patient(desk, first_name="Ola")
    course = clinic.course(other, protocol=acne_protocol, by=practitioner_user, sessions=1)

    def chosen_then_taken(target_, starts_at, screening):
        choice = real(target_, starts_at, screening)
        scheduling.course_book(
            course=course,
            slots=[scheduling.SlotRequest(starts_at=wanted, room=clinic.rooms[0])],
            by=desk,
        )
        return choice

    monkeypatch.setattr(booking, "_chosen", chosen_then_taken)
    with pytest.raises(Conflict) as refused:
        booking.next_session_book(patient=pia, target=target, starts_at=wanted, by=pia.portal_user)
    assert refused.value.message == booking.JUST_TAKEN
    second.refresh_from_db()
    assert second.starts_at == local(3, 17)


# --- Another patient's course, and the setting -------------------------------------------------


def test_another_patients_session_or_course_is_a_404(
    clinic, acne_protocol, desk, practitioner_user, pia, second
):
    with time_machine.travel(dt.datetime(2026, 2, 20, 8, tzinfo=dt.UTC), tick=False):
        rex = clinic.screened_patient(desk, first_name="Rex", email="rex@example.com")
    portal_account(rex)
    client = client_for(rex.portal_user)
    for path in (move_url(second), f"/portal/book/courses/{second.course.public_id}/"):
        assert client.get(path).status_code == 404
        assert client.post(path, {"starts_at": iso(local(3, 24))}).status_code == 404
    second.refresh_from_db()
    assert second.starts_at == local(3, 17)


def test_with_booking_off_the_portal_says_to_call_and_shows_no_times(
    browser_client, second, settings
):
    settings.PORTAL_BOOKING = "off"
    sessions = main(browser_client.get("/portal/sessions/"))
    assert "/portal/book/" not in sessions
    assert "To book or move a session, call us" in main(browser_client.get("/portal/book/"))
    assert browser_client.get(move_url(second)).status_code == 404
    response = browser_client.post(move_url(second), {"starts_at": iso(local(3, 24))})
    assert response.status_code == 404
    second.refresh_from_db()
    assert second.starts_at == local(3, 17)


def test_next_session_only_moves_sessions_but_takes_no_request_for_a_new_course(
    browser_client, second, settings
):
    settings.PORTAL_BOOKING = "next_session_only"
    assert f"/portal/book/sessions/{second.public_id}/" in main(
        browser_client.get("/portal/sessions/")
    )
    page = main(browser_client.get("/portal/book/"))
    assert "Choose another time" in page and "new course" not in page
    assert "call us" in main(browser_client.get("/portal/book/request/"))
    response = browser_client.post("/portal/book/request/", {"kind": "review"}, follow=True)
    assert "Please call us" in text(response)
    assert not BookingRequest.objects.exists()


def test_full_takes_a_review_request_for_a_practitioner_to_confirm(
    browser_client, pia, settings, practitioner_user
):
    settings.PORTAL_BOOKING = "full"
    assert "Ask for a review or a new course" in main(browser_client.get("/portal/book/"))
    response = browser_client.post(
        "/portal/book/request/", {"kind": "review", "when_suits": "Tuesday mornings"}
    )
    assert response.status_code == 302
    made = BookingRequest.objects.get()
    assert made.kind == "review" and made.status == "requested" and made.patient == pia
    assert AuditEvent.objects.filter(action="create", object_type="treatments.bookingrequest")
    booking.booking_request_handle(
        booking_request=made, outcome="confirm", note="", by=practitioner_user
    )
    made.refresh_from_db()
    assert made.status == "confirmed" and made.handled_by == practitioner_user


def test_full_takes_a_new_course_only_with_a_fresh_full_intake(
    browser_client, pia, settings, acne_protocol
):
    settings.PORTAL_BOOKING = "full"
    choice = {"kind": "new_course", "protocol": acne_protocol.pk, "areas": ["cheeks"]}
    step_two = browser_client.post("/portal/book/request/", choice)
    assert step_two.status_code == 200  # the questions, not yet answered
    assert "Your health questions" in main(step_two)
    assert not BookingRequest.objects.exists()
    answers = {}
    for key, value in clear_answers().items():
        if isinstance(value, bool):
            answers[key] = "yes" if value else "no"
        elif value is None:
            answers[key] = "no"
        else:
            answers[key] = value
    answers.pop("isotretinoin_stopped_on", None)
    intakes = pia.intakes.count()
    response = browser_client.post(
        "/portal/book/request/", {**choice, **answers, "step": "questions"}
    )
    assert response.status_code == 302, main(response)
    made = BookingRequest.objects.get()
    assert made.kind == "new_course" and made.protocol == acne_protocol
    assert made.intake.kind == "intake" and made.intake.submitted_by == pia.portal_user
    assert pia.intakes.count() == intakes + 1


def test_full_refuses_a_protocol_the_clinic_does_not_allow_online(
    browser_client, settings, acne_protocol
):
    settings.PORTAL_BOOKING = "full"
    settings.PORTAL_BOOKING_INDICATIONS = ("fine_lines",)
    response = browser_client.post(
        "/portal/book/request/",
        {"kind": "new_course", "protocol": acne_protocol.pk, "areas": ["cheeks"]},
    )
    assert response.status_code == 400
    assert "Choose one of the treatments offered online." in main(response)


# --- Queries ------------------------------------------------------------------------------


def _busy(clinic, acne_protocol, desk, practitioner_user, count: int, skip: int = 0) -> None:
    """`count` other patients booked in the week the page shows (after the first `skip`)."""
    for n in range(skip, skip + count):
        patient = clinic.screened_patient(desk, first_name=f"Busy{n}")
        course = clinic.course(patient, protocol=acne_protocol, by=practitioner_user)
        day = 10 + n % 4  # Tuesday to Friday
        start = local(3, day, 9 + 2 * (n // 4 % 4))
        room = clinic.rooms[n // 16 % 2]
        scheduling.course_book(
            course=course, slots=[scheduling.SlotRequest(starts_at=start, room=room)], by=desk
        )


def test_the_times_page_costs_the_same_queries_for_one_booking_around_it_or_many(
    clinic, acne_protocol, desk, practitioner_user, browser_client, second
):
    _busy(clinic, acne_protocol, desk, practitioner_user, 1)
    with CaptureQueriesContext(connection) as one:
        assert browser_client.get(move_url(second)).status_code == 200
    _busy(clinic, acne_protocol, desk, practitioner_user, 15, skip=1)
    with CaptureQueriesContext(connection) as many:
        response = browser_client.get(move_url(second))
    assert response.status_code == 200
    assert len(many) == len(one), [q["sql"][:120] for q in many.captured_queries]
    # The login's session and account, the patient, the booked courses with their sessions
    # (two), the clearance rule (one), the working hours, what is taken around the week (one
    # UNION), the patient's other courses' sessions; then the session's save (three).
    assert len(one) <= 12, [q["sql"][:120] for q in one.captured_queries]


def test_a_practitioner_answers_a_request_on_the_portal_alerts_page_and_front_desk_cannot(
    pia, settings, practitioner_client, front_desk_client
):
    settings.PORTAL_BOOKING = "full"
    made = booking.booking_request_create(
        patient=pia, kind="review", when_suits="Fridays", by=pia.portal_user
    )
    page = main(front_desk_client.get("/portal/staff/"))
    assert "Fridays" in page and "A practitioner confirms or declines it." in page
    assert "1</strong> request for a review or a new course" in text(practitioner_client.get("/"))
    url = f"/portal/staff/booking-requests/{made.public_id}/"
    assert front_desk_client.post(url, {"outcome": "confirm"}).status_code == 403
    refused = practitioner_client.post(url, {"outcome": "decline", "note": ""}, follow=True)
    assert "A note is required." in text(refused)
    made.refresh_from_db()
    assert made.status == "requested"
    practitioner_client.post(url, {"outcome": "decline", "note": "Not this year."})
    made.refresh_from_db()
    assert made.status == "declined" and made.staff_note == "Not this year."


def test_moving_a_session_online_closes_the_patients_open_request_to_move_it(
    browser_client, pia, second, front_desk_client
):
    change = portal_services.change_request_create(
        session=second, kind="move", note="Later please", by=pia.portal_user
    )
    assert "1</strong> request to cancel or move" in text(front_desk_client.get("/"))
    browser_client.post(move_url(second), {"starts_at": iso(local(3, 24, 11))})
    change.refresh_from_db()
    assert change.status == "done" and change.handled_by == pia.portal_user
    assert "request to cancel or move" not in text(front_desk_client.get("/"))


def test_a_deferral_moves_the_first_time_offered_to_its_date(browser_client, pia, second, desk):
    """A defer is not a refusal of every day (the rule allows days on or after its date): the
    times start then, and the defer's reason is never shown."""
    result = patient_services.intake_submit(
        patient=pia,
        answers=clear_answers(sunburn_or_tan_last_14_days=True),
        areas=["cheeks", "forehead"],
        by=desk,
    ).screening
    assert result.outcome == "defer" and result.defer_until > dt.date(2026, 3, 10)
    response = browser_client.get(move_url(second) + "?from=2026-03-02")
    days = {dt.datetime.fromisoformat(v).astimezone(LONDON).date() for v in offered(response)}
    assert days and min(days) >= result.defer_until
    assert "sun" not in main(response).lower()
