"""Session transitions: reschedule, cancel, check-in, no-show, complete."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinic.models import AuditEvent
from patients import services as patient_services
from patients.tests.helpers import clear_answers
from treatments.scheduling.models import Course, Session, SessionRecord
from treatments.scheduling.tests.check_in_helpers import api_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("long_sessions")]
LONDON = ZoneInfo("Europe/London")


def local(y, m, d, h, minute=0):
    return dt.datetime(y, m, d, h, minute, tzinfo=LONDON)


SERIES = [local(2026, 3, 9, 10), local(2026, 4, 6, 10)]


@pytest.fixture
def booked(clinic, front_desk_user, practitioner_user, acne_protocol):
    """A 2-session course booked on 2 March 2026; returns its sessions."""
    return clinic.book(
        starts=SERIES, protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )


def at(moment):
    return time_machine.travel(moment, tick=False)


def test_reschedule_moves_a_session_and_audits_it(booked, front_desk_client):
    first = booked[0]
    with at(dt.datetime(2026, 3, 3, 8, tzinfo=dt.UTC)):
        response = front_desk_client.post(
            f"/api/sessions/{first.public_id}/reschedule/",
            {"starts_at": local(2026, 3, 10, 14).isoformat()},
            format="json",
        )
    assert response.status_code == 200, response.json()
    first.refresh_from_db()
    assert first.starts_at == local(2026, 3, 10, 14)
    assert first.ends_at - first.starts_at == dt.timedelta(minutes=120)
    assert AuditEvent.objects.filter(action="update", object_id=str(first.pk)).exists()


def test_a_move_that_breaks_the_minimum_interval_is_refused(booked, front_desk_client):
    with at(dt.datetime(2026, 3, 3, 8, tzinfo=dt.UTC)):
        response = front_desk_client.post(
            f"/api/sessions/{booked[1].public_id}/reschedule/",
            {"starts_at": local(2026, 3, 16, 10).isoformat()},  # 7 days after the first
            format="json",
        )
    assert response.status_code == 409
    booked[1].refresh_from_db()
    assert booked[1].starts_at == SERIES[1]


def test_cancel_needs_a_reason_and_frees_the_slot(booked, front_desk_client):
    url = f"/api/sessions/{booked[0].public_id}/cancel/"
    assert front_desk_client.post(url, {"reason": " "}, format="json").status_code == 400
    response = front_desk_client.post(url, {"reason": "Patient unwell"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert front_desk_client.post(url, {"reason": "again"}, format="json").status_code == 409


def test_check_in_needs_a_valid_clearing_screening(booked, front_desk_client, front_desk_user):
    url = f"/api/sessions/{booked[1].public_id}/check-in/"
    # on 6 April the intake of 2 March has expired (valid 7 days)
    with at(local(2026, 4, 6, 9, 30)):
        response = front_desk_client.post(url, api_body(), format="json")
        assert response.status_code == 409
        assert "not valid" in response.json()["error"]["message"]
        patient_services.intake_submit(
            patient=booked[1].patient,
            answers=clear_answers(),
            areas=["cheeks"],
            by=front_desk_user,
        )
        response = front_desk_client.post(url, api_body(), format="json")
    assert response.status_code == 200, response.json()
    booked[1].refresh_from_db()
    assert booked[1].status == "checked_in"
    assert booked[1].screening is not None
    with at(local(2026, 4, 6, 9, 31)):
        twice = front_desk_client.post(url, api_body(), format="json")
        assert twice.status_code == 409


def test_check_in_is_refused_when_the_new_screening_blocks(
    booked, front_desk_client, front_desk_user
):
    with at(local(2026, 4, 6, 9, 30)):
        patient_services.intake_submit(
            patient=booked[1].patient,
            answers=clear_answers(pregnant_or_breastfeeding=True),
            areas=["cheeks"],
            by=front_desk_user,
        )
        response = front_desk_client.post(
            f"/api/sessions/{booked[1].public_id}/check-in/", api_body(), format="json"
        )
    assert response.status_code == 409
    assert "screening is blocked" in response.json()["error"]["message"]


def test_no_show_only_after_the_start(booked, front_desk_client):
    url = f"/api/sessions/{booked[0].public_id}/no-show/"
    with at(local(2026, 3, 9, 9)):
        assert front_desk_client.post(url).status_code == 409
    with at(local(2026, 3, 9, 11)):
        assert front_desk_client.post(url).status_code == 200


RECORDS = [
    {
        "area": "cheeks",
        "device_setting_mm": "1.50",
        "passes": 4,
        "cartridge_lot": "LOT-7",
        "endpoint": "pinpoint bleeding",
    },
]


def test_complete_charts_each_area_and_flags_settings_above_the_protocol(
    booked, front_desk_client, practitioner_client
):
    session = booked[0]
    with at(local(2026, 3, 9, 10, 5)):
        assert (
            front_desk_client.post(
                f"/api/sessions/{session.public_id}/check-in/", api_body(), format="json"
            ).status_code
            == 200
        )
        url = f"/api/sessions/{session.public_id}/complete/"
        assert front_desk_client.post(url, {"records": RECORDS}, format="json").status_code == 403
        deep = [{**RECORDS[0], "device_setting_mm": "2.50", "depth_reason": "Deep boxcar scars"}]
        response = practitioner_client.post(url, {"records": deep}, format="json")
    assert response.status_code == 200, response.json()
    record = SessionRecord.objects.get()
    assert record.flagged is True  # acne protocol flags cheeks above 2.0 mm
    assert record.flag_reason == "Above 2.0 mm for this area: Deep boxcar scars"
    session.refresh_from_db()
    assert session.status == "completed"


@pytest.mark.parametrize(
    ("records", "field"),
    [
        ([{**RECORDS[0], "area": "neck"}], "records.0.area"),
        ([{**RECORDS[0], "device_setting_mm": "3.50"}], "records.0.device_setting_mm"),
        ([{**RECORDS[0], "passes": 0}], "records.0.passes"),
        ([{**RECORDS[0], "cartridge_lot": ""}], "records.0.cartridge_lot"),
        ([], "records"),
    ],
)
def test_a_bad_chart_is_a_400_and_nothing_changes(
    booked, front_desk_client, practitioner_client, records, field
):
    session = booked[0]
    with at(local(2026, 3, 9, 10, 5)):
        front_desk_client.post(
            f"/api/sessions/{session.public_id}/check-in/", api_body(), format="json"
        )
        response = practitioner_client.post(
            f"/api/sessions/{session.public_id}/complete/", {"records": records}, format="json"
        )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not SessionRecord.objects.exists()
    session.refresh_from_db()
    assert session.status == "checked_in"


def test_a_cancelled_session_cannot_be_completed(booked, front_desk_client, practitioner_client):
    session = booked[0]
    front_desk_client.post(
        f"/api/sessions/{session.public_id}/cancel/", {"reason": "ill"}, format="json"
    )
    response = practitioner_client.post(
        f"/api/sessions/{session.public_id}/complete/", {"records": RECORDS}, format="json"
    )
    assert response.status_code == 409


def test_completing_the_last_session_completes_the_course(
    booked, front_desk_client, practitioner_client, front_desk_user
):
    for session in booked:
        with at(session.starts_at + dt.timedelta(minutes=5)):
            patient_services.intake_submit(
                patient=session.patient,
                answers=clear_answers(),
                areas=["cheeks"],
                by=front_desk_user,
            )
            assert (
                front_desk_client.post(
                    f"/api/sessions/{session.public_id}/check-in/", api_body(), format="json"
                ).status_code
                == 200
            )
            practitioner_client.post(
                f"/api/sessions/{session.public_id}/complete/",
                {"records": RECORDS},
                format="json",
            )
    assert Course.objects.get().status == "completed"
    assert set(Session.objects.values_list("status", flat=True)) == {"completed"}


def test_every_transition_is_audited(booked, front_desk_client):
    front_desk_client.post(
        f"/api/sessions/{booked[0].public_id}/cancel/", {"reason": "ill"}, format="json"
    )
    event = AuditEvent.objects.get(action="transition")
    assert event.detail == {"to": "cancelled", "initiated_by": "clinic"}
    assert event.patient_id == booked[0].patient.public_id
