"""Hostile bodies and query strings get a 400 (or 413), never a 500 (issue 12 item 1):
JSON nested thousands deep, NUL characters, numbers JSON should not carry, oversized bodies."""

import json

import pytest

from clinic.parsers import nesting_depth, nul_paths
from patients.models import Patient
from patients.tests.factories import PatientFactory
from patients.tests.screening_cases import clear_answers

pytestmark = pytest.mark.django_db

DEEP = ("[" * 5000 + "]" * 5000).encode()
DEEP_OBJECT = ('{"a":' * 5000 + "1" + "}" * 5000).encode()


def post_raw(client, path, body: bytes):
    return client.generic("POST", path, body, content_type="application/json")


def fields(response) -> dict:
    return response.json()["error"]["fields"]


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_deep_json_is_a_400_on_the_token_patient_and_intake_endpoints(
    body, anon_client, front_desk_client
):
    patient = PatientFactory()
    assert post_raw(anon_client, "/api/auth/token/", body).status_code == 400
    assert post_raw(front_desk_client, "/api/patients/", body).status_code == 400
    intakes = f"/api/patients/{patient.public_id}/intakes/"
    response = post_raw(front_desk_client, intakes, body)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "JSON nested deeper than 20 levels."


def test_depth_counts_brackets_outside_strings_only():
    assert nesting_depth(b'{"a": "[[[[[[", "b": [1, [2]]}', limit=20) == 3
    assert nesting_depth(b'["\\"[[["]', limit=20) == 1
    assert nesting_depth(DEEP, limit=20) == 21  # stops counting past the limit


def test_a_body_over_the_limit_is_a_413(front_desk_client, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = json.dumps({"first_name": "A" * 2000}).encode()
    response = post_raw(front_desk_client, "/api/patients/", body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_a_nul_in_a_search_is_a_400_naming_the_parameter(front_desk_client):
    response = front_desk_client.get("/api/patients/?search=ab%00c")
    assert response.status_code == 400
    assert fields(response) == {"search": ["Null characters are not allowed."]}


def test_a_nul_in_a_query_parameter_name_is_refused_too(front_desk_client):
    response = front_desk_client.get("/api/patients/?se%00arch=abc")
    assert response.status_code == 400
    assert fields(response) == {"search": ["Null characters are not allowed."]}


def test_a_nul_anywhere_in_a_json_body_is_a_400_naming_where(front_desk_client):
    patient = PatientFactory()
    registered = front_desk_client.post(
        "/api/patients/", {"first_name": "A\x00da", "last_name": "Lovelace"}, format="json"
    )
    assert registered.status_code == 400
    assert fields(registered)["first_name"] == ["Null characters are not allowed."]
    assert not Patient.objects.filter(last_name="Lovelace").exists()
    # A free-text answer inside the intake's answers object (stored as JSON).
    answers = clear_answers(other_conditions="eczema\x00")
    intake = front_desk_client.post(
        f"/api/patients/{patient.public_id}/intakes/",
        {"answers": answers, "areas": ["cheeks"]},
        format="json",
    )
    assert intake.status_code == 400
    assert fields(intake) == {"answers.other_conditions": ["Null characters are not allowed."]}


def test_nul_paths_name_keys_and_nested_strings():
    assert nul_paths({"a": ["ok", "b\x00"], "c\x00": 1, "d": {"e": "\x00"}}) == [
        "a.1",
        "non_field_errors",
        "d.e",
    ]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "9" * 5000])
def test_numbers_json_should_not_carry_are_a_400(number, front_desk_client):
    body = f'{{"first_name": "Ada", "last_name": "Byron", "x": {number}}}'.encode()
    response = post_raw(front_desk_client, "/api/patients/", body)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("JSON parse error")
