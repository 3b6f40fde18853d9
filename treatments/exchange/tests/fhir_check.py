"""Checks every resource the FHIR API hands out against the R4 models of fhir.resources.

fhir.resources 8 ships no 4.0.1 (R4) package: its `R4B` models (4.3.0, R4's technical
correction) are what validate R4 here. They check each element's type, cardinality and
required elements and refuse unknown ones; they do not check codes against required value
sets, nor forbid empty values, so this module does both for what the API sends.
"""

from __future__ import annotations

import re
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

# Required bindings (http://hl7.org/fhir/R4/...): the codes an element may take.
REQUIRED_CODES: dict[tuple[str, str], set[str]] = {
    ("Appointment", "status"): {
        "proposed",
        "pending",
        "booked",
        "arrived",
        "fulfilled",
        "cancelled",
        "noshow",
        "entered-in-error",
        "checked-in",
        "waitlist",
    },
    ("Procedure", "status"): {
        "preparation",
        "in-progress",
        "not-done",
        "on-hold",
        "stopped",
        "completed",
        "entered-in-error",
        "unknown",
    },
    ("Consent", "status"): {
        "draft",
        "proposed",
        "active",
        "rejected",
        "inactive",
        "entered-in-error",
    },
    ("RiskAssessment", "status"): {
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    },
    ("QuestionnaireResponse", "status"): {
        "in-progress",
        "completed",
        "amended",
        "entered-in-error",
        "stopped",
    },
    ("Communication", "status"): {
        "preparation",
        "in-progress",
        "not-done",
        "on-hold",
        "stopped",
        "completed",
        "entered-in-error",
        "unknown",
    },
    ("Questionnaire", "status"): {"draft", "active", "retired", "unknown"},
    ("Location", "status"): {"active", "suspended", "inactive"},
    ("Device", "status"): {"active", "inactive", "entered-in-error", "unknown"},
    ("Bundle", "type"): {"searchset"},
    ("CapabilityStatement", "status"): {"draft", "active", "retired", "unknown"},
}
ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def _no_empty(value: Any, where: str) -> None:
    assert value not in ("", [], {}, None), f"empty value at {where}"
    if isinstance(value, dict):
        for key, sub in value.items():
            _no_empty(sub, f"{where}.{key}")
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            _no_empty(sub, f"{where}[{i}]")


def assert_valid_r4(resource: dict) -> None:
    """The resource (and, for a Bundle, each entry's) is valid R4 as far as we can check."""
    kind = resource["resourceType"]
    get_fhir_model_class(kind).model_validate(resource)  # raises on anything invalid
    _no_empty(resource, kind)
    if "id" in resource:
        assert ID.fullmatch(resource["id"]), resource["id"]
    for (rtype, element), allowed in REQUIRED_CODES.items():
        if rtype == kind:
            assert resource[element] in allowed, (kind, element, resource[element])
    for participant in resource.get("participant", []) if kind == "Appointment" else []:
        assert participant["status"] in {"accepted", "declined", "tentative", "needs-action"}
        assert participant["required"] in {"required", "optional", "information-only"}
    for entry in resource.get("entry", []) if kind == "Bundle" else []:
        assert entry["fullUrl"].endswith(
            f"/{entry['resource']['resourceType']}/{entry['resource']['id']}"
        )
        assert_valid_r4(entry["resource"])
