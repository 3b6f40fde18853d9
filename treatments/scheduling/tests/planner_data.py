"""Shared data and helpers for the planner tests (plain data, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from treatments.scheduling.planner import (
    Interval,
    Resource,
    Slot,
    WorkingWindow,
    free_starts,
    local_datetime,
    plan_series,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")

WEEKDAYS_9_TO_5 = tuple(WorkingWindow(weekday, time(9), time(17)) for weekday in range(5))
EVERY_DAY_10_TO_4 = tuple(WorkingWindow(weekday, time(10), time(16)) for weekday in range(7))

MONDAY = date(2026, 1, 5)  # a winter Monday in London: GMT, so local 09:00 is 09:00 UTC
FAR_FUTURE = datetime(2030, 1, 1, tzinfo=UTC)


def at(tz: ZoneInfo, day: date, hour: int, minute: int = 0) -> datetime:
    """An existing local wall-clock time, as an aware datetime in ``tz``."""
    found = local_datetime(day, time(hour, minute), tz)
    assert found is not None, f"{day} {hour:02}:{minute:02} does not exist in {tz}"
    return found


def span(tz: ZoneInfo, day: date, start: tuple[int, int], end: tuple[int, int]) -> Interval:
    return Interval(at(tz, day, *start), at(tz, day, *end))


def whole_day(tz: ZoneInfo, day: date) -> Interval:
    return Interval(at(tz, day, 0), at(tz, day + timedelta(days=1), 0))


def plan(**overrides: Any) -> list[Slot]:
    arguments: dict[str, Any] = {
        "tz": LONDON,
        "working_hours": WEEKDAYS_9_TO_5,
        "time_off": (),
        "practitioner_busy": (),
        "rooms": (Resource(1),),
        "devices": (Resource(1),),
        "sessions": 4,
        "interval_days": 28,
        "min_interval_days": 14,
        "minutes": 90,
        "earliest": MONDAY,
    }
    arguments.update(overrides)
    return plan_series(**arguments)


def starts(tz: ZoneInfo, day: date, **overrides: Any) -> list[Slot]:
    arguments: dict[str, Any] = {
        "tz": tz,
        "day_from": day,
        "day_to": day,
        "minutes": 60,
        "working_hours": WEEKDAYS_9_TO_5,
        "time_off": (),
        "practitioner_busy": (),
        "rooms": (Resource(1),),
        "devices": (),
    }
    arguments.update(overrides)
    return free_starts(**arguments)


def local_labels(slots: list[Slot], tz: ZoneInfo) -> list[str]:
    return [slot.starts_at.astimezone(tz).strftime("%H:%M") for slot in slots]


def local_starts(slots: list[Slot], tz: ZoneInfo) -> list[tuple[date, time]]:
    return [
        (slot.starts_at.astimezone(tz).date(), slot.starts_at.astimezone(tz).time())
        for slot in slots
    ]
