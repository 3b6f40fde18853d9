import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from patients import services
from patients.models import Consent, IntakeSubmission, ScreeningResult
from patients.tests.factories import PatientFactory
from patients.tests.helpers import clear_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def submission(front_desk_user):
    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1))
    return services.intake_submit(
        patient=patient, answers=clear_answers(), areas=["cheeks"], by=front_desk_user
    )


def test_a_submission_can_never_be_edited_or_deleted(submission):
    submission.answers["pregnant_or_breastfeeding"] = True
    with pytest.raises(ValidationError):
        submission.save()
    with pytest.raises(ValidationError):
        submission.delete()
    assert IntakeSubmission.objects.get().answers["pregnant_or_breastfeeding"] is False


def test_a_signed_consent_can_never_be_edited(front_desk_user):
    patient = PatientFactory(first_name="Ann", last_name="Lee")
    consent = services.consent_sign(
        patient=patient, kind="treatment", signed_name="Ann Lee", agreed=True, by=front_desk_user
    )
    consent.signed_name = "Someone Else"
    with pytest.raises(ValidationError):
        consent.save()
    assert Consent.objects.get().signed_name == "Ann Lee"


def test_a_screening_can_never_be_recorded_without_its_submission(submission):
    with pytest.raises(IntegrityError), transaction.atomic():
        ScreeningResult.objects.create(
            submission_id=None,
            patient=submission.patient,
            outcome="cleared",
            ruleset_version="x",
            valid_until=dt.date(2030, 1, 1),
        )


def test_the_database_refuses_a_sign_off_on_a_blocked_result(submission, practitioner_user):
    from django.utils import timezone

    with pytest.raises(IntegrityError), transaction.atomic():
        ScreeningResult.objects.filter(pk=submission.screening.pk).update(
            outcome="blocked",
            signed_off_at=timezone.now(),
            signed_off_by=practitioner_user,
            sign_off_reason="no",
        )


def test_the_screening_uses_the_clinics_policy_from_settings(front_desk_user, settings):
    settings.SCREENING_POLICY = {"recent_procedure_defer_days": 30}
    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1))
    today = dt.date(2026, 6, 1)
    submission = services.intake_submit(
        patient=patient,
        answers=clear_answers(recent_procedure_in_area_days=20),
        areas=["cheeks"],
        by=front_desk_user,
        today=today,
    )
    assert submission.screening.outcome == "defer"
    assert submission.screening.defer_until == dt.date(2026, 6, 11)
