"""The series planner's properties, checked with hypothesis on generated clinics.

Run: ``python -m pytest -p no:django -q treatments/scheduling/tests/test_planner_properties.py``
"""

# ruff: noqa: S101 - pytest reports failures through plain asserts.

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from treatments.scheduling.planner import (
    Interval,
    NoFeasibleSeries,
    Resource,
    Slot,
    WorkingWindow,
    free_starts,
    plan_series,
    spacing_violations,
)
from treatments.scheduling.tests.planner_data import (
    LONDON,
    NEW_YORK,
    UTC_ZONE,
)

# --- properties ------------------------------------------------------------------------------

ZONES = (LONDON, NEW_YORK, UTC_ZONE)
TRANSITIONS = (date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1))
FIVE_MINUTES = timedelta(minutes=5)


@functools.cache
def _clock(tz_key: str, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """(instant, wall clock) for every UTC minute around ``day``: a brute-force reference."""
    tz = ZoneInfo(tz_key)
    first = datetime.combine(day, time(), tzinfo=UTC) - timedelta(hours=14)
    instants = (first + timedelta(minutes=n) for n in range(52 * 60))
    return tuple((u, u.astimezone(tz).replace(tzinfo=None)) for u in instants)


@functools.cache
def _first_shown(tz: ZoneInfo, day: date, label: time) -> tuple[datetime, bool]:
    """The first instant the clock on ``day`` shows ``label`` or later, and whether exactly."""
    wall = datetime.combine(day, label)
    for instant, shown in _clock(tz.key, day):
        if shown >= wall:
            return instant, shown == wall
    raise AssertionError("the reference clock is too short")


@functools.cache
def _existing_labels(tz_key: str, day: date) -> dict[datetime, datetime]:
    """Each wall-clock minute shown on ``day`` -> the first instant it is shown."""
    labels: dict[datetime, datetime] = {}
    for instant, shown in _clock(tz_key, day):
        if shown.date() == day:
            labels.setdefault(shown, instant)
    return labels


def _overlap(a_start: datetime, a_end: datetime, b: Interval) -> bool:
    return (
        a_start.timestamp() < b.end.timestamp()
        and b.start.timestamp() < a_end.timestamp()
        and b.start != b.end
    )


@dataclass
class Scenario:
    tz: ZoneInfo
    working_hours: tuple[WorkingWindow, ...]
    time_off: tuple[Interval, ...]
    practitioner_busy: tuple[Interval, ...]
    rooms: tuple[Resource, ...]
    devices: tuple[Resource, ...]
    minutes: int
    step_minutes: int
    not_before: datetime | None
    first_day: date

    def common(self) -> dict[str, Any]:
        return {
            "tz": self.tz,
            "working_hours": self.working_hours,
            "time_off": self.time_off,
            "practitioner_busy": self.practitioner_busy,
            "rooms": self.rooms,
            "devices": self.devices,
            "minutes": self.minutes,
            "step_minutes": self.step_minutes,
            "not_before": self.not_before,
        }

    def window_containing(self, slot: Slot) -> WorkingWindow | None:
        """An independent check that ``slot`` starts on the grid of, and fits in, one window."""
        local = slot.starts_at.astimezone(self.tz)
        day = local.date()
        label = local.replace(tzinfo=None)
        for window in self.working_hours:
            if window.weekday != day.weekday():
                continue
            offset = label - datetime.combine(day, window.start)
            on_grid = offset >= timedelta(0) and offset % timedelta(minutes=self.step_minutes) == (
                timedelta(0)
            )
            opens, _ = _first_shown(self.tz, day, window.start)
            closes, _ = _first_shown(self.tz, day, window.end)
            if on_grid and opens <= slot.starts_at and slot.ends_at <= closes:
                return window
        return None

    def assert_valid(self, slot: Slot) -> None:
        start, end = slot.starts_at, slot.ends_at
        assert start.utcoffset() == timedelta(0)
        assert end - start == timedelta(minutes=self.minutes)
        local = start.astimezone(self.tz)
        assert local.fold == 0, "a repeated wall-clock time is offered at its first occurrence"
        assert _existing_labels(self.tz.key, local.date()).get(local.replace(tzinfo=None)) == start
        assert self.window_containing(slot) is not None
        if self.not_before is not None:
            assert start >= self.not_before
        for busy in (*self.time_off, *self.practitioner_busy):
            assert not _overlap(start, end, busy)
        for resources, chosen in ((self.rooms, slot.room_id), (self.devices, slot.device_id)):
            if not resources:
                assert chosen is None
                continue
            free = [r.id for r in resources if not any(_overlap(start, end, b) for b in r.busy)]
            assert chosen == min(free)


def _quarter(n: int) -> time:
    return time(n // 4, n % 4 * 15)


@st.composite
def _windows(draw: st.DrawFn, first_day: date) -> tuple[WorkingWindow, ...]:
    windows = []
    weekdays = draw(st.sets(st.integers(0, 6), max_size=7)) | {first_day.weekday()}
    for weekday in sorted(weekdays):
        for _ in range(draw(st.integers(1, 2))):
            # Half the windows sit in the small hours, where the clocks change.
            first = draw(st.one_of(st.integers(0, 16), st.integers(0, 23 * 4 - 1)))
            last = min(first + draw(st.integers(2, 40)), 24 * 4 - 1)
            start = _quarter(first)
            if draw(st.booleans()):
                start = start.replace(minute=start.minute + 5)  # a grid not on the quarter hour
            if start < _quarter(last):
                windows.append(WorkingWindow(weekday, start, _quarter(last)))
    if not windows:
        windows.append(WorkingWindow(0, time(9), time(17)))
    return tuple(windows)


def _intervals(base: datetime, within_minutes: int, max_size: int, longest: int) -> Any:
    one = st.builds(
        lambda offset, length: Interval(
            base + offset * FIVE_MINUTES, base + (offset + length) * FIVE_MINUTES
        ),
        # Often near the start, where the first sessions land; sometimes anywhere.
        st.one_of(
            st.integers(0, min(within_minutes, 4 * 24 * 60) // 5),
            st.integers(0, within_minutes // 5),
        ),
        st.integers(1, longest // 5),
    )
    return st.lists(one, max_size=max_size).map(tuple)


def _resources(base: datetime, within_minutes: int, min_size: int, max_size: int) -> Any:
    return st.lists(
        _intervals(base, within_minutes, max_size=4, longest=600),
        min_size=min_size,
        max_size=max_size,
    ).map(
        lambda busy_lists: tuple(
            Resource(id=10 * (n + 1), busy=busy) for n, busy in enumerate(busy_lists)
        )
    )


@st.composite
def _scenarios(draw: st.DrawFn, *, days_of_busy: int) -> Scenario:
    tz = draw(st.sampled_from(ZONES))
    first_day = draw(st.sampled_from(TRANSITIONS)) + timedelta(days=draw(st.integers(-9, 3)))
    base = datetime.combine(first_day, time(), tzinfo=UTC) - timedelta(days=1)
    within = days_of_busy * 24 * 60
    not_before = None
    if draw(st.booleans()):
        not_before = base + draw(st.integers(0, 3 * 24 * 60)) * timedelta(minutes=1)
    return Scenario(
        tz=tz,
        working_hours=draw(_windows(first_day)),
        time_off=draw(_intervals(base, within, max_size=2, longest=3 * 24 * 60)),
        practitioner_busy=draw(_intervals(base, within, max_size=10, longest=300)),
        rooms=draw(_resources(base, within, min_size=1, max_size=3)),
        devices=draw(_resources(base, within, min_size=0, max_size=2)),
        minutes=draw(st.integers(1, 36)) * 5,
        step_minutes=draw(st.sampled_from((5, 10, 15, 30))),
        not_before=not_before,
        first_day=first_day,
    )


PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(scenario=_scenarios(days_of_busy=5), days=st.integers(1, 3))
def test_free_starts_are_exactly_the_free_grid_times_that_fit_a_window(
    scenario: Scenario, days: int
) -> None:
    day_to = scenario.first_day + timedelta(days=days - 1)
    slots = free_starts(day_from=scenario.first_day, day_to=day_to, **scenario.common())

    instants = [slot.starts_at for slot in slots]
    event("some free starts" if slots else "no free starts")
    assert instants == sorted(set(instants))
    labels = [slot.starts_at.astimezone(scenario.tz).replace(tzinfo=None) for slot in slots]
    assert len(labels) == len(set(labels)), "a wall-clock time is never offered twice"
    for slot in slots:
        scenario.assert_valid(slot)
        assert scenario.first_day <= slot.starts_at.astimezone(scenario.tz).date() <= day_to

    # And nothing free is missing: brute force over every grid label of every window.
    expected: set[datetime] = set()
    length = timedelta(minutes=scenario.minutes)
    for offset in range(days):
        day = scenario.first_day + timedelta(days=offset)
        shown = _existing_labels(scenario.tz.key, day)
        for window in scenario.working_hours:
            if window.weekday != day.weekday():
                continue
            label = datetime.combine(day, window.start)
            while label < datetime.combine(day, window.end):
                start = shown.get(label)
                label += timedelta(minutes=scenario.step_minutes)
                if start is None:
                    continue
                candidate = Slot(start, start + length, room_id=0, device_id=None)
                if scenario.window_containing(candidate) is None:
                    continue
                if scenario.not_before is not None and start < scenario.not_before:
                    continue
                end = start + length
                if any(
                    _overlap(start, end, b)
                    for b in (*scenario.time_off, *scenario.practitioner_busy)
                ):
                    continue
                if all(any(_overlap(start, end, b) for b in r.busy) for r in scenario.rooms):
                    continue
                if scenario.devices and all(
                    any(_overlap(start, end, b) for b in d.busy) for d in scenario.devices
                ):
                    continue
                expected.add(start)
    assert set(instants) == expected


@PROPERTY_SETTINGS
@given(
    scenario=_scenarios(days_of_busy=70),
    sessions=st.integers(1, 4),
    min_interval_days=st.integers(1, 14),
    extra_interval_days=st.integers(0, 14),
)
def test_a_planned_series_fits_working_hours_avoids_everything_busy_and_is_spaced(
    scenario: Scenario, sessions: int, min_interval_days: int, extra_interval_days: int
) -> None:
    interval_days = min_interval_days + extra_interval_days
    horizon_days = 30
    try:
        slots = plan_series(
            earliest=scenario.first_day,
            sessions=sessions,
            interval_days=interval_days,
            min_interval_days=min_interval_days,
            horizon_days=horizon_days,
            **scenario.common(),
        )
    except NoFeasibleSeries as error:
        assert error.reason.startswith("session ")
        event("no feasible series")
        return
    event("a series was planned")

    assert len(slots) == sessions
    for slot in slots:
        scenario.assert_valid(slot)
    for i, slot in enumerate(slots):
        for other in slots[i + 1 :]:
            assert not slot.interval.overlaps(other.interval)
    local_dates = [slot.starts_at.astimezone(scenario.tz).date() for slot in slots]
    assert all(
        (later - earlier).days >= min_interval_days
        for earlier, later in zip(local_dates, local_dates[1:], strict=False)
    )
    starts_ = [slot.starts_at for slot in slots]
    assert spacing_violations(starts_, tz=scenario.tz, min_interval_days=min_interval_days) == []

    # Session 1 is the earliest free start; each later one is on the first date from its
    # preferred date that has any free start, at the free time nearest session 1's local time.
    first_search_day = scenario.first_day
    if scenario.not_before is not None:
        first_search_day = max(first_search_day, scenario.not_before.astimezone(scenario.tz).date())
    common = scenario.common()
    earliest_free = free_starts(
        day_from=first_search_day,
        day_to=first_search_day + timedelta(days=horizon_days - 1),
        **common,
    )
    assert slots[0] == earliest_free[0]
    usual = slots[0].starts_at.astimezone(scenario.tz).replace(tzinfo=None).time()
    for n in range(1, sessions):
        preferred = local_dates[n - 1] + timedelta(days=interval_days)
        common["practitioner_busy"] = (
            *scenario.practitioner_busy,
            *(slot.interval for slot in slots[:n]),
        )
        day = preferred
        while not (options := free_starts(day_from=day, day_to=day, **common)):
            day += timedelta(days=1)
        assert local_dates[n] == day

        def distance(slot: Slot) -> tuple[timedelta, datetime]:
            wall = slot.starts_at.astimezone(scenario.tz).replace(tzinfo=None)
            return abs(wall - datetime.combine(wall.date(), usual)), slot.starts_at

        assert slots[n] == min(options, key=distance)
