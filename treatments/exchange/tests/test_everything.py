"""Patient/$everything and a patient's own export, as FHIR and as a PDF (issue 14 items 1
and 3): what they carry, who may have them, the export audit row, constant queries."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest
from pypdf import PdfReader

from clinic.models import AuditEvent
from treatments.messaging.models import Message
from treatments.scheduling.models import Session
from treatments.scheduling.tests.factories import PractitionerFactory

from .fhir_check import assert_valid_r4

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    """The PDF's words, each run of spaces and line breaks as one space (cells wrap)."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()


def types_in(bundle: dict) -> Counter:
    return Counter(entry["resource"]["resourceType"] for entry in bundle["entry"])


def test_everything_is_every_record_of_the_patient_and_what_they_point_to(
    token_client, alice, record
):
    record.full(
        PractitionerFactory(), first_name="Other", email="other@example.com"
    )  # someone else's, left out
    response = token_client.get(f"/fhir/Patient/{alice.public_id}/$everything")
    assert response.status_code == 200
    bundle = response.json()
    assert_valid_r4(bundle)
    assert types_in(bundle) == {
        "Patient": 1,
        "QuestionnaireResponse": 3,
        "RiskAssessment": 3,
        "Consent": 3,
        "Appointment": 3,
        "Procedure": 1,
        "Communication": 2,  # the pending one is not sent yet
        "Questionnaire": 1,
        "Practitioner": 1,
        "Location": 1,
        "Device": 1,
    }
    assert bundle["total"] == len(bundle["entry"])
    patients = {
        entry["resource"]["subject"]["reference"]
        for entry in bundle["entry"]
        if "subject" in entry["resource"]
    }
    assert patients == {f"Patient/{alice.public_id}"}
    assert bundle["entry"][0]["fullUrl"] == f"http://testserver/fhir/Patient/{alice.public_id}"


def test_everything_is_audited_as_an_export_with_what_it_carried(
    token_client, front_desk_user, alice
):
    token_client.get(f"/fhir/Patient/{alice.public_id}/$everything")
    event = last_event()
    assert (event.action, event.actor, event.patient_id) == (
        "export",
        front_desk_user,
        alice.public_id,
    )
    assert event.detail == {
        "format": "fhir",
        "records": {
            "consent": 3,
            "intakesubmission": 3,
            "message": 2,
            "patient": 1,
            "screeningresult": 3,
            "session": 3,
        },
    }
    assert "Alice" not in json.dumps(event.detail)


def test_everything_of_a_missing_patient_is_a_404(token_client):
    for path in (
        "/fhir/Patient/00000000-0000-0000-0000-000000000000/$everything",
        "/fhir/Patient/nobody/$everything",
    ):
        response = token_client.get(path)
        assert response.status_code == 404
        assert response.json()["resourceType"] == "OperationOutcome"


def _grow(record, patient, sessions: int) -> None:
    course = record.course(patient)
    for n in range(sessions):
        done = record.session(
            course,
            Session.objects.first().starts_at.replace(day=1 + n, month=5),
            Session.Status.COMPLETED,
            number=10 + n,
        )
        record.chart(done, "cheeks")
        record.message(patient, done, Message.Kind.AFTERCARE)
        record.intake(patient)
        record.consent(patient)


@pytest.mark.parametrize("extra", [0, 10])
def test_everything_costs_the_same_queries_for_a_small_record_or_a_large_one(
    token_client, record, alice, django_assert_max_num_queries, extra
):
    _grow(record, alice, extra)
    token_client.get("/fhir/metadata")  # the token's first use writes its last_used_at
    # The token with its account and roles, the patient, intakes, screenings, consents,
    # sessions, their charts, messages, the export's audit row.
    with django_assert_max_num_queries(9):
        bundle = token_client.get(f"/fhir/Patient/{alice.public_id}/$everything").json()
    assert types_in(bundle)["Appointment"] == 3 + extra


def test_staff_download_everything_as_fhir_from_the_patient_record(
    front_desk_client, front_desk_user, alice
):
    page = front_desk_client.get(f"/patients/{alice.public_id}/").content.decode()
    assert "Download everything (PDF)" in page and "Download everything (FHIR)" in page
    response = front_desk_client.get(f"/patients/{alice.public_id}/export.fhir.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="clinic-record-2027-03-01.fhir.json"'
    )
    bundle = json.loads(response.content)
    assert_valid_r4(bundle)
    assert types_in(bundle)["Patient"] == 1
    event = last_event()
    assert (event.action, event.actor, event.detail["format"]) == (
        "export",
        front_desk_user,
        "fhir",
    )


def test_staff_download_everything_as_a_readable_pdf(front_desk_client, front_desk_user, alice):
    response = front_desk_client.get(f"/patients/{alice.public_id}/export.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Alice" not in response["Content-Disposition"]
    text = pdf_text(response.content)
    for expected in (
        "Everything we hold about Alice Morgan",
        "14 March 1985",  # details
        alice.email,
        "Full intake",  # intakes, with the questions in words
        "Are you pregnant or breastfeeding?",
        "Deferred",  # screenings and their findings
        "Prescriber agrees; bruising explained.",
        "Consent to microneedling treatment",  # consents
        "No longer current",
        "session 1 of 4",  # sessions and charts
        "LOT-42",
        "0.25 mm",
        "Patient unwell",
        "Aftercare",  # messages
        "Reminder (24 hours)",
    ):
        assert expected in text, expected
    assert "Reminder (48 hours)" not in text  # not sent
    event = last_event()
    assert (event.action, event.actor, event.detail["format"]) == ("export", front_desk_user, "pdf")


def test_a_missing_patient_has_no_download(front_desk_client):
    missing = "00000000-0000-0000-0000-000000000000"
    assert front_desk_client.get(f"/patients/{missing}/export.pdf").status_code == 404
    assert front_desk_client.get(f"/patients/{missing}/export.fhir.json").status_code == 404


def test_a_patient_cannot_use_the_staff_downloads(patient_client, alice):
    assert patient_client.get(f"/patients/{alice.public_id}/export.pdf").status_code == 403
    assert patient_client.get(f"/patients/{alice.public_id}/export.fhir.json").status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


@pytest.fixture
def alice_in_portal(alice, patient_user):
    alice.portal_user = patient_user
    alice.save()
    return alice


def test_the_patient_downloads_their_own_data_from_the_portal(
    patient_client, patient_user, alice_in_portal, record
):
    other = record.full(PractitionerFactory(), first_name="Zed", email="zed@example.com")
    patient_client.force_login(patient_user)  # building the records took the clock on
    response = patient_client.get("/portal/")
    assert response.status_code == 200, response.get("Location")
    home = response.content.decode()
    assert "Download my data" in home
    response = patient_client.get("/portal/my-data.pdf")
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Everything we hold about Alice Morgan" in text and "Zed" not in text
    bundle = json.loads(patient_client.get("/portal/my-data.fhir.json").content)
    assert_valid_r4(bundle)
    assert bundle["entry"][0]["resource"]["id"] == str(alice_in_portal.public_id)
    assert str(other.public_id) not in json.dumps(bundle)
    exports = AuditEvent.objects.filter(action="export").order_by("id")
    assert [(e.actor, e.patient_id, e.detail["format"]) for e in exports] == [
        (patient_user, alice_in_portal.public_id, "pdf"),
        (patient_user, alice_in_portal.public_id, "fhir"),
    ]


def test_staff_cannot_use_the_portals_download(front_desk_client):
    assert front_desk_client.get("/portal/my-data.pdf").status_code == 403


def test_a_new_patient_with_nothing_yet_exports_their_details_alone(
    front_desk_client, token_client, record
):
    patient = record.patient(email="", phone="+447700900123", preferred_channel="sms")
    bundle = token_client.get(f"/fhir/Patient/{patient.public_id}/$everything").json()
    assert_valid_r4(bundle)
    assert types_in(bundle) == {"Patient": 1}
    text = pdf_text(front_desk_client.get(f"/patients/{patient.public_id}/export.pdf").content)
    for expected in ("No questionnaires.", "No sessions.", "No messages sent.", "+447700900123"):
        assert expected in text, expected
