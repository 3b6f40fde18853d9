"""The clinic's wall clock. Storage is UTC; rules about days and local times use this zone."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def clinic_zone() -> ZoneInfo:
    return _zone(settings.CLINIC_TIME_ZONE)


def clinic_today() -> date:
    """Today's date on the clinic's wall clock (not UTC's)."""
    return timezone.localdate(timezone=clinic_zone())


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(clinic_zone())
