"""Every scheduling step asks the one clearance rule (`patients.selectors.clearance`):
course creation, the proposal, booking, moving, check-in and charting refuse with its reason.

The cases are the ones found on main before the rule existed: a course whose areas the latest
screening no longer covers (eyelids, blocked; hands, an off-label review) went through.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinic.errors import Conflict, Invalid
from patients import services as patient_services
from patients.models import Hold
from patients.tests.helpers import clear_answers
from treatments.scheduling import charting, services
from treatments.scheduling.models import Course, Session
from treatments.scheduling.tests.check_in_helpers import check_in

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
PLANNED_ON = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
FIRST = dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(PLANNED_ON, tick=False) as traveller:
        yield traveller


def intake(patient, by, areas, **answers):
    return patient_services.intake_submit(
        patient=patient, answers=clear_answers(**answers), areas=areas, by=by
    )


def course_on(clinic, patient, areas, protocol, by):
    """A course as an older version of the app could plan it (straight into the table)."""
    return Course.objects.create(
        patient=patient,
        practitioner=clinic.practitioner,
        protocol=protocol,
        areas=areas,
        planned_sessions=1,
        interval_days=28,
        created_by=by,
    )


def book(clinic, course, by, start=FIRST):
    slot = services.SlotRequest(starts_at=start, room=clinic.rooms[0])
    return services.course_book(course=course, slots=[slot], by=by)


def test_a_course_on_eyelids_is_not_booked_after_an_intake_that_leaves_eyelids_out(
    clinic, front_desk_user, practitioner_user, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    intake(patient, front_desk_user, ["cheeks", "eyelids"])  # blocked: eyelids
    course = course_on(clinic, patient, ["cheeks", "eyelids"], acne_protocol, practitioner_user)
    intake(patient, front_desk_user, ["cheeks"])  # cleared, but says nothing of eyelids

    with pytest.raises(Conflict, match="did not include: Eyelids"):
        book(clinic, course, front_desk_user)
    with pytest.raises(Conflict, match="did not include: Eyelids"):
        services.course_proposal(course=course, start=FIRST.date())
    assert not Session.objects.exists()


def test_a_body_area_cannot_skip_its_off_label_review_with_a_face_only_intake(
    clinic, front_desk_user, practitioner_user, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    intake(patient, front_desk_user, ["cheeks", "hands"])  # hands: off-label, needs a review
    with pytest.raises(Conflict, match="sign-off"):
        services.course_create(
            patient=patient,
            practitioner=clinic.practitioner,
            protocol=acne_protocol,
            areas=["cheeks", "hands"],
            sessions=1,
            interval_days=28,
            by=practitioner_user,
        )
    course = course_on(clinic, patient, ["cheeks", "hands"], acne_protocol, practitioner_user)
    intake(patient, front_desk_user, ["cheeks"])
    with pytest.raises(Conflict, match="did not include: Hands"):
        book(clinic, course, front_desk_user)


def test_check_in_and_charting_ask_the_rule_on_the_sessions_day(
    clinic, front_desk_user, practitioner_user, acne_protocol, frozen
):
    patient = clinic.screened_patient(front_desk_user)
    course = services.course_create(
        patient=patient,
        practitioner=clinic.practitioner,
        protocol=acne_protocol,
        areas=["cheeks"],
        sessions=1,
        interval_days=28,
        by=practitioner_user,
    )
    (session,) = book(clinic, course, front_desk_user)
    frozen.move_to(FIRST - dt.timedelta(minutes=10))
    # The intake of 2 March is 7 days old on 9 March: still valid, so check-in is allowed...
    intake(patient, front_desk_user, ["forehead"])  # ...but the newest one left cheeks out
    with pytest.raises(Conflict, match="did not include: Cheeks"):
        check_in(session, by=front_desk_user)

    intake(patient, front_desk_user, ["cheeks"])
    check_in(session, by=front_desk_user)
    hold = patient_services.hold_place(
        patient=patient, reason="A reaction was reported.", source=Hold.Source.REACTION
    )
    record = charting.AreaRecord(
        area="cheeks", device_setting_mm=Decimal("1.0"), passes=3, cartridge_lot="LOT-1"
    )
    with pytest.raises(Conflict, match="must release the hold"):
        charting.session_complete(session=session, records=[record], by=practitioner_user)
    patient_services.hold_release(hold=hold, note="Seen: settled.", by=practitioner_user)
    with pytest.raises(Invalid) as refused:  # an area the course does not include
        charting.session_complete(
            session=session,
            records=[record, charting.AreaRecord("neck", Decimal("1.0"), 3, "LOT-1")],
            by=practitioner_user,
        )
    assert "records.1.area" in refused.value.fields
    charting.session_complete(session=session, records=[record], by=practitioner_user)
    session.refresh_from_db()
    assert session.status == Session.Status.COMPLETED


def test_a_move_is_refused_into_a_deferral(
    clinic, front_desk_user, practitioner_user, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    course = clinic.course(patient, protocol=acne_protocol, by=practitioner_user)
    (session,) = book(clinic, course, front_desk_user, start=FIRST + dt.timedelta(days=21))
    intake(patient, front_desk_user, ["cheeks", "forehead"], sunburn_or_tan_last_14_days=True)
    with pytest.raises(Conflict, match="defers treatment until 16 March 2026"):
        services.session_reschedule(session=session, starts_at=FIRST, by=front_desk_user)
