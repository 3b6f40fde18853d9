"""Booking and proposing a series take a fixed number of queries, however long the series
and however busy the calendar (issue 13 item 3)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from treatments.scheduling.models import Session
from treatments.scheduling.tests.factories import protocol

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
FIRST = dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)  # a Monday


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


def series(n: int, hour: int) -> list[dt.datetime]:
    """`n` Mondays two weeks apart at `hour` on the clinic's clock."""
    return [
        dt.datetime.combine(FIRST.date() + dt.timedelta(days=14 * i), dt.time(hour), LONDON)
        for i in range(n)
    ]


def book_queries(client, clinic, desk, planner_client, n: int, hour: int) -> int:
    patient = clinic.screened_patient(desk)
    body = {
        "patient": str(patient.public_id),
        "practitioner": clinic.practitioner.pk,
        "protocol": protocol("acne_scars").pk,
        "areas": ["cheeks"],
        "sessions": n,
        "interval_days": 14,
    }
    course = planner_client.post("/api/courses/", body, format="json").json()
    sessions = [{"starts_at": s.isoformat(), "room": clinic.rooms[0].pk} for s in series(n, hour)]
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            f"/api/courses/{course['id']}/book/", {"sessions": sessions}, format="json"
        )
    assert response.status_code == 201, response.json()
    assert Session.objects.filter(course__public_id=course["id"]).count() == n
    return len(queries.captured_queries)


def test_booking_takes_the_same_few_queries_for_one_six_or_twelve_sessions(
    front_desk_client, practitioner_client, front_desk_user, clinic
):
    counts = []
    for n, hour in ((1, 9), (6, 11), (12, 14)):
        counts.append(
            book_queries(front_desk_client, clinic, front_desk_user, practitioner_client, n, hour)
        )
    # The request as a whole: login session and user (3), the course, the rooms named, the
    # booking itself and saving the login session's expiry: the same however many sessions.
    assert counts[0] == counts[1] == counts[2], counts
