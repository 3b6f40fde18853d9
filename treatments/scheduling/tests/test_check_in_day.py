"""Check-in on the session's own day only, from the clinic's opening (issue 11 item 6)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from treatments.scheduling.check_in import check_in_window
from treatments.scheduling.models import CheckInConfirmation, Session, WorkingHours

from .check_in_helpers import api_body, pre_session_answers

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
START = dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)  # a Monday; the practitioner works 09–17
PATH = "/api/sessions/{id}/check-in/"


@pytest.fixture
def session(clinic, front_desk_user, practitioner_user, acne_protocol):
    [session] = clinic.book(
        starts=[START], protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )
    pre_session_answers(session, by=front_desk_user, at=START - dt.timedelta(days=3))
    return session


@pytest.fixture(autouse=True)
def opens_at_eight(settings, long_sessions):
    settings.CLINIC_OPENS_AT = "08:00"


def check_in_at(client, session, moment):
    with time_machine.travel(moment, tick=False):
        return client.post(PATH.format(id=session.public_id), api_body(), format="json")


def assert_still_booked(session):
    assert Session.objects.get(pk=session.pk).status == Session.Status.BOOKED
    assert not CheckInConfirmation.objects.exists()


def test_the_day_before_is_refused_saying_when_check_in_opens(session, front_desk_client):
    response = check_in_at(front_desk_client, session, START - dt.timedelta(days=1))
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "Check-in opens on Monday 9 March 2026 at 08:00, when the clinic opens on the day of "
        "the session."
    )
    assert_still_booked(session)


def test_check_in_opens_with_the_clinic_not_a_minute_before(session, front_desk_client):
    opening = dt.datetime(2026, 3, 9, 8, tzinfo=LONDON)
    early = check_in_at(front_desk_client, session, opening - dt.timedelta(minutes=1))
    assert early.status_code == 409
    assert_still_booked(session)
    assert check_in_at(front_desk_client, session, opening).status_code == 200


def test_a_practitioner_starting_before_the_front_desk_opens_the_day_earlier(
    session, front_desk_client, clinic
):
    WorkingHours.objects.create(
        practitioner=clinic.practitioner, weekday=0, start=dt.time(7), end=dt.time(8)
    )
    at_seven = dt.datetime(2026, 3, 9, 7, tzinfo=LONDON)
    assert check_in_at(front_desk_client, session, at_seven).status_code == 200


def test_once_the_day_has_passed_the_session_cannot_be_checked_in(session, front_desk_client):
    next_morning = dt.datetime(2026, 3, 10, 0, 0, 1, tzinfo=LONDON)
    response = check_in_at(front_desk_client, session, next_morning)
    assert response.status_code == 409
    assert "The day of this session has passed" in response.json()["error"]["message"]
    assert_still_booked(session)


def test_the_pages_say_when_check_in_opens_instead_of_offering_it(session, front_desk_client):
    with time_machine.travel(START - dt.timedelta(days=1), tick=False):
        page = front_desk_client.get(f"/sessions/{session.public_id}/").content.decode()
        assert "Check-in opens on Monday 9 March 2026 at 08:00" in page
        assert f"/sessions/{session.public_id}/check-in/" not in page
        sheet = front_desk_client.get(f"/sessions/{session.public_id}/check-in/", follow=True)
    assert sheet.redirect_chain[-1][0] == f"/sessions/{session.public_id}/"
    assert "Check-in opens on Monday 9 March 2026 at 08:00" in sheet.content.decode()
    with time_machine.travel(START - dt.timedelta(minutes=10), tick=False):
        page = front_desk_client.get(f"/sessions/{session.public_id}/").content.decode()
    assert f'href="/sessions/{session.public_id}/check-in/"' in page


@pytest.mark.parametrize(
    ("day", "opens_utc", "closes_utc"),
    [
        # Spring forward: 08:00 BST is 07:00 UTC, and the day is 23 hours long.
        (dt.date(2026, 3, 29), dt.datetime(2026, 3, 29, 7), dt.datetime(2026, 3, 29, 23)),
        # Fall back: 08:00 GMT, and the day is 25 hours long.
        (dt.date(2026, 10, 25), dt.datetime(2026, 10, 25, 8), dt.datetime(2026, 10, 26, 0)),
    ],
)
def test_the_window_follows_the_clinics_wall_clock_across_daylight_saving(
    day, opens_utc, closes_utc
):
    starts = dt.datetime.combine(day, dt.time(11), tzinfo=LONDON)
    opens, closes = check_in_window(Session(starts_at=starts))
    assert (opens, closes) == (opens_utc.replace(tzinfo=dt.UTC), closes_utc.replace(tzinfo=dt.UTC))
