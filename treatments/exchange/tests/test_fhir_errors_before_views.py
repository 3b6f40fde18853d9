"""Errors that middleware gives before any FHIR view runs are OperationOutcomes too."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from clinic.unavailable import unavailable_response

pytestmark = pytest.mark.django_db


def test_the_database_down_is_a_503_operation_outcome_under_fhir():
    response = unavailable_response(RequestFactory().get("/fhir/Patient"))
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response["Retry-After"] == "30"
    body = json.loads(response.content)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "transient"


def test_the_database_down_is_still_the_error_shape_under_api():
    response = unavailable_response(RequestFactory().get("/api/patients/"))
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"


def test_a_staff_session_without_its_second_step_gets_a_403_operation_outcome(
    settings, front_desk_client
):
    settings.REQUIRE_STAFF_2FA = True
    response = front_desk_client.get("/fhir/metadata")
    assert response.status_code == 403
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "forbidden"
