"""Repairing a booked course and telling the patient (issue 11 items 3 and 5): a session in
place of a cancelled one, with each of booking's refusals; the whole course cancelled, with
one message; "this and following" moved all or nothing; and a course status that is true,
with its reviews only once it is completed. (Here, above the layers: it reads the outbox.)"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinic.models import AuditEvent
from patients import services as patient_services
from patients.tests.helpers import clear_answers
from treatments.messaging import render
from treatments.messaging.models import Message
from treatments.messaging.outbox import REVIEWS
from treatments.messaging.tests.helpers import complete, work_outbox
from treatments.scheduling import archive, repair, services
from treatments.scheduling.models import Course, Session, TimeOff
from treatments.scheduling.tests.factories import session_at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("long_sessions")]
LONDON = ZoneInfo("Europe/London")
Kind = Message.Kind


def local(y, m, d, h, minute=0):
    return dt.datetime(y, m, d, h, minute, tzinfo=LONDON)


# Four Mondays at 10:00, 28 days apart (the acne protocol: 120 minutes, at least 14 days).
SERIES = [
    local(2026, 3, 9, 10),
    local(2026, 4, 6, 10),
    local(2026, 5, 4, 10),
    local(2026, 6, 1, 10),
]
SOON = dt.datetime(2026, 3, 3, 8, tzinfo=dt.UTC)  # the day after booking


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def sessions(clinic, front_desk_user, practitioner_user, acne_protocol):
    return clinic.book(
        starts=SERIES, protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )


@pytest.fixture
def course(sessions):
    return sessions[0].course


def cancel_second(sessions, front_desk_client):
    with at(SOON):
        response = front_desk_client.post(
            f"/api/sessions/{sessions[1].public_id}/cancel/",
            {"reason": "Practitioner ill", "initiated_by": "clinic"},
            format="json",
        )
    assert response.status_code == 200, response.json()


def add(front_desk_client, course, starts_at, room, **extra):
    with at(SOON):
        return front_desk_client.post(
            f"/api/courses/{course.public_id}/sessions/",
            {"starts_at": starts_at.isoformat(), "room": room.pk, **extra},
            format="json",
        )


# --- A session in place of a cancelled one ------------------------------------------------


def test_a_full_course_has_no_session_to_replace(sessions, course, clinic, front_desk_client):
    response = add(front_desk_client, course, local(2026, 4, 20, 10), clinic.rooms[0])
    assert response.status_code == 409
    assert "none to replace" in response.json()["error"]["message"]


def test_a_cancelled_session_is_replaced_and_the_course_renumbered(
    sessions, course, clinic, front_desk_client
):
    cancel_second(sessions, front_desk_client)
    response = add(front_desk_client, course, local(2026, 4, 20, 10), clinic.rooms[1])
    assert response.status_code == 201, response.json()
    assert response.json()["number"] == 2
    added = Session.objects.get(public_id=response.json()["id"])
    assert added.ends_at - added.starts_at == dt.timedelta(minutes=120)
    active = course.sessions.exclude(status="cancelled").order_by("starts_at")
    assert [s.number for s in active] == [1, 2, 3, 4]
    # The patient is sent a confirmation and the new session's check and reminders.
    assert set(added.messages.values_list("kind", flat=True)) == {
        Kind.BOOKING_CONFIRMATION, Kind.PRE_SESSION_CHECK, Kind.REMINDER_48H, Kind.REMINDER_24H,
    }  # fmt: skip
    assert AuditEvent.objects.filter(object_id=str(added.pk), detail__replacement=True).exists()
    # Now full again: a second replacement is refused.
    second = add(front_desk_client, course, local(2026, 6, 22, 10), clinic.rooms[1])
    assert second.status_code == 409


@pytest.mark.parametrize(
    ("starts_at", "status", "says"),
    [
        # 7 days before session 3 (4 May): the protocol's minimum is 14.
        (local(2026, 4, 27, 10), 400, "At least 14 days from session 3 (Monday 4 May 10:00)"),
        (local(2026, 4, 20, 18), 400, "outside Priya Shah's hours"),
        (local(2026, 4, 20, 10), 409, "already taken: the practitioner"),
        (local(2026, 4, 20, 14), 409, "is off"),
    ],
    ids=["spacing", "working-hours", "clash", "time-off"],
)
def test_a_replacement_has_bookings_checks(
    sessions, course, clinic, front_desk_client, starts_at, status, says
):
    cancel_second(sessions, front_desk_client)
    session_at(clinic.practitioner, local(2026, 4, 20, 9))  # another patient's, 9:00-10:30
    TimeOff.objects.create(
        practitioner=clinic.practitioner,
        starts_at=local(2026, 4, 20, 13),
        ends_at=local(2026, 4, 20, 17),
    )
    before = Session.objects.count()
    response = add(front_desk_client, course, starts_at, clinic.rooms[0])
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    assert says in " ".join([error["message"], *sum(error.get("fields", {}).values(), [])])
    assert Session.objects.count() == before


def test_a_replacement_needs_the_patient_cleared(
    sessions, course, clinic, front_desk_client, front_desk_user
):
    cancel_second(sessions, front_desk_client)
    with at(SOON):
        patient_services.intake_submit(
            patient=course.patient,
            answers=clear_answers(pregnant_or_breastfeeding=True),
            areas=["cheeks"],
            by=front_desk_user,
        )
    response = add(front_desk_client, course, local(2026, 4, 20, 10), clinic.rooms[0])
    assert response.status_code == 409
    assert "blocked" in response.json()["error"]["message"]
    assert course.sessions.count() == 4


# --- Cancelling the whole course ----------------------------------------------------------


def test_cancelling_a_course_cancels_its_sessions_and_tells_the_patient_once(
    sessions, course, front_desk_client, settings
):
    settings.CLINIC_PHONE = "+44 20 7946 0123"
    with at(SOON):
        response = front_desk_client.post(
            f"/api/courses/{course.public_id}/cancel/",
            {"reason": "The practitioner is leaving"},
            format="json",
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "cancelled" and body["cancel_initiated_by"] == "clinic"
    assert body["cancel_reason"] == "The practitioner is leaving"
    assert set(course.sessions.values_list("status", flat=True)) == {"cancelled"}
    cadence = Message.objects.exclude(kind=Kind.COURSE_CANCELLED)
    assert set(cadence.values_list("status", flat=True)) == {"cancelled"}
    [notice] = Message.objects.filter(kind=Kind.COURSE_CANCELLED)
    assert notice.status == "pending" and notice.due_at == SOON
    text = render.render_email(notice).text
    for when in ("Monday 9 March at 10:00", "Monday 6 April at 10:00", "Monday 1 June at 10:00"):
        assert when in text  # the clinic's clock: 6 April is BST, still 10:00
    assert "We are sorry" in text and "+44 20 7946 0123 to rebook" in text
    with at(SOON):
        again = front_desk_client.post(
            f"/api/courses/{course.public_id}/cancel/", {"reason": "again"}, format="json"
        )
    assert again.status_code == 409


def test_a_course_the_patient_cancels_is_confirmed_without_an_apology(
    sessions, course, front_desk_user
):
    with at(SOON):
        repair.course_cancel(
            course=course, reason="Moving away", initiated_by="patient", by=front_desk_user
        )
    notice = Message.objects.get(kind=Kind.COURSE_CANCELLED)
    text = render.render_email(notice).text
    assert "As you asked" in text and "sorry" not in text.lower()


def test_a_course_with_a_checked_in_session_is_not_cancelled(sessions, course, front_desk_user):
    Session.objects.filter(pk=sessions[0].pk).update(status="checked_in")
    with at(SOON), pytest.raises(repair.Conflict, match="Session 1 is checked in"):
        repair.course_cancel(course=course, reason="x", by=front_desk_user)
    assert course.sessions.filter(status="booked").count() == 3


# --- Moving "this and following" ----------------------------------------------------------


def test_a_move_with_the_following_sessions_moves_them_all_and_tells_the_patient_once(
    sessions, front_desk_client
):
    with at(SOON):
        response = front_desk_client.post(
            f"/api/sessions/{sessions[1].public_id}/reschedule/",
            {"starts_at": local(2026, 4, 14, 11).isoformat(), "shift_following": True},
            format="json",
        )
    assert response.status_code == 200, response.json()
    starts = [s.starts_at for s in Session.objects.order_by("number")]
    assert starts == [
        SERIES[0], local(2026, 4, 14, 11), local(2026, 5, 12, 11), local(2026, 6, 9, 11),
    ]  # fmt: skip
    [notice] = Message.objects.filter(kind__in=[Kind.SESSION_MOVED, Kind.SESSIONS_MOVED])
    assert notice.kind == Kind.SESSIONS_MOVED and notice.session_id == sessions[1].pk
    text = render.render_email(notice).text
    assert (
        "- Tuesday 14 April at 11:00\n- Tuesday 12 May at 11:00\n- Tuesday 9 June at 11:00" in text
    )


def test_when_one_following_session_cannot_move_nothing_moves(sessions, clinic, front_desk_client):
    session_at(clinic.practitioner, local(2026, 5, 12, 11))  # in session 3's way
    with at(SOON):
        response = front_desk_client.post(
            f"/api/sessions/{sessions[1].public_id}/reschedule/",
            {"starts_at": local(2026, 4, 14, 11).isoformat(), "shift_following": True},
            format="json",
        )
    assert response.status_code == 409
    message = response.json()["error"]["message"]
    assert message.startswith("Session 3 (Monday 4 May 10:00) cannot move to Tuesday 12 May 11:00")
    assert "already taken" in message and "Nothing was moved." in message
    assert [s.starts_at for s in sessions[0].course.sessions.order_by("number")] == SERIES
    assert not Message.objects.filter(kind__in=[Kind.SESSION_MOVED, Kind.SESSIONS_MOVED]).exists()


def test_a_move_alone_leaves_the_later_sessions_and_says_the_new_local_time(
    sessions, front_desk_user
):
    with at(SOON):
        services.session_reschedule(
            session=sessions[0], starts_at=local(2026, 3, 10, 14), by=front_desk_user
        )
    assert [s.starts_at for s in Session.objects.order_by("number")][1:] == SERIES[1:]
    notice = Message.objects.get(kind=Kind.SESSION_MOVED)
    assert "It is now on:\n\n- Tuesday 10 March at 14:00" in render.render_email(notice).text


# --- A course status that is true ---------------------------------------------------------


def test_a_course_with_a_cancelled_session_is_completed_only_once_it_is_dropped(
    sessions, course, front_desk_user, practitioner_user, front_desk_client
):
    for session in sessions[:3]:
        complete(session, by=front_desk_user, practitioner_user=practitioner_user,
                 when=session.starts_at + dt.timedelta(minutes=5))  # fmt: skip
    with at(local(2026, 5, 20, 9)):
        services.session_cancel(session=sessions[3], reason="Patient away", by=front_desk_user)
    course.refresh_from_db()
    assert course.status == "booked"
    assert not Message.objects.filter(kind__in=REVIEWS).exists()
    with at(local(2026, 5, 20, 10)):
        response = front_desk_client.post(
            f"/api/sessions/{sessions[3].public_id}/drop/",
            {"reason": "The patient is happy with the result"},
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert response.json()["dropped_reason"] == "The patient is happy with the result"
    course.refresh_from_db()
    assert course.status == "completed"
    reviews = Message.objects.filter(kind__in=REVIEWS)
    assert {m.kind for m in reviews} == set(REVIEWS)
    assert {m.session_id for m in reviews} == {sessions[2].pk}  # timed from the last done
    with at(local(2026, 5, 20, 11)):
        again = front_desk_client.post(
            f"/api/sessions/{sessions[3].public_id}/drop/", {"reason": "x"}, format="json"
        )
    assert again.status_code == 409


def test_completing_the_last_session_with_one_still_to_replace_leaves_the_course_booked(
    sessions, course, front_desk_user, practitioner_user
):
    with at(SOON):
        services.session_cancel(session=sessions[1], reason="Unwell", by=front_desk_user)
    for session in (sessions[0], sessions[2], sessions[3]):
        complete(session, by=front_desk_user, practitioner_user=practitioner_user,
                 when=session.starts_at + dt.timedelta(minutes=5))  # fmt: skip
    course.refresh_from_db()
    assert course.status == Course.Status.BOOKED
    assert not Message.objects.filter(kind__in=REVIEWS).exists()


def test_only_a_cancelled_or_missed_session_is_dropped(sessions, front_desk_client):
    response = front_desk_client.post(
        f"/api/sessions/{sessions[1].public_id}/drop/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 409
    missing = front_desk_client.post(
        f"/api/sessions/{sessions[1].public_id}/drop/", {}, format="json"
    )
    assert missing.status_code == 400


def test_nothing_done_cannot_complete_by_dropping(sessions, course, front_desk_user):
    with at(SOON):
        for session in sessions:
            services.session_cancel(session=session, reason="Unwell", by=front_desk_user)
        for session in sessions[:3]:
            repair.session_drop(session=session, reason="Not wanted", by=front_desk_user)
        with pytest.raises(repair.Conflict, match="cancel the course instead"):
            repair.session_drop(session=sessions[3], reason="Not wanted", by=front_desk_user)
    course.refresh_from_db()
    assert course.status == "booked"


# --- What the patient reads by SMS --------------------------------------------------------


def test_a_clinic_cancel_by_sms_apologises_and_waits_for_the_morning(
    sessions, front_desk_user, settings
):
    settings.CLINIC_PHONE = "+44 20 7946 0123"
    patient = sessions[0].patient
    patient.preferred_channel, patient.sms_consent, patient.phone = "sms", True, "+447700900123"
    patient.save()
    with at(local(2026, 3, 3, 21)):  # quiet hours
        services.session_cancel(session=sessions[1], reason="Pen broken", by=front_desk_user)
    notice = Message.objects.get(kind=Kind.SESSION_CANCELLED)
    assert notice.channel == "sms" and notice.due_at == local(2026, 3, 4, 9)
    body = render.render_sms(notice)
    assert "we are sorry" in body and "Monday 6 April at 10:00" in body
    assert "call us on +44 20 7946 0123 to rebook" in body
    assert patient.last_name not in body


def test_a_patient_s_own_cancel_is_confirmed_without_an_apology(sessions, front_desk_user):
    with at(SOON):
        services.session_cancel(
            session=sessions[1], reason="Holiday", initiated_by="patient", by=front_desk_user
        )
    text = render.render_email(Message.objects.get(kind=Kind.SESSION_CANCELLED)).text
    assert "As you asked, we have cancelled your appointment" in text
    assert "sorry" not in text.lower()


# --- The course page ----------------------------------------------------------------------


def test_the_course_page_books_a_replacement_for_a_cancelled_session(
    sessions, course, clinic, front_desk_client
):
    cancel_second(sessions, front_desk_client)
    page = front_desk_client.get(f"/courses/{course.public_id}/").content.decode()
    assert "Book a session in place of a cancelled or missed one" in page
    assert "to replace: 1" in page and "Do not replace this session" in page
    with at(SOON):
        response = front_desk_client.post(
            f"/courses/{course.public_id}/sessions/",
            {"starts_at": "2026-04-20T10:00", "room": clinic.rooms[0].pk},
            follow=True,
        )
    assert "Booked session 2 on Mon 20 Apr 2026, 10:00" in response.content.decode()
    assert course.sessions.filter(status="booked").count() == 4
    page = front_desk_client.get(f"/courses/{course.public_id}/").content.decode()
    assert "Book a session in place" not in page


def test_a_refused_replacement_says_why_on_the_course_page(
    sessions, course, clinic, front_desk_client
):
    cancel_second(sessions, front_desk_client)
    with at(SOON):
        response = front_desk_client.post(
            f"/courses/{course.public_id}/sessions/",
            {"starts_at": "2026-04-27T10:00", "room": clinic.rooms[0].pk},
            follow=True,
        )
    page = response.content.decode()
    assert "Nothing was booked: Too close to another session of the course." in page
    assert "At least 14 days from session 3" in page
    assert course.sessions.filter(status="booked").count() == 3


def test_the_course_page_drops_a_session_and_cancels_the_course(
    sessions, course, front_desk_client
):
    cancel_second(sessions, front_desk_client)
    with at(SOON):
        front_desk_client.post(
            f"/sessions/{sessions[1].public_id}/drop/", {"reason": "Not needed"}, follow=True
        )
        sessions[1].refresh_from_db()
        assert sessions[1].dropped_reason == "Not needed"
        page = front_desk_client.get(f"/courses/{course.public_id}/").content.decode()
        assert "Not replaced: Not needed" in page and "Cancel the whole course" in page
        # Who asked is a required choice: without it nothing is cancelled.
        refused = front_desk_client.post(
            f"/courses/{course.public_id}/cancel/", {"reason": "Moving away"}, follow=True
        )
        assert "Nothing was cancelled: Who asked for it?: Say who asked" in refused.content.decode()
        course.refresh_from_db()
        assert course.status == "booked"
        done = front_desk_client.post(
            f"/courses/{course.public_id}/cancel/",
            {"reason": "Moving away", "initiated_by": "patient"},
            follow=True,
        )
    assert "The course is cancelled" in done.content.decode()
    course.refresh_from_db()
    assert course.status == "cancelled" and course.cancel_initiated_by == "patient"
    assert "Cancel the whole course" not in done.content.decode()


def test_the_session_page_moves_this_and_the_following_sessions(sessions, front_desk_client):
    with at(SOON):
        front_desk_client.post(
            f"/sessions/{sessions[2].public_id}/move/",
            {"starts_at": "2026-05-11T10:00", "shift_following": "on"},
        )
    starts = [s.starts_at for s in Session.objects.order_by("number")]
    assert starts == [*SERIES[:2], local(2026, 5, 11, 10), local(2026, 6, 8, 10)]
    page = front_desk_client.get(f"/sessions/{sessions[1].public_id}/").content.decode()
    assert "Also move the later sessions of this course by the same amount" in page
    assert 'name="initiated_by" value="patient"' in page


def test_archiving_tells_the_patient_their_sessions_are_cancelled_and_nothing_else_goes(
    sessions, front_desk_user, mailoutbox
):
    """Issue 11 item 4: archiving cancels what is to come, and the cancellation notice still
    goes out although the record is archived by the time the worker sends it: one for the
    course, listing its four times, not one per session."""
    patient = sessions[0].patient
    with at(SOON):
        archive.patient_archive(
            patient=patient, reason="Moved to Leeds.", cancel_future_sessions=True,
            by=front_desk_user,
        )  # fmt: skip
        work_outbox()
    sent = Message.objects.filter(patient=patient, status=Message.Status.SENT)
    assert list(sent.values_list("kind", flat=True)) == [Kind.COURSE_CANCELLED]
    assert not Message.objects.filter(patient=patient, status=Message.Status.PENDING).exists()
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert "cancelled" in body and "sorry" not in body.lower()
    assert body.count("\n- ") == len(sessions) == 4
