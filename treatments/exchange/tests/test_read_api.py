"""The FHIR read API: every resource type read by id, each validated as R4 (issue 14 item 1)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from patients.models import IntakeSubmission

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
    from patients.vocabulary import QUESTIONS  # noqa: PLC0415 - the test's own expectation

    assert set(QUESTIONS) | {"areas"} == link_ids
