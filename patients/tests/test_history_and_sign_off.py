"""Issue 10 items 2 and 4 in the clearance rule: a new course needs a full intake within the
policy's `history_valid_months` (clinical reference §1.2, stable history re-confirmed every
6–12 months), and a defer that also carries review findings needs a practitioner's sign-off
before booking, as a plain review does (DESIGN.md §4.2)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.clock import clinic_today
from clinic.errors import Conflict, Forbidden
from clinic.models import AuditEvent
from patients import selectors, services
from patients.models import IntakeSubmission, ScreeningResult
from patients.screening import Policy
from patients.tests.conftest import HOLD_SUFFIX
from patients.tests.helpers import clear_answers

pytestmark = pytest.mark.django_db

JANUARY_2023 = dt.datetime(2023, 1, 3, 10, 0, tzinfo=dt.UTC)
MARCH_2026 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
STALE = (
    "The patient's medical history was last taken on 3 January 2023: take a full intake "
    "before starting a course."
)
SIGN_OFF = "The latest screening needs a practitioner's sign-off before treatment."


def at_10(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=dt.UTC)


# --- The policy -----------------------------------------------------------------------------


def test_the_history_stands_for_6_months_by_default() -> None:
    policy = Policy()
    assert policy.history_valid_months == 6
    assert policy.history_current_on(dt.date(2023, 1, 3), dt.date(2023, 7, 3))
    assert not policy.history_current_on(dt.date(2023, 1, 3), dt.date(2023, 7, 4))


def test_a_history_taken_on_31_august_stands_until_the_end_of_february() -> None:
    policy = Policy()
    assert policy.history_current_on(dt.date(2025, 8, 31), dt.date(2026, 2, 28))
    assert not policy.history_current_on(dt.date(2025, 8, 31), dt.date(2026, 3, 1))


@pytest.mark.parametrize("months", [0, 13, -1])
def test_a_history_window_outside_1_to_12_months_is_refused(months) -> None:
    with pytest.raises(ValueError, match="history_valid_months"):
        Policy.from_mapping({"history_valid_months": months})


# --- A new course needs a recent full intake ---------------------------------------------


def test_an_intake_from_january_2023_does_not_start_a_course_in_march_2026(clinic):
    clinic.clock.move_to(JANUARY_2023)
    clinic.ready()
    clinic.clock.move_to(MARCH_2026)

    refused = clinic.clearance(new_course=True)

    assert not refused and refused.reason == STALE


def test_existing_callers_without_new_course_are_not_asked_about_history(clinic):
    clinic.clock.move_to(JANUARY_2023)
    clinic.ready()
    clinic.clock.move_to(MARCH_2026)
    assert clinic.clearance()


def test_a_new_full_intake_lets_the_course_start(clinic):
    clinic.clock.move_to(JANUARY_2023)
    clinic.ready()
    clinic.clock.move_to(MARCH_2026)
    clinic.intake()
    assert clinic.clearance(new_course=True)


def test_a_pre_session_check_does_not_renew_the_history(clinic):
    clinic.clock.move_to(JANUARY_2023)
    clinic.ready()
    clinic.clock.move_to(MARCH_2026)
    services.intake_submit(
        patient=clinic.patient,
        answers=clear_answers(),
        areas=["cheeks"],
        by=clinic.front_desk,
        kind=IntakeSubmission.Kind.PRE_SESSION,
    )
    assert clinic.clearance(new_course=True).reason == STALE


def test_the_history_stands_on_the_last_day_of_the_window_and_not_the_next(clinic):
    clinic.clock.move_to(JANUARY_2023)
    clinic.ready()
    clinic.clock.move_to(at_10(dt.date(2023, 7, 3)))
    assert clinic.clearance(new_course=True)
    clinic.clock.move_to(at_10(dt.date(2023, 7, 4)))
    assert clinic.clearance(new_course=True).reason == STALE


def test_the_clinic_may_let_the_history_stand_for_12_months(clinic, settings):
    settings.SCREENING_POLICY = {"history_valid_months": 12}
    clinic.clock.move_to(JANUARY_2023)
    clinic.ready()
    clinic.clock.move_to(at_10(dt.date(2023, 12, 1)))
    assert clinic.clearance(new_course=True)


def test_a_patient_with_no_full_intake_cannot_start_a_course(clinic):
    clinic.consent()
    services.intake_submit(
        patient=clinic.patient,
        answers=clear_answers(),
        areas=["cheeks"],
        by=clinic.front_desk,
        kind=IntakeSubmission.Kind.CHECK_IN,
    )
    refused = clinic.clearance(new_course=True)
    assert refused.reason.startswith("The patient has no full intake on record")


def test_a_new_course_costs_no_query_more(clinic, django_assert_num_queries):
    clinic.ready()
    clinic.patient.refresh_from_db()
    # The latest screening, with the latest full intake, the consent and the open holds as
    # subqueries of it.
    with django_assert_num_queries(1):
        assert selectors.clearance(patient=clinic.patient, areas=["cheeks"], new_course=True)


# --- A defer that also needs review -------------------------------------------------------


def defer_and_review(clinic) -> ScreeningResult:
    """Anticoagulants (review) and a sunburn (defer 14 days): defer until 15 March 2027."""
    return clinic.ready(anticoagulants=True, sunburn_or_tan_last_14_days=True)


def test_anticoagulants_and_a_sunburn_defer_with_a_review_finding(clinic):
    result = defer_and_review(clinic)
    assert result.outcome == ScreeningResult.Outcome.DEFER
    assert result.defer_until == dt.date(2027, 3, 15)
    assert result.has_review_findings and result.needs_sign_off


def test_an_unsigned_defer_with_review_findings_refuses_booking_even_after_its_date(clinic):
    defer_and_review(clinic)
    assert clinic.clearance(days=[dt.date(2027, 3, 22)]).reason == SIGN_OFF
    assert clinic.clearance().reason == SIGN_OFF  # course creation: no days yet


def test_a_signed_off_defer_allows_booking_from_its_date_only(clinic):
    result = defer_and_review(clinic)
    clinic.sign_off(result)
    result.refresh_from_db()
    assert result.is_signed_off and not result.needs_sign_off
    assert not result.cleared_for_treatment  # a defer never clears a session itself
    assert clinic.clearance(days=[dt.date(2027, 3, 15)])
    early = clinic.clearance(days=[dt.date(2027, 3, 14)])
    assert "defers treatment until 15 March 2027" in early.reason


def test_front_desk_cannot_sign_off_a_defer_with_review_findings(clinic):
    result = defer_and_review(clinic)
    with pytest.raises(Forbidden):
        services.screening_sign_off(screening_result=result, reason="Fine.", by=clinic.front_desk)


def test_a_plain_defer_cannot_be_signed_off(clinic):
    result = clinic.ready(sunburn_or_tan_last_14_days=True)
    assert result.outcome == ScreeningResult.Outcome.DEFER and not result.needs_sign_off
    with pytest.raises(Conflict, match="only results that need review"):
        clinic.sign_off(result)


def test_the_database_refuses_a_sign_off_on_a_blocked_result(clinic):
    result = clinic.ready(pregnant_or_breastfeeding=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScreeningResult.objects.filter(pk=result.pk).update(
            signed_off_by=clinic.practitioner, signed_off_at=timezone.now(), sign_off_reason="x"
        )


def test_a_signed_off_defer_still_stops_for_an_open_hold(clinic):
    result = defer_and_review(clinic)
    clinic.sign_off(result)
    clinic.hold()
    refused = clinic.clearance(days=[dt.date(2027, 3, 22)])
    assert refused.reason.endswith(HOLD_SUFFIX)


# --- A practitioner may override an acne deferral (reference §1.2 row 7) ------------------


def override(
    clinic, result: ScreeningResult, reason: str = "Three mild spots on the chin."
) -> None:
    services.screening_sign_off(
        screening_result=result, reason=reason, by=clinic.practitioner, override_defer=True
    )


def test_an_acne_deferral_can_be_overridden_with_a_documented_reason(clinic):
    result = clinic.ready(active_acne_in_area=True)
    assert result.outcome == ScreeningResult.Outcome.DEFER
    assert result.can_override_defer and not result.needs_sign_off
    early = result.defer_until - dt.timedelta(days=7)
    assert "defers treatment" in clinic.clearance(days=[early]).reason

    override(clinic, result)

    result.refresh_from_db()
    assert result.defer_overridden and result.cleared_for_treatment
    assert result.sign_off_reason == "Three mild spots on the chin."
    assert clinic.clearance(days=[early])
    event = AuditEvent.objects.filter(action="sign_off", object_id=str(result.pk)).get()
    assert event.detail == {"override_defer": True}


def test_an_acne_deferral_is_not_lifted_by_a_sign_off_without_the_override(clinic):
    result = clinic.ready(active_acne_in_area=True)
    with pytest.raises(Conflict, match="tick the override"):
        clinic.sign_off(result)
    result.refresh_from_db()
    assert not result.is_signed_off


@pytest.mark.parametrize(
    "answers",
    [
        {"sunburn_or_tan_last_14_days": True},
        {"active_acne_in_area": True, "active_infection_in_area": True},
        {"active_acne_in_area": True, "active_cold_sore": True, "cold_sore_history": True},
    ],
    ids=["sunburn", "acne_and_infection", "acne_and_cold_sore_with_review"],
)
def test_no_other_deferral_can_be_overridden(clinic, answers):
    result = clinic.ready(**answers)
    assert not result.can_override_defer
    with pytest.raises(Conflict, match="Only a deferral for inflamed acne"):
        override(clinic, result)


def test_acne_with_a_review_finding_is_signed_off_and_overridden_at_once(clinic):
    result = clinic.ready(active_acne_in_area=True, anticoagulants=True)
    assert result.needs_sign_off and result.can_override_defer
    override(clinic, result, reason="Reviewed the anticoagulant; spots are mild.")
    result.refresh_from_db()
    assert result.cleared_for_treatment and not result.needs_sign_off


def test_the_database_refuses_an_override_without_a_sign_off(clinic):
    result = clinic.ready(active_acne_in_area=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScreeningResult.objects.filter(pk=result.pk).update(defer_overridden=True)


def test_an_overridden_acne_deferral_still_stops_for_an_open_hold(clinic):
    result = clinic.ready(active_acne_in_area=True)
    override(clinic, result)
    clinic.hold()
    assert clinic.clearance(days=[clinic_today()]).reason.endswith(HOLD_SUFFIX)
