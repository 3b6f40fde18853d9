"""No double booking: concurrent requests at the real server and database, and the
PostgreSQL exclusion constraints underneath."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
import requests
import time_machine
from django.db import IntegrityError, transaction

from clinic.tokens import token_issue
from treatments.scheduling import services
from treatments.scheduling.models import Session

LONDON = ZoneInfo("Europe/London")
SLOT = dt.datetime(2027, 3, 8, 10, 0, tzinfo=LONDON)  # a Monday
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)  # a week before it, whatever today is
REQUESTS = 24


@pytest.fixture(autouse=True)
def a_week_before_the_slot():
    # Ticking: the live server's threads answer while the clock runs on from NOW.
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_slot_give_exactly_one_success(
    live_server, clinic, acne_protocol, front_desk_user, practitioner_user
):
    courses = [
        clinic.course(
            clinic.screened_patient(front_desk_user), protocol=acne_protocol, by=practitioner_user
        )
        for _ in range(REQUESTS)
    ]
    token = token_issue(user=front_desk_user)[1]

    def book(course):
        # every request names the same room, so practitioner, room and device all collide
        return requests.post(
            f"{live_server.url}/api/courses/{course.public_id}/book/",
            json={"sessions": [{"starts_at": SLOT.isoformat(), "room": clinic.rooms[0].pk}]},
            headers={"Authorization": f"Token {token}"},
            timeout=60,
        ).status_code

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        statuses = list(pool.map(book, courses))

    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == REQUESTS - 1, statuses
    assert Session.objects.count() == 1


@pytest.fixture
def one_session(clinic, acne_protocol, front_desk_user, practitioner_user):
    patient = clinic.screened_patient(front_desk_user)
    course = clinic.course(patient, protocol=acne_protocol, by=practitioner_user)
    slot = services.SlotRequest(starts_at=SLOT, room=clinic.rooms[0], device=clinic.device)
    return services.course_book(course=course, slots=[slot], by=front_desk_user)[0]


def raw_copy(session, **changes):
    """Insert a session behind the service's back: only the database can refuse it."""
    fields = {
        "course": session.course,
        "patient": session.patient,
        "practitioner": session.practitioner,
        "room": session.room,
        "device": session.device,
        "number": 2,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        **changes,
    }
    with transaction.atomic():
        return Session.objects.create(**fields)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {},  # the same practitioner, room and device
        {"practitioner_id": None},  # replaced below: another practitioner, same room
    ],
    ids=["same-everything", "same-room"],
)
def test_the_database_refuses_an_overlapping_active_session(one_session, changes):
    from .factories import PractitionerFactory

    if "practitioner_id" in changes:
        changes = {"practitioner": PractitionerFactory(), "device": None}
    with pytest.raises(IntegrityError):
        raw_copy(
            one_session,
            starts_at=SLOT + dt.timedelta(minutes=30),
            ends_at=SLOT + dt.timedelta(minutes=150),
            **changes,
        )


@pytest.mark.django_db
def test_the_database_allows_back_to_back_and_cancelled_overlaps(one_session):
    raw_copy(
        one_session,
        starts_at=one_session.ends_at,
        ends_at=one_session.ends_at + dt.timedelta(hours=2),
    )
    raw_copy(one_session, number=3, status="cancelled", cancel_reason="moved")
    assert Session.objects.count() == 3
