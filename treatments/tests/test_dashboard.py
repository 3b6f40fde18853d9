"""The dashboard as a work queue (issue 11 item 7): for each role the items it acts on, each
linking where it is resolved, empty states that say what "nothing to do" means, one audit row
per patient record shown, and the same queries for one row of everything or many.

Made at 08:00 on Monday 2 March 2026 (GMT, so UTC is the clinic's wall clock)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import AuditEvent
from patients.models import Patient
from patients.tests.factories import PatientFactory
from treatments.messaging.models import Message
from treatments.portal.models import SessionChangeRequest
from treatments.portal.tests.helpers import completed_session, intake
from treatments.scheduling.models import Session, SessionRecord
from treatments.scheduling.tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class Queue:
    today: list[Session] = field(default_factory=list)
    ahead: list[Session] = field(default_factory=list)  # Thursday, no pre-session check
    requests: list[SessionChangeRequest] = field(default_factory=list)
    failed: list[Message] = field(default_factory=list)
    review: list[Patient] = field(default_factory=list)
    flagged: list[Session] = field(default_factory=list)


def fill(clinic, desk, queue: Queue, n: int) -> Queue:
    """`n` more of every item: sessions today (the first still expected, the others checked
    in), booked sessions on Thursday with a change request and a failed reminder, patients
    waiting for a sign-off, and yesterday's sessions charted above a flag."""
    start = len(queue.today)
    room = clinic.rooms[0]
    for i in range(start, start + n):
        patient = PatientFactory(first_name=f"Tia{i}", last_name="Today")
        course = CourseFactory(patient=patient, practitioner=clinic.practitioner)
        at = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC) + dt.timedelta(minutes=30 * i)
        queue.today.append(
            Session.objects.create(
                course=course, patient=patient, practitioner=clinic.practitioner, room=room,
                number=1, starts_at=at, ends_at=at + dt.timedelta(minutes=30),
                status=Session.Status.BOOKED if i == 0 else Session.Status.CHECKED_IN,
            )
        )  # fmt: skip
        at = at + dt.timedelta(days=3)
        ahead = Session.objects.create(
            course=course, patient=patient, practitioner=clinic.practitioner, room=room,
            number=2, starts_at=at, ends_at=at + dt.timedelta(minutes=30),
        )  # fmt: skip
        queue.ahead.append(ahead)
        queue.requests.append(
            SessionChangeRequest.objects.create(session=ahead, patient=patient, kind="move")
        )
        queue.failed.append(
            Message.objects.create(
                patient=patient, session=ahead, kind="reminder_24h", channel="email",
                due_at=NOW, status=Message.Status.FAILED, last_error="Mailbox unavailable",
            )
        )  # fmt: skip
        waiting = PatientFactory(first_name=f"Rev{i}", last_name="Review")
        intake(waiting, desk, keloid_history=True)
        queue.review.append(waiting)
        done = completed_session(
            PatientFactory(first_name=f"Fay{i}", last_name="Flag"),
            at=NOW - dt.timedelta(days=1, hours=-i), practitioner=clinic.practitioner,
            areas=("cheeks",),
        )  # fmt: skip
        SessionRecord.objects.filter(session=done).update(
            flagged=True, flag_reason="Above 1.5 mm for this area: deep boxcar scars"
        )
        queue.flagged.append(done)
    return queue


def page(client) -> str:
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def _session(s: Session) -> str:
    return reverse("treatments:session", args=[s.public_id])


# --- What each role sees ----------------------------------------------------------------------


def test_front_desk_see_todays_arrivals_with_check_in_and_what_they_must_chase(
    clinic, front_desk_user, front_desk_client
):
    queue = fill(clinic, front_desk_user, Queue(), 2)
    html = page(front_desk_client)
    # Today's sessions in time order, with the arrival state and one-click check-in.
    assert "Today's sessions" in html
    first, second = queue.today
    assert html.index("Tia0 Today") < html.index("Tia1 Today")
    check_in = reverse("treatments:session_check_in", args=[first.public_id])
    assert f'<a class="button" href="{check_in}">Check in</a>' in html
    assert reverse("treatments:session_check_in", args=[second.public_id]) not in html
    assert "Not arrived yet" in html and "<strong>Arrived</strong>, checked in" in html
    # Pre-session checks not answered, change requests, failed messages: each linked.
    # Thursday's two, and this morning's expected one: none has its questions answered.
    assert "Pre-session checks not answered (3)" in html
    assert all(_session(s) in html for s in [*queue.ahead, first])
    assert "Requests to cancel or move (2)" in html
    for request in queue.requests:
        assert f"/portal/staff/#request-{request.public_id}" in html
    assert "Failed messages (2)" in html and "Mailbox unavailable" in html
    for message in queue.failed:
        assert reverse("treatments:message_resend", args=[message.public_id]) in html
    # Not the practitioner's queue.
    assert "Screenings awaiting sign-off" not in html and "Depth flags" not in html
    assert "This week" not in html


def test_a_practitioner_sees_their_day_sign_offs_triage_and_depth_flags(
    clinic, front_desk_user, practitioner_client
):
    queue = fill(clinic, front_desk_user, Queue(), 2)
    html = page(practitioner_client)
    assert "Your day" in html and "Today's sessions" not in html
    assert all(_session(s) in html for s in queue.today)
    assert "Coming up this week" in html and all(_session(s) in html for s in queue.ahead)
    assert "Screenings awaiting sign-off (2)" in html
    for patient in queue.review:
        assert reverse("patients:detail", args=[patient.public_id]) + "#screening" in html
    assert reverse("patients:list") + "?needs_review=1" in html
    assert "check-ins to read" in html and reverse("portal:staff_triage") in html
    assert "Depth flags (2)" in html and "deep boxcar scars" in html
    assert all(_session(s) in html for s in queue.flagged)
    # Not the front desk's queue.
    assert "Failed messages" not in html and "Pre-session checks not answered" not in html


def test_a_practitioner_sees_only_their_own_day_and_flags(
    clinic, front_desk_user, practitioner_client
):
    other = fill(clinic, front_desk_user, Queue(), 1)
    Session.objects.update(practitioner=CourseFactory().practitioner)
    html = page(practitioner_client)
    assert _session(other.today[0]) not in html and _session(other.flagged[0]) not in html
    assert "No sessions today with you: nobody to check in." in html
    assert "Depth flags (0)" in html


def test_a_manager_sees_both_queues_and_the_weeks_counts(clinic, front_desk_user, manager_client):
    fill(clinic, front_desk_user, Queue(), 2)
    html = page(manager_client)
    for heading in (
        "Today's sessions", "Pre-session checks not answered (3)",
        "Requests to cancel or move (2)", "Failed messages (2)",
        "Screenings awaiting sign-off (2)", "Depth flags (2)", "This week (2 Mar onwards)",
    ):  # fmt: skip
        assert heading in html, heading
    # 2 today + 2 on Thursday; yesterday's completed sessions were last week.
    assert "<strong>4</strong> sessions in all" in html
    assert "<strong>1</strong> booked" not in html and "<strong>3</strong> booked" in html
    assert "<strong>1</strong> checked in" in html


@pytest.mark.parametrize("role", ["front_desk", "practitioner", "manager"])
def test_an_empty_queue_says_what_nothing_to_do_means(clinic, request, role):
    html = page(request.getfixturevalue(f"{role}_client"))
    expected = {
        "front_desk": [
            "No sessions today: nobody to check in.",
            "Every session in the next 7 days has its pre-session check answered.",
            "No patient has asked to cancel or move a session.",
            "No failed messages: everything due has been sent or is on its way.",
        ],
        "practitioner": [
            "No sessions today with you: nobody to check in.",
            "Nothing booked with you in the next 7 days.",
            "No screening is waiting for a sign-off.",
            "No depth above an area's flag was charted in the last 7 days.",
        ],
    }
    expected["manager"] = [*expected["front_desk"], *expected["practitioner"][2:]]
    for sentence in expected[role]:
        assert sentence in html, sentence


def test_every_patient_record_shown_is_audited_as_read_by_the_viewer(
    clinic, front_desk_user, front_desk_client
):
    queue = fill(clinic, front_desk_user, Queue(), 1)
    page(front_desk_client)
    rows = AuditEvent.objects.filter(action="list", actor=front_desk_user)
    assert {str(queue.today[0].patient.public_id)} <= {str(r.patient_id) for r in rows}
    assert rows.filter(object_type="treatments.sessionchangerequest").count() == 1
    assert rows.filter(object_type="treatments.message").count() == 1


# --- Queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["front_desk", "practitioner", "manager"])
def test_the_dashboard_costs_the_same_queries_for_one_row_of_everything_or_many(
    clinic, front_desk_user, request, role, django_assert_max_num_queries
):
    client = request.getfixturevalue(f"{role}_client")
    queue = fill(clinic, front_desk_user, Queue(), 1)
    with CaptureQueriesContext(connection) as one:
        page(client)
    fill(clinic, front_desk_user, queue, 7)
    # Per role, the panels' reads: the day (and the week ahead), each list with its count,
    # the triage counts, the week's counts; the session, the audit INSERT, the user's roles.
    with django_assert_max_num_queries(len(one)):
        html = page(client)
    assert "Tia7 Today" in html or "Rev7 Review" in html
