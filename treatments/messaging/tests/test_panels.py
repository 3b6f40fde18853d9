"""The patient record and the session page show courses and messages as panels
(`clinic.panels`): read through selectors, audited once by the page's view, in a number of
queries that does not grow with the rows."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import AuditEvent
from treatments.messaging.models import Message
from treatments.scheduling import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("long_sessions")]
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC), tick=False):
        yield


def course_booked(clinic, patient, protocol, planner, desk, start):
    course = clinic.course(patient, protocol=protocol, by=planner)
    slot = services.SlotRequest(starts_at=start, room=clinic.rooms[0])
    return services.course_book(course=course, slots=[slot], by=desk)


def record(client, patient):
    return client.get(f"/patients/{patient.public_id}/")


def test_the_record_shows_courses_and_messages_and_audits_each_once(
    clinic, front_desk_user, practitioner_user, acne_protocol, front_desk_client
):
    patient = clinic.screened_patient(front_desk_user)
    (session,) = course_booked(
        clinic,
        patient,
        acne_protocol,
        practitioner_user,
        front_desk_user,
        dt.datetime(2026, 3, 9, 10, tzinfo=LONDON),
    )
    before = AuditEvent.objects.order_by("pk").last().pk
    with CaptureQueriesContext(connection) as queries:
        page = record(front_desk_client, patient).content.decode()
    # The record, its courses and its messages: one INSERT for the request (issue 13 item 5).
    audit_inserts = [q for q in queries if 'INSERT INTO "clinic_auditevent"' in q["sql"]]
    assert len(audit_inserts) == 1
    assert "Courses and sessions" in page and "Session 1" in page
    assert "Booking confirmation" in page  # the message log
    listed = AuditEvent.objects.filter(pk__gt=before, action="list", actor=front_desk_user)
    assert listed.filter(object_type="treatments.course").count() == 1
    [messages] = listed.filter(object_type="treatments.message")
    assert len(messages.object_ids) == session.messages.count()


def test_the_record_takes_the_same_queries_for_one_course_or_five(
    clinic,
    front_desk_user,
    practitioner_user,
    acne_protocol,
    front_desk_client,
    django_assert_max_num_queries,
):
    patient = clinic.screened_patient(front_desk_user)
    first = dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)
    course_booked(clinic, patient, acne_protocol, practitioner_user, front_desk_user, first)
    with CaptureQueriesContext(connection) as one:
        record(front_desk_client, patient)

    for weeks in range(1, 5):  # four more courses, each with its session and messages
        start = first + dt.timedelta(weeks=4 * weeks)  # courses on the cheeks stay 28 days apart
        course_booked(clinic, patient, acne_protocol, practitioner_user, front_desk_user, start)
    with django_assert_max_num_queries(len(one)):
        page = record(front_desk_client, patient).content.decode()
    assert page.count("Session 1") == 5


def test_the_session_page_shows_only_that_sessions_messages(
    clinic, front_desk_user, practitioner_user, acne_protocol, front_desk_client
):
    patient = clinic.screened_patient(front_desk_user)
    first = dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)
    (one,) = course_booked(
        clinic, patient, acne_protocol, practitioner_user, front_desk_user, first
    )
    later = first + dt.timedelta(weeks=6)
    (two,) = course_booked(
        clinic, patient, acne_protocol, practitioner_user, front_desk_user, later
    )
    response = front_desk_client.get(f"/sessions/{one.public_id}/")
    shown = {m.pk for m in response.context["panels"][0].context["message_log"]}
    assert shown == set(one.messages.values_list("pk", flat=True))
    assert not shown & set(two.messages.values_list("pk", flat=True))


def test_the_log_labels_a_skip_as_a_reason_and_a_failure_as_an_error_under_one_heading(
    clinic, front_desk_user, practitioner_user, acne_protocol, front_desk_client
):
    patient = clinic.screened_patient(front_desk_user)
    (session,) = course_booked(
        clinic,
        patient,
        acne_protocol,
        practitioner_user,
        front_desk_user,
        dt.datetime(2026, 3, 9, 10, tzinfo=LONDON),
    )
    skipped, failed, *_ = session.messages.order_by("due_at")
    Message.objects.filter(pk=skipped.pk).update(
        status=Message.Status.SKIPPED, last_error="The patient does not agree to this channel."
    )
    Message.objects.filter(pk=failed.pk).update(
        status=Message.Status.FAILED, last_error="The mail server refused the message."
    )
    for url in (f"/patients/{patient.public_id}/", f"/sessions/{session.public_id}/"):
        html = front_desk_client.get(url).content.decode()
        assert html.count(">Messages</h2>") == 1, url
        assert "Last error" not in html
        assert (
            '<span class="muted reason">Reason: The patient does not agree to this channel.</span>'
        ) in html
        assert '<span class="error">Error: The mail server refused the message.</span>' in html
