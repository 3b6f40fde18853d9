"""Rows for the reports' tests, made directly (the reports only read them): screening
results with chosen findings and times, and outbox messages with a chosen status."""

from __future__ import annotations

import datetime as dt

import factory

from patients.models import IntakeSubmission, ScreeningResult
from patients.tests.factories import PatientFactory
from treatments.messaging.models import Message

FINDING_OUTCOMES = {
    "pregnancy": "blocked",
    "active_cold_sore": "defer",
    "hsv_history": "review",
    "tattoo_in_area": "advise",
}


class IntakeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntakeSubmission

    patient = factory.SubFactory(PatientFactory)
    answers = factory.LazyFunction(dict)
    areas = factory.LazyFunction(lambda: ["cheeks"])
    questionnaire_version = "test"
    submitted_by = factory.SubFactory("clinic.tests.factories.UserFactory")


def screening(patient, at: dt.datetime, outcome: str, *rules: str) -> ScreeningResult:
    """A screening result of `patient`'s made at `at` (aware), with a finding per rule."""
    submission = IntakeFactory(patient=patient, submitted_at=at)
    defer = at.date() + dt.timedelta(days=14) if outcome == "defer" else None
    return ScreeningResult.objects.create(
        submission=submission,
        patient=patient,
        outcome=outcome,
        findings=[
            {
                "rule": rule,
                "outcome": FINDING_OUTCOMES[rule],
                "message": f"{rule} (test)",
                "defer_until": defer.isoformat() if FINDING_OUTCOMES[rule] == "defer" else None,
            }
            for rule in rules
        ],
        ruleset_version="test",
        screened_at=at,
        valid_until=at.date() + dt.timedelta(days=7),
        defer_until=defer,
    )


def message(session, kind: str, status: str, due_at: dt.datetime, reason: str = "") -> Message:
    """A message about `session` (to its patient, by e-mail) due at `due_at`."""
    return Message.objects.create(
        patient=session.patient,
        session=session,
        kind=kind,
        channel=Message.Channel.EMAIL,
        due_at=due_at,
        status=status,
        last_error=reason,
        sent_at=due_at if status == Message.Status.SENT else None,
    )
