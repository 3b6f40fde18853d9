"""Fixtures for the clearance and hold tests: one patient, Alice, at a fixed clock.

The clock is fixed: 1 March 2027, 09:30 in London (GMT). A clear intake taken then is valid
until 8 March 2027; a peel 4 days ago defers treatment until 11 March 2027.
"""

import datetime as dt

import pytest
import time_machine

from patients import selectors, services
from patients.models import Hold, ScreeningResult
from patients.tests.factories import PatientFactory
from patients.tests.helpers import clear_answers

NOW = dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC)
TODAY = dt.date(2027, 3, 1)
REACTION = "The patient reported a reaction after the session on 3 March 2027."
HOLD_SUFFIX = " A practitioner must release the hold before treatment."
PEEL_4_DAYS_AGO = {"recent_procedure_in_area_days": 4}  # defers until 11 March 2027


def march(day: int) -> dt.date:
    return dt.date(2027, 3, day)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


class Clinic:
    """One patient, Alice, and the staff who screen, sign off and release holds for her."""

    def __init__(self, *, front_desk, practitioner, clock) -> None:
        self.front_desk = front_desk
        self.practitioner = practitioner
        self.clock = clock
        self.patient = PatientFactory(first_name="Alice", last_name="Morgan")

    def consent(self, kind: str = "treatment") -> None:
        services.consent_sign(
            patient=self.patient,
            kind=kind,
            signed_name="Alice Morgan",
            agreed=True,
            by=self.front_desk,
        )

    def intake(self, areas=("cheeks",), **answers) -> ScreeningResult:
        return services.intake_submit(
            patient=self.patient,
            answers=clear_answers(**answers),
            areas=list(areas),
            by=self.front_desk,
        ).screening

    def new_intake_an_hour_later(self, areas=("cheeks",), **answers) -> ScreeningResult:
        self.clock.shift(dt.timedelta(hours=1))
        return self.intake(areas, **answers)

    def sign_off(self, result: ScreeningResult) -> None:
        services.screening_sign_off(
            screening_result=result, reason="Discussed with the patient.", by=self.practitioner
        )

    def hold(self, source_ref: str = "report-1") -> Hold:
        return services.hold_place(
            patient=self.patient,
            reason=REACTION,
            source=Hold.Source.REACTION,
            source_ref=source_ref,
            by=self.front_desk,
        )

    def release(self, hold: Hold) -> None:
        services.hold_release(hold=hold, note="Settled; seen in clinic.", by=self.practitioner)

    def archive(self) -> None:
        services.patient_archive(patient=self.patient, reason="Moved away.", by=self.front_desk)

    def ready(self, areas=("cheeks",), **answers) -> ScreeningResult:
        """Consent signed and a clear intake: everything a session needs."""
        self.consent()
        return self.intake(areas, **answers)

    def clearance(self, **kwargs) -> selectors.Clearance:
        self.patient.refresh_from_db()
        kwargs.setdefault("areas", ["cheeks"])
        return selectors.clearance(patient=self.patient, **kwargs)


@pytest.fixture
def clinic(front_desk_user, practitioner_user, clock) -> Clinic:
    return Clinic(front_desk=front_desk_user, practitioner=practitioner_user, clock=clock)


@pytest.fixture
def patient():
    return PatientFactory(first_name="Alice", last_name="Morgan", phone="+447700900101")
