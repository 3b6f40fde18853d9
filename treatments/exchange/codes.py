"""The code systems the FHIR shapes use: standard ones where one exists, the clinic's own
otherwise.

Standard: SNOMED CT for the treatment areas (body sites), HL7's appointment status, consent
scope and category, participation mode (e-mail, SMS), location type. The clinic's own codes
(screening outcomes and rules, message kinds, the intake's answers, the treatment areas
themselves) live under `settings.FHIR_SYSTEM_BASE` ("https://clinic.example/fhir" unless
set): `<base>/CodeSystem/<name>`, `<base>/StructureDefinition/<name>` for extensions and
`<base>/sid/<name>` for identifiers. Pure: no ORM, no clock.
"""

from __future__ import annotations

from typing import Final

from django.conf import settings

from clinic import api as clinic_api

FHIR_VERSION: Final = "4.0.1"
FHIR_JSON: Final = clinic_api.FHIR_JSON

SNOMED: Final = "http://snomed.info/sct"
LOINC: Final = "http://loinc.org"
CONSENT_SCOPE: Final = "http://terminology.hl7.org/CodeSystem/consentscope"
PARTICIPATION_MODE: Final = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
LOCATION_TYPE: Final = "http://terminology.hl7.org/CodeSystem/location-physical-type"
PARTICIPANT_TYPE: Final = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONTACT_POINT_SYSTEMS: Final = ("email", "phone")


def base() -> str:
    return settings.FHIR_SYSTEM_BASE.rstrip("/")


def system(name: str) -> str:
    """The clinic's own code system `name`: `<base>/CodeSystem/<name>`."""
    return f"{base()}/CodeSystem/{name}"


def extension(name: str) -> str:
    """The clinic's own extension `name`: `<base>/StructureDefinition/<name>`."""
    return f"{base()}/StructureDefinition/{name}"


def identifier_system(name: str) -> str:
    """The clinic's own identifier namespace `name`: `<base>/sid/<name>`."""
    return f"{base()}/sid/{name}"


def questionnaire_url() -> str:
    return f"{base()}/Questionnaire/intake"


# The treatment areas (DESIGN.md §4.1) as SNOMED CT body structures. Two have no exact
# concept we could confirm (the skin around the eyes, the décolletage): they carry the
# clinic's own code alone, as every area also does.
AREA_SNOMED: Final[dict[str, tuple[str, str]]] = {
    "forehead": ("52795006", "Forehead structure"),
    "eyelids": ("80243003", "Eyelid structure"),
    "nose": ("45206002", "Nasal structure"),
    "cheeks": ("60819002", "Cheek structure"),
    "perioral": ("123851003", "Mouth region structure"),
    "chin": ("30291003", "Chin structure"),
    "jawline": ("661005", "Jaw region structure"),
    "neck": ("45048000", "Neck structure"),
    "hands": ("85562004", "Hand structure"),
    "arms": ("53120007", "Upper limb structure"),
    "abdomen": ("113345001", "Abdominal structure"),
    "back": ("727234005", "Entire back of trunk"),
    "buttocks": ("46862004", "Buttock structure"),
    "thighs": ("68367000", "Thigh structure"),
}

# Session.Status → HL7 appointment status (http://hl7.org/fhir/appointmentstatus, required).
APPOINTMENT_STATUS: Final[dict[str, str]] = {
    "booked": "booked",
    "checked_in": "checked-in",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}

# Message.Channel → v3 ParticipationMode. It has e-mail (EMAILWRIT) but no SMS: a text
# message is its parent, "written", beside the clinic's own `message-channel` code.
MEDIUM: Final[dict[str, tuple[str, str]]] = {
    "email": ("EMAILWRIT", "email"),
    "sms": ("WRITTEN", "written"),
}

# Consent.Kind → HL7 consent scope.
CONSENT_SCOPES: Final[dict[str, tuple[str, str]]] = {
    "treatment": ("treatment", "Treatment"),
    "clinical_photos": ("patient-privacy", "Privacy Consent"),
    "marketing": ("patient-privacy", "Privacy Consent"),
}
