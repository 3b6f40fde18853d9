"""Shared constants and helpers for the calendar page and API tests."""

import datetime as dt
from datetime import UTC

from .factories import session_at

CALENDAR = "/calendar/"
DAY = "/day/"
SESSIONS = "/api/sessions/"
# Sunday 1 March 2026, 12:00 UTC: the Monday after is free and in the future.
BEFORE_THE_WEEK = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(year, month, day, hour, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def placed(response) -> list[tuple[str, str, int, int]]:
    """(column title, patient, top, length) for every block on the page's grid."""
    return [
        (column.title, p.session.patient.first_name, p.top, p.length)
        for column in response.context["grid"].columns
        for p in column.items
    ]


def sessions_back_to_back(practitioner, first: dt.datetime, count: int, minutes: int = 30):
    return [
        session_at(practitioner, first + dt.timedelta(minutes=minutes * n), minutes=minutes)
        for n in range(count)
    ]


def errors(response) -> dict:
    return response.json()["error"]["fields"]
