"""An intake and its screening are audited together: one INSERT inside the intake's
transaction (clinic.audit.together; issue 13 item 5)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import AuditEvent
from patients.tests.factories import PatientFactory
from patients.vocabulary import negative_answers

pytestmark = pytest.mark.django_db


def _inserts(queries) -> int:
    return sum(q["sql"].startswith('INSERT INTO "clinic_auditevent"') for q in queries)


def test_an_intake_and_its_screening_are_audited_in_one_insert(front_desk_client):
    patient = PatientFactory()
    body = {"answers": negative_answers(), "areas": ["cheeks"]}
    with CaptureQueriesContext(connection) as queries:
        response = front_desk_client.post(
            f"/api/patients/{patient.public_id}/intakes/", body, format="json"
        )
    assert response.status_code == 201, response.content
    assert _inserts(queries.captured_queries) == 1
    kinds = AuditEvent.objects.filter(patient_id=patient.public_id, action="create")
    assert set(kinds.values_list("object_type", flat=True)) == {
        "patients.intakesubmission",
        "patients.screeningresult",
    }
