"""The clinic's wall clock. Storage is UTC; rules about days and local times use this zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import dateformat, timezone


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def clinic_zone() -> ZoneInfo:
    return _zone(settings.CLINIC_TIME_ZONE)


def clinic_today() -> date:
    """Today's date on the clinic's wall clock (not UTC's)."""
    return timezone.localdate(timezone=clinic_zone())


# How far back a query may look (the clinic's history: calendars, the audit log).
HISTORY_DAYS = 10 * 366


def date_window() -> tuple[date, date]:
    """The dates a query may name: ten years back to `BOOKING_HORIZON_DAYS` ahead. Beyond
    them nothing is booked, and a far date (9999-12-31) overflows the arithmetic of a week
    or a series: a 400, not a 500."""
    today = clinic_today()
    return today - timedelta(days=HISTORY_DAYS), today + timedelta(
        days=settings.BOOKING_HORIZON_DAYS
    )


def outside_date_window(day: date) -> str:
    """Why `day` is not a date a query may name, or ""."""
    first, last = date_window()
    if first <= day <= last:
        return ""
    return f"Choose a date from {local_format(first, DATE)} to {local_format(last, DATE)}."


def outside_booking_window(start: datetime, now: datetime | None = None) -> str:
    """Why a session may not start at `start`, or "": from now to `BOOKING_HORIZON_DAYS`
    ahead."""
    now = now or timezone.now()
    if start < now:
        return "That time has passed: choose a time from now on."
    horizon = now + timedelta(days=settings.BOOKING_HORIZON_DAYS)
    if start > horizon:
        return (
            f"Sessions can be booked up to {settings.BOOKING_HORIZON_DAYS} days ahead "
            f"(until {local_format(horizon, DATE)})."
        )
    return ""


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(clinic_zone())


def localize(naive: datetime, tz: ZoneInfo | None = None) -> datetime:
    """The instant (UTC) the clinic's clock shows `naive`: in a fall-back fold the first one
    (fold=0); a time inside a spring-forward gap is read with the offset before the change,
    which lands just after the gap (01:30 on London's spring day is 02:30 BST)."""
    return naive.replace(tzinfo=tz or clinic_zone(), fold=0).astimezone(UTC)


# Formats (Django's `date` filter syntax) for the clinic's wall clock, named once. Templates
# name them too: `{{ session.starts_at|local:"DAY_TIME" }}`.
DATE = "j F Y"  # 20 April 2027
TIME = "H:i"  # 09:00
DATE_TIME = "j F Y, H:i"  # 20 April 2027, 09:00 (records: signed, screened)
DAY_TIME = "D j M Y, H:i"  # Tue 20 Apr 2027, 09:00 (tables)
DAY_DATE_TIME = "l j F Y, H:i"  # Tuesday 20 April 2027, 09:00 (a session on staff pages)
WHEN = "l j F \\a\\t H:i"  # Tuesday 20 April at 09:00 (messages)
WHEN_IN_ZONE = "l j F Y \\a\\t H:i T"  # Tuesday 20 April 2027 at 09:00 BST (the portal)
FORMATS = {
    "DATE": DATE,
    "TIME": TIME,
    "DATE_TIME": DATE_TIME,
    "DAY_TIME": DAY_TIME,
    "DAY_DATE_TIME": DAY_DATE_TIME,
    "WHEN": WHEN,
    "WHEN_IN_ZONE": WHEN_IN_ZONE,
}


def local_format(moment: datetime | date | None, fmt: str = DATE_TIME) -> str:
    """`moment` as the clinic's wall clock shows it, in Django's date-format syntax (or one of
    the names in FORMATS).

    The one way pages, messages and files show a time (template filter: `{{ x|local }}`):
    storage is UTC, and a patient or a receptionist reads the clinic's local time, on either
    side of a daylight-saving change. Unlike Django's `date` filter it does not depend on the
    zone a view happens to activate. A `date` is shown as it is (it has no zone).
    """
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        if timezone.is_naive(moment):
            raise ValueError("A naive datetime has no place on the clinic's clock.")
        moment = to_local(moment)
    return dateformat.format(moment, FORMATS.get(fmt, fmt))
