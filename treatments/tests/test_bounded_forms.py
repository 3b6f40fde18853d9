"""A NUL character typed (or pasted) into a staff form is a 400 page naming the field, and
nothing changes (issue 12 item 1: the cancel reason and the chart were 500s)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from treatments.scheduling.models import Session

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 3, 9, 10, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def session(clinic, front_desk_user, practitioner_user, acne_protocol):
    [session] = clinic.book(
        starts=[START], protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )
    return session


def test_a_nul_in_the_cancel_reason_is_a_400_page_and_the_session_stays_booked(
    session, front_desk_client
):
    with time_machine.travel(START - dt.timedelta(days=1), tick=False):
        response = front_desk_client.post(
            f"/sessions/{session.public_id}/cancel/", {"reason": "ill\x00ness"}
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Check what was typed" in page and "reason" in page
    assert Session.objects.get(pk=session.pk).status == Session.Status.BOOKED


def test_a_nul_in_a_chart_field_is_a_400_page(session, practitioner_client):
    with time_machine.travel(START, tick=False):
        response = practitioner_client.post(
            f"/sessions/{session.public_id}/complete/",
            {"cheeks-cartridge_lot": "LOT\x001", "cheeks-device_setting_mm": "1.0"},
        )
    assert response.status_code == 400
    assert "cheeks-cartridge_lot" in response.content.decode()
    assert Session.objects.get(pk=session.pk).status == Session.Status.BOOKED


def test_a_nul_in_a_page_query_string_is_a_400_page(front_desk_client):
    response = front_desk_client.get("/patients/?q=ab%00c")
    assert response.status_code == 400
    assert "Check what was typed" in response.content.decode()
