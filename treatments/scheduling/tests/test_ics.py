"""Calendar files: a practitioner's .ics subscription feed (secret URL), its rotation, and one
session's .ics file. Parsed back with the icalendar library, as a calendar app would."""

import datetime as dt
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar

from clinic.models import AuditEvent
from treatments.scheduling import ics
from treatments.scheduling.models import Practitioner, Session

from .factories import PractitionerFactory, RoomFactory, session_at

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# Tuesday 20 October 2026: the clocks go back on Sunday 25 October.
NOW = dt.datetime(2026, 10, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def practitioner(practitioner_user):
    return PractitionerFactory(user=practitioner_user, display_name="Priya Shah")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def at(year, month, day, hour, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def feed_url(practitioner) -> str:
    return f"/calendar/{practitioner.calendar_token}.ics"


def events(response) -> list:
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content).walk("VEVENT")


# --- The feed ----------------------------------------------------------------------------------


def test_the_feed_needs_no_login_only_its_secret_address(anon_client, practitioner):
    session = session_at(practitioner, at(2026, 10, 22, 10))

    response = anon_client.get(feed_url(practitioner))

    assert response.status_code == 200
    [event] = events(response)
    assert str(event["uid"]) == f"{session.public_id}@clinic"
    assert response["Cache-Control"] == "private, no-store"


def test_an_unknown_token_is_a_404(anon_client, practitioner):
    assert anon_client.get("/calendar/not-the-token.ics").status_code == 404


def test_an_inactive_practitioners_feed_is_gone(anon_client, practitioner):
    Practitioner.objects.filter(pk=practitioner.pk).update(active=False)

    assert anon_client.get(feed_url(practitioner)).status_code == 404


def test_the_feed_holds_active_sessions_from_30_days_ago_onward(anon_client, practitioner):
    session_at(practitioner, NOW - dt.timedelta(days=31), first_name="TooOld")
    session_at(practitioner, NOW - dt.timedelta(days=29), first_name="Recent")
    session_at(practitioner, at(2026, 10, 21, 9), first_name="Booked")
    session_at(
        practitioner, at(2026, 10, 21, 11), status=Session.Status.CHECKED_IN, first_name="Here"
    )
    session_at(
        practitioner, at(2026, 10, 21, 14), status=Session.Status.COMPLETED, first_name="Done"
    )
    session_at(
        practitioner,
        at(2026, 10, 22, 9),
        status=Session.Status.CANCELLED,
        cancel_reason="Ill",
        first_name="Cancelled",
    )
    session_at(practitioner, at(2026, 10, 23, 9), status=Session.Status.NO_SHOW, first_name="Nope")
    colleague = PractitionerFactory(display_name="Sam Lee")
    session_at(colleague, at(2026, 10, 21, 9), room=RoomFactory(name="B"), first_name="Theirs")

    summaries = [str(e["summary"]) for e in events(anon_client.get(feed_url(practitioner)))]

    assert summaries == [
        "Microneedling – Recent D.",
        "Microneedling – Booked D.",
        "Microneedling – Here D.",
    ]


def test_events_keep_their_utc_instant_and_local_time_across_the_clocks_going_back(
    anon_client, practitioner
):
    before = session_at(practitioner, at(2026, 10, 24, 9))  # Saturday 10:00 BST
    after = session_at(practitioner, at(2026, 10, 26, 10))  # Monday 10:00 GMT

    response = anon_client.get(feed_url(practitioner))

    by_uid = {str(e["uid"]): e for e in events(response)}
    first = by_uid[f"{before.public_id}@clinic"]
    second = by_uid[f"{after.public_id}@clinic"]
    assert first.decoded("dtstart") == at(2026, 10, 24, 9)
    assert second.decoded("dtstart") == at(2026, 10, 26, 10)
    assert first.decoded("dtstart").astimezone(LONDON).time() == dt.time(10)
    assert second.decoded("dtstart").astimezone(LONDON).time() == dt.time(10)
    assert first.decoded("dtend") - first.decoded("dtstart") == dt.timedelta(minutes=90)
    # Written as UTC ("Z"), never a floating local time or a TZID a client must resolve.
    text = response.content.decode()
    assert "DTSTART:20261024T090000Z" in text
    assert "DTSTART:20261026T100000Z" in text
    assert "DTEND:20261026T113000Z" in text
    assert "TZID" not in text


def test_events_keep_their_local_time_across_the_clocks_going_forward(anon_client, practitioner):
    with time_machine.travel(at(2026, 3, 20, 12), tick=False):
        session_at(practitioner, at(2026, 3, 27, 10))  # Friday 10:00 GMT
        session_at(practitioner, at(2026, 3, 30, 9))  # Monday 10:00 BST
        found = events(anon_client.get(feed_url(practitioner)))

    assert [e.decoded("dtstart") for e in found] == [at(2026, 3, 27, 10), at(2026, 3, 30, 9)]
    assert {e.decoded("dtstart").astimezone(LONDON).hour for e in found} == {10}


def test_an_event_says_microneedling_and_the_first_name_and_initial_only(anon_client, practitioner):
    session = session_at(practitioner, at(2026, 10, 22, 10), first_name="Ada", last_name="Byron")

    response = anon_client.get(feed_url(practitioner))

    [event] = events(response)
    assert str(event["summary"]) == "Microneedling – Ada B."
    text = response.content.decode()
    for private in (
        "Byron",
        session.patient.email,
        "acne",
        "Acne",
        "cheeks",
        str(session.patient.public_id),
    ):
        assert private not in text
    assert "Room A" in str(event["location"])


def test_the_feed_is_named_for_the_practitioner_and_asks_for_hourly_refresh(
    anon_client, practitioner
):
    calendar = Calendar.from_ical(anon_client.get(feed_url(practitioner)).content)

    assert "Priya Shah" in str(calendar["x-wr-calname"])
    assert calendar["version"] == "2.0"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in calendar.to_ical().decode()


def test_each_feed_fetch_is_audited_once(anon_client, practitioner, practitioner_user):
    session_at(practitioner, at(2026, 10, 22, 10))
    session_at(practitioner, at(2026, 10, 23, 10))

    anon_client.get(feed_url(practitioner), REMOTE_ADDR="203.0.113.9")

    [event] = AuditEvent.objects.all()
    assert (event.action, event.object_type) == ("export", "treatments.practitioner")
    assert event.actor_id == practitioner_user.pk
    assert event.ip_address == "203.0.113.9"
    assert event.detail == {"format": "ics_feed", "sessions": 2}


def test_the_feed_refuses_to_be_written_to(anon_client, practitioner):
    assert anon_client.post(feed_url(practitioner)).status_code == 405


# --- Rotating the feed's secret ----------------------------------------------------------------

ROTATE = "/calendar/rotate-feed/"


def test_a_practitioner_rotates_their_own_feed(practitioner_client, anon_client, practitioner):
    old = feed_url(practitioner)

    response = practitioner_client.post(ROTATE, follow=True)

    practitioner.refresh_from_db()
    assert anon_client.get(old).status_code == 404
    assert anon_client.get(feed_url(practitioner)).status_code == 200
    assert response.redirect_chain[-1][0] == "/calendar/"
    html = response.content.decode()
    assert f"http://testserver{feed_url(practitioner)}" in html
    assert "old address no longer works" in html
    assert html.count(practitioner.calendar_token) == 2  # the box and its download link
    event = AuditEvent.objects.get(action="update")
    assert event.object_type == "treatments.practitioner"
    assert event.detail == {"calendar_token": "rotated"}
    assert practitioner.calendar_token not in str(event.detail)


def test_the_manager_rotates_any_practitioners_feed(manager_client, practitioner):
    old = practitioner.calendar_token

    response = manager_client.post(ROTATE, {"practitioner": practitioner.pk})

    practitioner.refresh_from_db()
    assert practitioner.calendar_token != old
    assert response.status_code == 302
    assert response["Location"] == f"/calendar/?practitioner={practitioner.pk}"


def test_a_practitioner_cannot_rotate_a_colleagues_feed(practitioner_client, practitioner):
    colleague = PractitionerFactory(display_name="Sam Lee")
    old = colleague.calendar_token

    response = practitioner_client.post(ROTATE, {"practitioner": colleague.pk})

    colleague.refresh_from_db()
    assert response.status_code == 403
    assert colleague.calendar_token == old


def test_the_front_desk_cannot_rotate_feeds(front_desk_client, practitioner):
    response = front_desk_client.post(ROTATE, {"practitioner": practitioner.pk})

    assert response.status_code == 403


def test_rotation_needs_a_post(practitioner_client, practitioner):
    assert practitioner_client.get(ROTATE).status_code == 405


def test_rotation_without_a_calendar_is_a_404(manager_client):
    assert manager_client.post(ROTATE).status_code == 404
    assert manager_client.post(ROTATE, {"practitioner": 999999}).status_code == 404


def test_rotation_with_a_malformed_id_is_a_400(manager_client):
    assert manager_client.post(ROTATE, {"practitioner": "abc"}).status_code == 400


def test_rotation_is_refused_to_patients_and_anonymous_visitors(
    patient_client, anon_client, practitioner
):
    assert patient_client.post(ROTATE).status_code == 403
    assert anon_client.post(ROTATE).status_code == 302


# --- One session's file ------------------------------------------------------------------------


def test_a_session_file_has_that_one_event(front_desk_client, practitioner):
    session = session_at(practitioner, at(2026, 10, 26, 10), first_name="Ada", last_name="Byron")
    session_at(practitioner, at(2026, 10, 27, 10))

    response = front_desk_client.get(f"/sessions/{session.public_id}.ics")

    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == f'attachment; filename="session-{session.public_id}.ics"'
    )
    [event] = events(response)
    assert str(event["uid"]) == f"{session.public_id}@clinic"
    assert event.decoded("dtstart") == at(2026, 10, 26, 10)
    assert event.decoded("dtend") == at(2026, 10, 26, 11, 30)
    assert str(event["summary"]) == "Microneedling – Ada B."
    assert str(event["url"]) == f"http://testserver/sessions/{session.public_id}/"


def test_a_cancelled_sessions_file_says_so(front_desk_client, practitioner):
    session = session_at(
        practitioner, at(2026, 10, 26, 10), status=Session.Status.CANCELLED, cancel_reason="Ill"
    )

    [event] = events(front_desk_client.get(f"/sessions/{session.public_id}.ics"))

    assert str(event["status"]) == "CANCELLED"


def test_downloading_a_session_file_is_audited(front_desk_client, front_desk_user, practitioner):
    session = session_at(practitioner, at(2026, 10, 26, 10))

    front_desk_client.get(f"/sessions/{session.public_id}.ics")

    event = AuditEvent.objects.get(action="export")
    assert (event.object_id, event.patient_id) == (str(session.pk), session.patient.public_id)
    assert event.actor_id == front_desk_user.pk


def test_a_session_file_needs_a_staff_login(patient_client, anon_client, practitioner):
    session = session_at(practitioner, at(2026, 10, 26, 10))
    url = f"/sessions/{session.public_id}.ics"

    assert patient_client.get(url).status_code == 403
    response = anon_client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_unknown_sessions_file_is_a_404(front_desk_client):
    response = front_desk_client.get("/sessions/00000000-0000-0000-0000-000000000000.ics")

    assert response.status_code == 404


# --- Labels, without the database --------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "label"),
    [
        ("Ada", "Byron", "Ada B."),
        ("  Ada ", " byron", "Ada B."),
        ("Zoë", "Ødegaard", "Zoë Ø."),
        ("Cher", "", "Cher"),
    ],
)
def test_a_patient_is_labelled_by_first_name_and_initial(first, last, label):
    assert ics.patient_label(first, last) == label
