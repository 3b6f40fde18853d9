"""FHIR search: every type's parameters, each bundle validated as R4; bad parameters are a
400 OperationOutcome naming them; a page costs the same queries for one row or many."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.models import AuditEvent
from patients.models import Consent, IntakeSubmission, ScreeningResult
from treatments.messaging.models import Message
from treatments.scheduling.models import Session
from treatments.scheduling.tests.factories import DeviceFactory, PractitionerFactory, RoomFactory

from .conftest import at
from .fhir_check import assert_valid_r4

pytestmark = pytest.mark.django_db


def search(client, path: str, status: int = 200) -> dict:
    response = client.get(path)
    assert response.status_code == status, response.content
    body = response.json()
    assert_valid_r4(body)
    return body


def ids(bundle: dict) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


@pytest.fixture
def bob(record):
    """A second patient, born in 1990, with one booked session in 2028."""
    patient = record.patient(first_name="Bob", last_name="Adams", date_of_birth=dt.date(1990, 7, 1))
    record.intake(patient)
    record.consent(patient)
    course = record.course(patient)
    session = record.session(course, dt.datetime(2028, 1, 10, 10, tzinfo=dt.UTC), number=1)
    record.message(patient, session, Message.Kind.BOOKING_CONFIRMATION)
    return patient


def test_patients_are_searched_by_name_family_given_birthdate_id_and_identifier(
    token_client, alice, bob
):
    a, b = str(alice.public_id), str(bob.public_id)
    assert ids(search(token_client, "/fhir/Patient")) == [b, a]  # by last name
    assert ids(search(token_client, "/fhir/Patient?name=ali")) == [a]
    assert ids(search(token_client, "/fhir/Patient?name=MORG")) == [a]
    assert ids(search(token_client, "/fhir/Patient?name=Alice%20Mo")) == [a]
    assert ids(search(token_client, "/fhir/Patient?name:contains=dam")) == [b]
    assert ids(search(token_client, "/fhir/Patient?name:exact=Ali")) == []
    assert ids(search(token_client, "/fhir/Patient?name:exact=Alice")) == [a]
    assert ids(search(token_client, "/fhir/Patient?family=adams")) == [b]
    assert ids(search(token_client, "/fhir/Patient?given=bo")) == [b]
    assert ids(search(token_client, "/fhir/Patient?name=alice,bob")) == [b, a]
    assert ids(search(token_client, "/fhir/Patient?birthdate=1985-03-14")) == [a]
    assert ids(search(token_client, "/fhir/Patient?birthdate=1990")) == [b]
    assert ids(search(token_client, "/fhir/Patient?birthdate=1985-03")) == [a]
    assert ids(search(token_client, "/fhir/Patient?birthdate=gt1985-03-14")) == [b]
    assert ids(search(token_client, "/fhir/Patient?birthdate=le1985-03-14")) == [a]
    assert ids(search(token_client, "/fhir/Patient?birthdate=ne1985-03-14")) == [b]
    assert ids(search(token_client, f"/fhir/Patient?_id={a}")) == [a]
    assert ids(search(token_client, f"/fhir/Patient?identifier={b}")) == [b]
    system = "https://clinic.example/fhir/sid/patient"
    assert ids(search(token_client, f"/fhir/Patient?identifier={system}|{a}")) == [a]


def test_appointments_are_searched_by_patient_date_status_practitioner_and_location(
    token_client, alice, bob, prac
):
    mine = Session.objects.filter(patient=alice).order_by("starts_at")
    done, cancelled, booked = (str(s.public_id) for s in mine)
    bobs = str(Session.objects.get(patient=bob).public_id)
    room = mine[0].room_id
    assert ids(search(token_client, f"/fhir/Appointment?patient={alice.public_id}")) == [
        done,
        cancelled,
        booked,
    ]
    assert ids(search(token_client, f"/fhir/Appointment?patient=Patient/{bob.public_id}")) == [bobs]
    assert ids(search(token_client, "/fhir/Appointment?date=ge2027-03-01")) == [booked, bobs]
    assert ids(
        search(token_client, f"/fhir/Appointment?patient={bob.public_id}&date=ge2027-01-01")
    ) == [bobs]
    assert ids(search(token_client, "/fhir/Appointment?date=2027-02")) == [cancelled]
    assert ids(search(token_client, "/fhir/Appointment?date=ge2027-01-01&date=lt2027-02-08")) == [
        done
    ]
    assert ids(search(token_client, "/fhir/Appointment?date=2027-01-11T10:00:00Z")) == [done]
    assert ids(search(token_client, "/fhir/Appointment?date=lt2027-01-11T10:00:00Z")) == []
    assert ids(search(token_client, "/fhir/Appointment?status=fulfilled")) == [done]
    assert ids(search(token_client, "/fhir/Appointment?status=cancelled,booked")) == [
        cancelled,
        booked,
        bobs,
    ]
    assert len(ids(search(token_client, f"/fhir/Appointment?practitioner={prac.pk}"))) == 4
    assert len(ids(search(token_client, f"/fhir/Appointment?location=Location/{room}"))) == 4
    assert ids(search(token_client, "/fhir/Appointment?practitioner=999999")) == []


def test_a_date_without_a_zone_is_the_clinics_local_day(token_client, record):
    """10 July 2027 in London is BST: 23:30 UTC on the 9th is already the 10th there."""
    course = record.course(record.patient())
    late = record.session(course, dt.datetime(2027, 7, 9, 23, 30, tzinfo=dt.UTC), number=1)
    assert ids(search(token_client, "/fhir/Appointment?date=2027-07-10")) == [str(late.public_id)]
    assert ids(search(token_client, "/fhir/Appointment?date=2027-07-09")) == []
    assert ids(search(token_client, "/fhir/Appointment?date=2027-07-09T23:30:00Z")) == [
        str(late.public_id)
    ]
    assert ids(search(token_client, "/fhir/Appointment?date=2027-07-10T00:30:00%2B01:00")) == [
        str(late.public_id)
    ]


def test_the_patients_other_records_are_searched_by_patient_and_date(token_client, alice, bob):
    by_type = {
        "QuestionnaireResponse": ("authored", IntakeSubmission, "submitted_at"),
        "RiskAssessment": ("date", ScreeningResult, "screened_at"),
        "Consent": ("date", Consent, "signed_at"),
        "Communication": ("sent", Message, "sent_at"),
        "Procedure": ("date", Session, "starts_at"),
    }
    for resource_type, (date_param, model, field) in by_type.items():
        rows = model.objects.filter(patient=alice)
        if resource_type == "Communication":
            rows = rows.filter(status="sent")
        if resource_type == "Procedure":
            rows = rows.filter(status="completed")
        expected = [str(r.public_id) for r in rows.order_by(field, "id")]
        found = ids(search(token_client, f"/fhir/{resource_type}?patient={alice.public_id}"))
        assert found == expected, resource_type
        assert found, resource_type
        first_day = getattr(rows.order_by(field).first(), field).date()
        dated = f"/fhir/{resource_type}?patient={alice.public_id}&{date_param}=eq{first_day}"
        assert ids(search(token_client, dated))[:1] == expected[:1], resource_type
        later = f"/fhir/{resource_type}?{date_param}=gt{first_day}&patient={alice.public_id}"
        assert expected[0] not in ids(search(token_client, later)), resource_type
        assert ids(search(token_client, f"/fhir/{resource_type}?_id={expected[0]}")) == expected[:1]


def test_practitioners_locations_and_devices_are_searched(token_client, alice, prac, pen):
    assert ids(search(token_client, "/fhir/Practitioner?name=pri")) == [str(prac.pk)]
    assert ids(search(token_client, "/fhir/Practitioner?name=zz")) == []
    room = Session.objects.filter(patient=alice).first().room
    assert ids(search(token_client, "/fhir/Location?name=room")) == [str(room.pk)]
    assert ids(search(token_client, f"/fhir/Device?_id={pen.pk}")) == [str(pen.pk)]
    assert ids(search(token_client, "/fhir/Questionnaire")) == ["intake-2026.12"]
    assert ids(search(token_client, "/fhir/Questionnaire?_id=intake-1999.1")) == []


def test_pages_link_to_the_next_and_say_the_total(token_client, record):
    for n in range(5):
        record.patient(first_name=f"P{n}", last_name=f"Page{n}")
    first = search(token_client, "/fhir/Patient?family=page&_count=2")
    assert first["total"] == 5 and len(first["entry"]) == 2
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "_offset=2" in links["next"] and "family=page" in links["next"]
    last = search(token_client, "/fhir/Patient?family=page&_count=2&_offset=4")
    assert len(last["entry"]) == 1
    assert {link["relation"] for link in last["link"]} == {"self", "previous"}


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("/fhir/Appointment?date=garbage", "date"),
        ("/fhir/Appointment?date=ap2027-01-01", "date"),
        ("/fhir/Appointment?date=2027-02-30", "date"),
        ("/fhir/Appointment?date=0001-01-01", "date"),
        ("/fhir/Appointment?date=9999-12-31", "date"),
        ("/fhir/Appointment?date=2027-01-01T25:00", "date"),
        ("/fhir/Appointment?date=2027-01-01,2027-02-01", "date"),
        ("/fhir/Appointment?patient=not-a-patient", "patient"),
        ("/fhir/Appointment?patient=Practitioner/1", "patient"),
        ("/fhir/Appointment?status=done", "status"),
        ("/fhir/Appointment?practitioner=x", "practitioner"),
        ("/fhir/Appointment?name=Alice", "name"),
        ("/fhir/Appointment?date:exact=2027-01-01", "date:exact"),
        ("/fhir/Patient?birthdate=yesterday", "birthdate"),
        ("/fhir/Patient?name=", "name"),
        ("/fhir/Patient?name:sounds=alis", "name:sounds"),
        ("/fhir/Patient?_sort=name", "_sort"),
        ("/fhir/Patient?_count=0", "_count"),
        ("/fhir/Patient?_count=1000", "_count"),
        ("/fhir/Patient?_offset=-1", "_offset"),
        ("/fhir/Patient?identifier=https://elsewhere.example/ids|1", "identifier"),
        ("/fhir/Practitioner?_id=abc", "_id"),
        ("/fhir/Patient/00000000-0000-0000-0000-000000000000?name=x", "name"),
    ],
)
def test_a_search_parameter_it_cannot_read_is_a_400_naming_it(token_client, query, param):
    response = token_client.get(query)
    assert response.status_code == 400
    body = response.json()
    assert_valid_r4(body)
    [issue] = body["issue"]
    assert issue["code"] == "invalid"
    assert issue["expression"] == [param]
    assert issue["diagnostics"].startswith(f"{param}: ")


def test_a_search_is_audited_as_one_list_row_naming_each_record_shown(
    token_client, front_desk_user, alice, bob
):
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    token_client.get("/fhir/Appointment?date=ge2027-03-01")
    [event] = AuditEvent.objects.filter(id__gt=last)
    assert (event.action, event.actor, event.object_type) == (
        "list",
        front_desk_user,
        "treatments.session",
    )
    assert set(event.patient_ids) == {str(alice.public_id), str(bob.public_id)}
    assert len(event.object_ids) == 2


def _patients_with_sessions(record, count: int) -> None:
    for n in range(count):
        patient = record.patient(first_name=f"Q{n}", last_name=f"Queries{n}")
        record.intake(patient)
        record.consent(patient)
        course = record.course(patient)
        done = record.session(course, at(1, 3 + n), Session.Status.COMPLETED, number=1)
        record.chart(done, "cheeks")
        record.chart(done, "forehead")
        record.message(patient, done, Message.Kind.AFTERCARE)
        PractitionerFactory()
        RoomFactory()
        DeviceFactory()


@pytest.mark.parametrize("rows", [1, 8])
@pytest.mark.parametrize(
    "resource_type",
    [
        "Patient",
        "Appointment",
        "Procedure",
        "QuestionnaireResponse",
        "RiskAssessment",
        "Consent",
        "Communication",
        "Practitioner",
        "Location",
        "Device",
    ],
)
def test_a_search_page_costs_the_same_queries_for_one_row_or_many(
    token_client, record, django_assert_max_num_queries, resource_type, rows
):
    _patients_with_sessions(record, rows)
    token_client.get("/fhir/metadata")  # the token's first use writes its last_used_at
    # The token with its account and roles, the count, the page, (Procedure: its charts),
    # the audit row.
    with django_assert_max_num_queries(6):
        body = token_client.get(f"/fhir/{resource_type}").json()
    assert len(body["entry"]) >= rows
