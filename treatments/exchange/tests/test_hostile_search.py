"""Every FHIR search parameter of every type, fed hostile values, answers below 500, and
every refusal is an OperationOutcome (issue 14; the API walk in
treatments/tests/test_hostile_api.py reads the OpenAPI schema, which leaves /fhir/ out)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from clinic.tests.hostile import HOSTILE
from treatments.exchange.search import RESULT_PARAMS
from treatments.exchange.selectors import TYPES

pytestmark = pytest.mark.django_db

# The walk's strings, and what a FHIR client might send by mistake or on purpose.
VALUES = [v for v in HOSTILE.values() if isinstance(v, str)] + [
    "ge",
    "eq",
    "ge9999-12-31T23:59:59-12:00",
    "le2027-01-01T00:00:00+14:59",
    "2027-01-01T00:00:00 99:00",
    "2027-13-01",
    "1899-12-31",
    "Patient/",
    "Patient/../Practitioner/1",
    "http://elsewhere.example/fhir/Patient/1",
    ",",
    "a\\,b",
    "%",
    "_",
    "a|b|c",
    "|",
    "99999999999999999999",
    "-1",
    "0",
    "00000000-0000-0000-0000-000000000000",
    "' OR 1=1 --",
    "é" * 50,
]


def test_no_hostile_value_in_any_fhir_search_parameter_is_a_5xx(token_client, alice):
    seen = 0
    for name, fhir_type in TYPES.items():
        params = [*fhir_type.params, *RESULT_PARAMS, "name:contains", "unknown", "date:exact"]
        for param in params:
            for value in VALUES:
                if "\x00" in value:
                    continue  # the middleware's, below
                response = token_client.get(f"/fhir/{name}?{param}={quote(value)}")
                seen += 1
                assert response.status_code < 500, (name, param, value)
                assert response.status_code in (200, 400), (name, param, value)
                body = response.json()
                expected = "Bundle" if response.status_code == 200 else "OperationOutcome"
                assert body["resourceType"] == expected, (name, param, value)
    assert seen > 1000


def test_a_nul_in_a_fhir_query_string_is_a_400_operation_outcome(token_client):
    response = token_client.get("/fhir/Patient?name=ab%00c")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["expression"] == ["name"]
