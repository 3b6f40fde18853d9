"""The FHIR read API: every resource type read by id, each validated as R4 (issue 14 item 1)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from clinic.models import AuditEvent
from patients.models import Consent, IntakeSubmission, ScreeningResult
from patients.vocabulary import QUESTIONS
from treatments.messaging.models import Message
from treatments.scheduling.models import Session

from .conftest import at
from .fhir_check import assert_valid_r4

pytestmark = pytest.mark.django_db
FHIR = "application/fhir+json"


def get(client, path, **extra):
    response = client.get(path, **extra)
    return response, response.json()


def test_a_patient_is_read_by_the_id_the_rest_api_shows(token_client, alice):
    rest = token_client.get(f"/api/patients/{alice.public_id}/").json()
    response, body = get(token_client, f"/fhir/Patient/{rest['id']}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR)
    assert_valid_r4(body)
    assert body["id"] == str(alice.public_id)
    assert body["identifier"][0]["value"] == str(alice.public_id)
    assert body["name"][0] == {
        "use": "official",
        "text": "Alice Morgan",
        "family": "Morgan",
        "given": ["Alice"],
    }
    assert body["birthDate"] == "1985-03-14"
    assert body["active"] is True
    telecom = {t["system"]: t for t in body["telecom"]}
    assert telecom["email"]["value"] == alice.email and telecom["email"]["rank"] == 1
    assert telecom["phone"]["value"] == alice.phone and telecom["phone"]["rank"] == 2
    prefs = next(e for e in body["extension"] if e["url"].endswith("/contact-preferences"))
    assert {"url": "preferred-channel", "valueCode": "email"} in prefs["extension"]
    assert {"url": "sms-consent", "valueBoolean": True} in prefs["extension"]


def test_an_sms_patient_ranks_the_phone_first_and_an_archived_one_is_inactive(token_client, record):
    patient = record.patient(preferred_channel="sms", archive_reason="Moved away")
    patient.archived_at = timezone.now()
    patient.save()
    _, body = get(token_client, f"/fhir/Patient/{patient.public_id}")
    assert_valid_r4(body)
    assert body["active"] is False
    assert {t["system"]: t["rank"] for t in body["telecom"]} == {"email": 2, "phone": 1}


def test_each_intake_is_a_questionnaire_response_grouped_as_its_questionnaire(token_client, alice):
    intake = IntakeSubmission.objects.filter(patient=alice).order_by("submitted_at").last()
    response, body = get(token_client, f"/fhir/QuestionnaireResponse/{intake.public_id}")
    assert response.status_code == 200
    assert_valid_r4(body)
    assert body["subject"] == {"reference": f"Patient/{alice.public_id}"}
    assert body["status"] == "completed"
    assert body["questionnaire"].endswith(f"/Questionnaire/intake|{intake.questionnaire_version}")
    answers = {
        item["linkId"]: item.get("answer")
        for group in body["item"]
        for item in group.get("item", [group])
    }
    assert answers["recent_procedure_in_area_days"] == [{"valueInteger": 4}]
    assert answers["pregnant_or_breastfeeding"] == [{"valueBoolean": False}]
    assert answers["isotretinoin"][0]["valueCoding"]["code"] == "never"
    assert answers["isotretinoin_stopped_on"] is None  # not applicable: no answer
    assert answers["areas"][0]["valueCoding"]["code"] == "cheeks"


def test_the_questionnaire_is_the_intake_vocabulary(token_client, alice):
    response, body = get(token_client, "/fhir/Questionnaire/intake-2026.12")
    assert response.status_code == 200
    assert_valid_r4(body)
    link_ids = {item["linkId"] for group in body["item"] for item in group.get("item", [group])}
    assert set(QUESTIONS) | {"areas"} == link_ids


def test_each_screening_is_a_risk_assessment_with_its_findings_and_sign_off(token_client, alice):
    results = {r.outcome: r for r in ScreeningResult.objects.filter(patient=alice)}
    _, review = get(token_client, f"/fhir/RiskAssessment/{results['review'].public_id}")
    assert_valid_r4(review)
    assert review["status"] == "amended"  # signed off after the engine's verdict
    assert review["basis"] == [
        {"reference": f"QuestionnaireResponse/{results['review'].submission.public_id}"}
    ]
    [finding] = review["prediction"]
    assert finding["outcome"]["coding"][0]["code"] == results["review"].findings[0]["rule"]
    assert finding["qualitativeRisk"]["coding"][0]["code"] == "review"
    assert finding["rationale"] == results["review"].findings[0]["message"]
    sign_off = next(e for e in review["extension"] if e["url"].endswith("/sign-off"))
    assert {"url": "reason", "valueString": "Prescriber agrees; bruising explained."} in sign_off[
        "extension"
    ]
    assert review["note"][0]["authorString"] == "Priya Shah"

    _, defer = get(token_client, f"/fhir/RiskAssessment/{results['defer'].public_id}")
    assert_valid_r4(defer)
    assert defer["status"] == "final"
    until = {e["url"].rsplit("/", 1)[1]: e for e in defer["extension"]}
    assert until["defer-until"]["valueDate"] == "2027-03-11"  # a peel 4 days before 1 March
    assert until["screening-outcome"]["valueCoding"]["code"] == "defer"
    assert until["cleared-for-treatment"]["valueBoolean"] is False
    assert defer["prediction"][0]["extension"][0]["valueDate"] == "2027-03-11"


def test_a_consent_is_active_until_signed_again_and_shows_its_version(token_client, alice):
    first, second = Consent.objects.filter(patient=alice, kind="treatment").order_by("signed_at")
    _, old = get(token_client, f"/fhir/Consent/{first.public_id}")
    _, new = get(token_client, f"/fhir/Consent/{second.public_id}")
    for body in (old, new):
        assert_valid_r4(body)
        assert body["scope"]["coding"][0]["code"] == "treatment"
        assert body["patient"] == {"reference": f"Patient/{alice.public_id}"}
        assert body["policyRule"]["text"].endswith(f"version {second.template_version}")
    assert (old["status"], new["status"]) == ("inactive", "active")
    marketing = Consent.objects.get(patient=alice, kind="marketing")
    _, body = get(token_client, f"/fhir/Consent/{marketing.public_id}")
    assert body["status"] == "active"
    assert body["scope"]["coding"][0]["code"] == "patient-privacy"


def test_each_session_is_an_appointment_with_its_status_and_participants(
    token_client, alice, prac, pen
):
    expected = {"completed": "fulfilled", "cancelled": "cancelled", "booked": "booked"}
    for session in Session.objects.filter(patient=alice):
        response, body = get(token_client, f"/fhir/Appointment/{session.public_id}")
        assert response.status_code == 200
        assert_valid_r4(body)
        assert body["status"] == expected[session.status]
        actors = [p["actor"]["reference"] for p in body["participant"]]
        assert actors == [
            f"Patient/{alice.public_id}",
            f"Practitioner/{prac.pk}",
            f"Location/{session.room_id}",
            f"Device/{pen.pk}",
        ]
        assert body["start"] == session.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert body["minutesDuration"] == 90
        if session.status == "cancelled":
            assert body["cancelationReason"] == {"text": "Patient unwell"}


def test_every_session_status_maps_to_an_hl7_appointment_status(token_client, record):
    course = record.course(record.patient())
    hl7 = {
        "booked": "booked",
        "checked_in": "checked-in",
        "completed": "fulfilled",
        "cancelled": "cancelled",
        "no_show": "noshow",
    }
    assert set(hl7) == set(Session.Status.values)
    for number, (status, code) in enumerate(hl7.items(), start=1):
        extra = {"cancel_reason": "Clinic closed"} if status == "cancelled" else {}
        session = record.session(course, at(4, number), status, number=number, **extra)
        _, body = get(token_client, f"/fhir/Appointment/{session.public_id}")
        assert_valid_r4(body)
        assert body["status"] == code


def test_a_completed_session_is_a_procedure_with_its_areas_depths_and_passes(
    token_client, alice, prac, pen
):
    done = Session.objects.get(patient=alice, status="completed")
    _, body = get(token_client, f"/fhir/Procedure/{done.public_id}")
    assert_valid_r4(body)
    assert body["status"] == "completed"
    assert body["subject"] == {"reference": f"Patient/{alice.public_id}"}
    assert body["performer"][0]["actor"]["reference"] == f"Practitioner/{prac.pk}"
    assert body["focalDevice"] == [
        {"manipulated": {"reference": f"Device/{pen.pk}", "display": "Pen 1"}}
    ]
    sites = [{(c["system"], c["code"]) for c in site["coding"]} for site in body["bodySite"]]
    assert ("http://snomed.info/sct", "60819002") in sites[0]  # cheek structure
    assert ("http://snomed.info/sct", "52795006") in sites[1]  # forehead structure
    assert body["note"][0]["text"].startswith("Cheeks: device setting 0.50 mm; 3 passes")
    charts = [
        {part["url"]: part for part in e["extension"]}
        for e in body["extension"]
        if e["url"].endswith("/area-chart")
    ]
    assert charts[1]["device-setting-mm"]["valueDecimal"] == 0.25
    assert charts[1]["passes"]["valueInteger"] == 2
    assert charts[0]["cartridge-lot"]["valueString"] == "LOT-42"


def test_a_session_not_completed_has_no_procedure(token_client, alice):
    booked = Session.objects.get(patient=alice, status="booked")
    response, body = get(token_client, f"/fhir/Procedure/{booked.public_id}")
    assert response.status_code == 404
    assert body["resourceType"] == "OperationOutcome"


def test_a_sent_message_is_a_communication_and_one_not_yet_sent_is_not(token_client, alice):
    sms = Message.objects.get(patient=alice, kind="reminder_24h")
    _, body = get(token_client, f"/fhir/Communication/{sms.public_id}")
    assert_valid_r4(body)
    assert body["status"] == "completed"
    assert [(c["code"], c["display"]) for c in body["medium"][0]["coding"]] == [
        ("WRITTEN", "written"),  # v3 ParticipationMode has no SMS of its own
        ("sms", "SMS"),
    ]
    assert body["about"] == [{"reference": f"Appointment/{sms.session.public_id}"}]
    assert body["recipient"] == [{"reference": f"Patient/{alice.public_id}"}]
    assert body["sent"] == sms.sent_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    pending = Message.objects.get(patient=alice, kind="reminder_48h")
    assert token_client.get(f"/fhir/Communication/{pending.public_id}").status_code == 404


def test_the_practitioner_room_and_device_are_read_by_their_ids(token_client, alice, prac, pen):
    room = Session.objects.filter(patient=alice).first().room
    _, who = get(token_client, f"/fhir/Practitioner/{prac.pk}")
    _, where = get(token_client, f"/fhir/Location/{room.pk}")
    _, what = get(token_client, f"/fhir/Device/{pen.pk}")
    for body in (who, where, what):
        assert_valid_r4(body)
    assert who["name"] == [{"text": "Priya Shah"}]
    assert where["name"] == "Room A" and where["status"] == "active"
    assert what["serialNumber"] == "SP-0001" and what["manufacturer"] == "Crown Aesthetics"


def test_a_missing_or_malformed_id_is_a_404_operation_outcome(token_client, alice):
    for path in (
        "/fhir/Patient/6f1c1a52-1d5e-4a8e-9d8f-000000000000",
        "/fhir/Patient/not-an-id",
        "/fhir/Practitioner/99999",
        "/fhir/Questionnaire/intake-1999.1",
        "/fhir/Observation/1",
        "/fhir/Patient/x/y/z",
    ):
        response, body = get(token_client, path)
        assert response.status_code == 404, path
        assert_valid_r4(body)
        assert body["issue"][0]["code"] == "not-found"


def test_reading_is_audited_as_a_view_of_that_record(token_client, front_desk_user, alice):
    before = AuditEvent.objects.count()
    token_client.get(f"/fhir/Patient/{alice.public_id}")
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.actor, event.patient_id) == (
        "view",
        front_desk_user,
        alice.public_id,
    )
    assert event.detail == {"via": "fhir"}


def test_a_patient_account_gets_404_on_every_fhir_url(patient_client, alice):
    for path in (
        "/fhir/metadata",
        f"/fhir/Patient/{alice.public_id}",
        "/fhir/Patient?name=Alice",
        f"/fhir/Patient/{alice.public_id}/$everything",
        "/fhir/Questionnaire/intake-2026.12",
    ):
        response = patient_client.get(path)
        assert response.status_code == 404, path
        assert response.json()["resourceType"] == "OperationOutcome"
    assert not AuditEvent.objects.filter(action__in=["view", "list", "export"]).exists()


def test_without_logging_in_it_is_a_401_operation_outcome(anon_client, alice):
    response = anon_client.get(f"/fhir/Patient/{alice.public_id}")
    assert response.status_code == 401
    assert response.json()["issue"][0]["code"] == "login"


def test_a_logged_in_session_reads_too(front_desk_client, alice):
    assert front_desk_client.get(f"/fhir/Patient/{alice.public_id}").status_code == 200


def test_plain_json_is_served_when_asked_for_and_xml_is_refused(token_client, alice):
    path = f"/fhir/Patient/{alice.public_id}"
    assert token_client.get(path, HTTP_ACCEPT="application/json")["Content-Type"].startswith(
        "application/json"
    )
    fhir = token_client.get(path, HTTP_ACCEPT="application/fhir+json; fhirVersion=4.0")
    assert fhir["Content-Type"].startswith(FHIR)
    assert token_client.get(path + "?_format=json")["Content-Type"].startswith(FHIR)
    refused = token_client.get(path, HTTP_ACCEPT="application/fhir+xml")
    assert refused.status_code == 406
    assert refused.json()["resourceType"] == "OperationOutcome"
    assert token_client.get(path + "?_format=xml").status_code == 400


def test_writing_is_not_supported(token_client, alice):
    for path in (f"/fhir/Patient/{alice.public_id}", "/fhir/Patient", "/fhir/Patient/a/b/c"):
        response = token_client.put(path, {}, format="json")
        assert response.status_code == 405, path
        assert response.json()["issue"][0]["code"] == "not-supported"


def test_the_capability_statement_lists_each_type_and_its_search_parameters(token_client):
    response, body = get(token_client, "/fhir/metadata")
    assert response.status_code == 200
    assert_valid_r4(body)
    assert body["fhirVersion"] == "4.0.1"
    [rest] = body["rest"]
    types = {r["type"]: r for r in rest["resource"]}
    assert set(types) == {
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
        "Questionnaire",
    }
    assert {p["name"] for p in types["Patient"]["searchParam"]} >= {"name", "birthdate", "_id"}
    assert {p["name"] for p in types["Appointment"]["searchParam"]} >= {"patient", "date"}
    assert types["Patient"]["operation"][0]["name"] == "everything"
