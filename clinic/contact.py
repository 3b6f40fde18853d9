"""How a patient reaches the clinic, and help in an emergency: one answer for pages,
messages and the portal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from django.conf import settings

# The emergency number by the clinic's phone region (CLINIC_PHONE_REGION).
EMERGENCY_NUMBERS: Final[Mapping[str, str]] = {
    "GB": "999",
    "IE": "112",
    "US": "911",
    "CA": "911",
    "AU": "000",
}


def emergency_number(region: str | None = None) -> str:
    """The region's emergency number; 112 works across Europe and on most mobile phones."""
    region = region or settings.CLINIC_PHONE_REGION
    return EMERGENCY_NUMBERS.get(region.upper(), "112")


def clinic_phone() -> str:
    return settings.CLINIC_PHONE


def contact_context() -> dict[str, str]:
    """What every page and message may show: the clinic's name and phone, and 999/112/911."""
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
        "emergency_number": emergency_number(),
    }
