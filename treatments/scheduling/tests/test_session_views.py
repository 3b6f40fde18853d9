"""The session page's actions, through the HTML forms."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from patients import services as patient_services
from patients.tests.helpers import clear_answers
from treatments.scheduling.models import Session, SessionRecord
from treatments.scheduling.tests.check_in_helpers import form_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("long_sessions")]
LONDON = ZoneInfo("Europe/London")
START = dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)


@pytest.fixture
def session(clinic, front_desk_user, practitioner_user, acne_protocol):
    return clinic.book(
        starts=[START], protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )[0]


def url(session, action=""):
    return f"/sessions/{session.public_id}/{action}"


def test_the_session_page_offers_the_actions_of_its_status(session, front_desk_client):
    with time_machine.travel(START - dt.timedelta(minutes=10), tick=False):
        page = front_desk_client.get(url(session)).content.decode()
    assert "Check in" in page and "Cancel session" in page and "Move" in page
    assert "Chart and complete" not in page  # front desk does not chart


def test_check_in_chart_and_complete_through_the_pages(
    session, front_desk_client, practitioner_client, front_desk_user
):
    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        patient_services.intake_submit(
            patient=session.patient,
            answers=clear_answers(),
            areas=["cheeks"],
            by=front_desk_user,
        )
        front_desk_client.post(url(session, "check-in/"), form_data())
        session.refresh_from_db()
        assert session.status == "checked_in"
        form = practitioner_client.get(url(session, "complete/"))
        assert b"Device setting" in form.content
        response = practitioner_client.post(
            url(session, "complete/"),
            {
                "cheeks-device_setting_mm": "1.25",
                "cheeks-passes": "4",
                "cheeks-cartridge_lot": "LOT-9",
                "cheeks-endpoint": "pinpoint bleeding",
            },
        )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "completed"
    assert SessionRecord.objects.get().cartridge_lot == "LOT-9"
    assert session.messages.filter(kind="aftercare").exists()  # messaging listened


def test_a_refused_check_in_says_why_and_changes_nothing(
    session, front_desk_client, front_desk_user
):
    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        patient_services.intake_submit(
            patient=session.patient,
            answers=clear_answers(pregnant_or_breastfeeding=True),
            areas=["cheeks"],
            by=front_desk_user,
        )
        response = front_desk_client.post(url(session, "check-in/"), form_data(), follow=True)
    assert b"screening is blocked" in response.content
    session.refresh_from_db()
    assert session.status == "booked"


def test_cancel_with_a_reason_cancels_the_pending_messages(session, front_desk_client):
    with time_machine.travel(dt.datetime(2026, 3, 3, 8, tzinfo=dt.UTC), tick=False):
        front_desk_client.post(
            url(session, "cancel/"), {"reason": "Unwell", "initiated_by": "patient"}
        )
    session.refresh_from_db()
    assert session.status == "cancelled"
    assert session.cancel_initiated_by == "patient"
    # The reminders are cancelled; the one message left to send tells the patient.
    assert list(session.messages.filter(status="pending").values_list("kind", flat=True)) == [
        "session_cancelled"
    ]


def test_move_takes_a_wall_clock_time_in_the_clinics_zone(session, front_desk_client):
    with time_machine.travel(dt.datetime(2026, 3, 3, 8, tzinfo=dt.UTC), tick=False):
        # 30 March is after the clocks go forward: 14:00 BST is 13:00 UTC
        front_desk_client.post(url(session, "move/"), {"starts_at": "2026-03-30T14:00"})
    session.refresh_from_db()
    assert session.starts_at == dt.datetime(2026, 3, 30, 13, tzinfo=dt.UTC)


def test_patients_cannot_use_the_session_actions(session, patient_client):
    assert patient_client.post(url(session, "cancel/"), {"reason": "x"}).status_code == 403
    assert Session.objects.get().status == "booked"
