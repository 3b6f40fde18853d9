"""The waitlist API: each rule answers in the error shape (400 with field messages, 404,
409), every read of patient data is audited, and the lists cost the same queries for one
row or many."""

import datetime as dt

import pytest

from clinic.models import AuditEvent
from patients.models import Hold
from treatments.waitlist import tasks
from treatments.waitlist.models import FreedSlot, WaitlistEntry

from .factories import cancelled_session, local, wait, waiting_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]
SLOT = local(2026, 3, 9, 10)


@pytest.fixture
def course(clinic, front_desk_user, acne_protocol):
    return waiting_course(clinic, front_desk_user, protocol=acne_protocol, first_name="Ann")


def test_staff_put_a_course_on_the_waitlist_with_the_default_window(front_desk_client, course):
    response = front_desk_client.post(
        "/api/waitlist/", {"course": str(course.public_id), "weekdays": [0, 2]}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["earliest"], body["latest"], body["due_on"], body["weekdays"]) == (
        "2026-03-03",
        "2026-03-30",
        "2026-03-16",
        [0, 2],
    )
    assert body["status"] == "waiting"
    entry = WaitlistEntry.objects.get()
    assert AuditEvent.objects.filter(action="create", object_id=str(entry.pk)).exists()
    again = front_desk_client.post(
        "/api/waitlist/", {"course": str(course.public_id)}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "This course is already on the waitlist."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"earliest": "2026-03-02"}, "earliest"),  # today: from tomorrow at the soonest
        ({"earliest": "2026-03-20", "latest": "2026-03-10"}, "latest"),
        ({"latest": "2031-01-01"}, "latest"),  # beyond the booking horizon
        ({"weekdays": [7]}, "weekdays.0"),
        ({"not_before": "15:00", "not_after": "10:00"}, "not_after"),
        ({"practitioner": 999999}, "practitioner"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(front_desk_client, course, body, field):
    response = front_desk_client.post(
        "/api/waitlist/", {"course": str(course.public_id), **body}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]


def test_a_course_with_nothing_left_to_book_cannot_wait(front_desk_client, course):
    course.planned_sessions = 1
    course.save()
    response = front_desk_client.post(
        "/api/waitlist/", {"course": str(course.public_id)}, format="json"
    )
    assert response.status_code == 409
    unknown = front_desk_client.post(
        "/api/waitlist/", {"course": "00000000-0000-4000-8000-000000000000"}, format="json"
    )
    assert unknown.status_code == 404


def test_removal_needs_a_reason_and_happens_once(
    front_desk_client, clinic, front_desk_user, acne_protocol
):
    entry = wait(clinic, front_desk_user, protocol=acne_protocol)
    url = f"/api/waitlist/{entry.public_id}/remove/"
    assert front_desk_client.post(url, {"reason": ""}, format="json").status_code == 400
    response = front_desk_client.post(url, {"reason": "Booked by phone"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["remove_reason"]) == (
        "removed",
        "Booked by phone",
    )
    assert front_desk_client.post(url, {"reason": "again"}, format="json").status_code == 409
    missing = "/api/waitlist/00000000-0000-4000-8000-000000000000/remove/"
    assert front_desk_client.post(missing, {"reason": "x"}, format="json").status_code == 404


def test_a_patient_account_never_reaches_the_waitlist_api(patient_client):
    assert patient_client.get("/api/waitlist/?day=2026-03-09").status_code in (403, 404)


def test_the_day_lists_the_freed_slots_with_their_offers_and_the_patients_waiting(
    front_desk_client, clinic, front_desk_user, acne_protocol, django_assert_max_num_queries
):
    wait(clinic, front_desk_user, protocol=acne_protocol, patient_fields={"first_name": "Ann"})
    cancelled_session(clinic, front_desk_user, starts_at=SLOT, protocol=acne_protocol)
    tasks.sweep()
    with django_assert_max_num_queries(12):
        slots = front_desk_client.get("/api/waitlist/slots/?day=2026-03-09").json()
    (slot,) = slots
    assert slot["status"] == "open"
    assert [o["status"] for o in slot["offers"]] == ["offered"]
    with django_assert_max_num_queries(12):
        waiting = front_desk_client.get("/api/waitlist/?day=2026-03-09").json()
    assert len(waiting) == 1
    # Many more rows cost no more queries.
    for n in range(6):
        wait(
            clinic, front_desk_user, protocol=acne_protocol, patient_fields={"first_name": f"P{n}"}
        )
        cancelled_session(
            clinic,
            front_desk_user,
            starts_at=SLOT + dt.timedelta(hours=2 + n % 2),
            protocol=acne_protocol,
        )
    with django_assert_max_num_queries(12):
        assert len(front_desk_client.get("/api/waitlist/slots/?day=2026-03-09").json()) == 7
    with django_assert_max_num_queries(12):
        assert len(front_desk_client.get("/api/waitlist/?day=2026-03-09").json()) == 7
    assert front_desk_client.get("/api/waitlist/?day=03/09/2026").status_code == 400
    assert front_desk_client.get("/api/waitlist/?day=9999-12-31").status_code == 400


def test_a_manual_offer_and_closing_a_slot(
    front_desk_client, clinic, front_desk_user, acne_protocol
):
    entry = wait(clinic, front_desk_user, protocol=acne_protocol, weekdays=[2])
    session = cancelled_session(clinic, front_desk_user, starts_at=SLOT, protocol=acne_protocol)
    slot = FreedSlot.objects.get(freed_by=session)
    url = f"/api/waitlist/slots/{slot.public_id}/offer/"
    refused = front_desk_client.post(url, {"entry": str(entry.public_id)}, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == "Not on a preferred day."
    entry.weekdays = []
    entry.save()
    made = front_desk_client.post(url, {"entry": str(entry.public_id)}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["status"] == "offered"
    closed = front_desk_client.post(f"/api/waitlist/slots/{slot.public_id}/close/")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert [o["status"] for o in closed.json()["offers"]] == ["withdrawn"]
    assert front_desk_client.post(f"/api/waitlist/slots/{slot.public_id}/close/").status_code == 409


def test_staff_open_a_free_time_by_hand(front_desk_client, clinic):
    body = {
        "practitioner": clinic.practitioner.pk,
        "room": clinic.rooms[1].pk,
        "starts_at": local(2026, 3, 10, 14).isoformat(),
        "minutes": 120,
    }
    response = front_desk_client.post("/api/waitlist/slots/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "open"
    past = {**body, "starts_at": local(2026, 3, 1, 14).isoformat()}
    assert front_desk_client.post("/api/waitlist/slots/", past, format="json").status_code == 400


def test_a_manual_offer_to_a_patient_who_is_not_cleared_or_too_close_is_a_409(
    front_desk_client, clinic, front_desk_user, acne_protocol
):
    held = wait(clinic, front_desk_user, protocol=acne_protocol, patient_fields={"first_name": "H"})
    Hold.objects.create(patient=held.patient, reason="A reaction to review.", placed_by=None)
    near = wait(
        clinic,
        front_desk_user,
        protocol=acne_protocol,
        last=local(2026, 3, 2, 9),  # a week before the slot
        earliest=dt.date(2026, 3, 3),
        patient_fields={"first_name": "N"},
    )
    session = cancelled_session(clinic, front_desk_user, starts_at=SLOT, protocol=acne_protocol)
    slot = FreedSlot.objects.get(freed_by=session)
    url = f"/api/waitlist/slots/{slot.public_id}/offer/"
    refused = front_desk_client.post(url, {"entry": str(held.public_id)}, format="json")
    assert refused.status_code == 409
    assert "reaction to review" in refused.json()["error"]["message"]
    too_close = front_desk_client.post(url, {"entry": str(near.public_id)}, format="json")
    assert too_close.status_code == 409
    assert "14 days" in too_close.json()["error"]["message"]
    assert not slot.offers.exists()
