"""Holds on a patient: placed once per cause, released only by a practitioner with a note."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from clinic.errors import Conflict, Forbidden, Invalid
from clinic.models import AuditEvent
from patients import services
from patients.models import Hold
from patients.tests.conftest import NOW, REACTION
from patients.tests.factories import HoldFactory

pytestmark = pytest.mark.django_db

# --- Placing and releasing holds --------------------------------------------------------


def hold_events(action: str) -> int:
    return AuditEvent.objects.filter(object_type="patients.hold", action=action).count()


def test_placing_the_same_hold_twice_returns_the_open_one(clinic):
    first = clinic.hold(source_ref="report-1")
    again = clinic.hold(source_ref="report-1")
    assert again.pk == first.pk
    assert Hold.objects.count() == 1
    assert hold_events(AuditEvent.Action.CREATE) == 1
    assert first.placed_by == clinic.front_desk
    assert first.placed_at == NOW


def test_a_hold_from_another_report_is_a_second_hold(clinic):
    clinic.hold(source_ref="report-1")
    clinic.hold(source_ref="report-2")
    assert clinic.patient.holds.open().count() == 2


def test_after_a_release_the_same_cause_places_a_new_hold(clinic):
    first = clinic.hold()
    clinic.release(first)
    second = clinic.hold()
    assert second.pk != first.pk
    assert list(clinic.patient.holds.open()) == [second]


def test_a_hold_can_be_placed_without_a_user(clinic):
    hold = services.hold_place(patient=clinic.patient, reason=REACTION, source=Hold.Source.REACTION)
    assert hold.placed_by is None
    assert hold.source_ref == ""


@pytest.mark.parametrize(
    ("reason", "source", "fields"),
    [
        pytest.param("  ", "reaction", {"reason"}, id="a hold needs a reason"),
        pytest.param(REACTION, "whim", {"source"}, id="a hold needs a known source"),
    ],
)
def test_an_incomplete_hold_is_refused_and_nothing_is_saved(clinic, reason, source, fields):
    with pytest.raises(Invalid) as error:
        services.hold_place(patient=clinic.patient, reason=reason, source=source)
    assert set(error.value.fields) == fields
    assert not Hold.objects.exists()


@pytest.mark.parametrize("role", ["front_desk_user", "manager_user"])
def test_only_a_practitioner_releases_a_hold(clinic, request, role):
    hold = clinic.hold()
    with pytest.raises(Forbidden):
        services.hold_release(hold=hold, note="Looks fine.", by=request.getfixturevalue(role))
    hold.refresh_from_db()
    assert hold.is_open


@pytest.mark.parametrize("note", ["", "   "], ids=["empty", "blank"])
def test_a_release_needs_a_note(clinic, note):
    hold = clinic.hold()
    with pytest.raises(Invalid) as error:
        services.hold_release(hold=hold, note=note, by=clinic.practitioner)
    assert list(error.value.fields) == ["note"]
    hold.refresh_from_db()
    assert hold.is_open


def test_a_release_records_who_when_and_why_and_is_audited(clinic):
    hold = clinic.hold()
    clinic.clock.shift(dt.timedelta(days=2))
    services.hold_release(hold=hold, note="  Settled; seen in clinic. ", by=clinic.practitioner)
    hold.refresh_from_db()
    assert hold.released_at == NOW + dt.timedelta(days=2)
    assert hold.released_by == clinic.practitioner
    assert hold.release_note == "Settled; seen in clinic."
    assert hold_events(AuditEvent.Action.SIGN_OFF) == 1


def test_a_hold_is_released_once(clinic):
    hold = clinic.hold()
    clinic.release(hold)
    with pytest.raises(Conflict):
        clinic.release(hold)
    assert hold_events(AuditEvent.Action.SIGN_OFF) == 1


def test_the_database_refuses_a_release_without_who_and_why():
    hold = HoldFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Hold.objects.filter(pk=hold.pk).update(released_at=NOW)


def test_the_database_refuses_two_open_holds_for_one_cause():
    hold = HoldFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        HoldFactory(patient=hold.patient, source_ref=hold.source_ref)
