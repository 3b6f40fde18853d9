"""Working hours over a range of local days, as real time: pure logic (house style 3), no ORM
and no clock.

A weekly window ("Monday 09:00-17:00") is laid on each local date by the planner's own
`window_span`, so the hours follow the wall clock across a daylight-saving change: a window
spanning the spring-forward hour is an hour shorter that day, one spanning the fall-back
hour an hour longer. Time off and device outages are cut out of it; what is left is summed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from treatments.scheduling.planner import Interval, WorkingWindow, window_span


def days(first: date, last: date) -> list[date]:
    """Every local date from `first` to `last`, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def merged(intervals: Iterable[Interval]) -> list[Interval]:
    """The same time as sorted, non-overlapping intervals (touching ones joined)."""
    out: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: (i.start, i.end)):
        if interval.start == interval.end:
            continue
        if out and interval.start <= out[-1].end:
            if interval.end > out[-1].end:
                out[-1] = Interval(out[-1].start, interval.end)
        else:
            out.append(interval)
    return out


def without(intervals: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """`intervals` with every instant of `holes` taken out."""
    holes = merged(holes)
    out: list[Interval] = []
    for interval in merged(intervals):
        start = interval.start
        for hole in holes:
            if hole.end <= start or hole.start >= interval.end:
                continue
            if hole.start > start:
                out.append(Interval(start, hole.start))
            start = max(start, hole.end)
        if start < interval.end:
            out.append(Interval(start, interval.end))
    return out


def total(intervals: Iterable[Interval]) -> timedelta:
    return sum((i.end - i.start for i in intervals), timedelta())


class Calendar:
    """The working windows of one or more practitioners laid on the dates of a range.

    On a date the clocks do not change, a wall-clock time is one fixed offset from UTC, so
    a window's span is plain arithmetic; on the two dates a year they change, the planner's
    `window_span` works it out (a gap, a fold). Each window's span on a date is worked out
    once, however many practitioners share it (most of a clinic works the same hours)."""

    def __init__(self, first: date, last: date, tz: tzinfo) -> None:
        self.dates = days(first, last)
        self.tz = tz
        midnights = [
            datetime.combine(day, time.min, tzinfo=tz).utcoffset()
            for day in [*self.dates, last + timedelta(days=1)]
        ]
        # The offset of each date the clocks keep all day; None on a date they change.
        self._offset = {
            day: before if before == after else None
            for day, before, after in zip(self.dates, midnights, midnights[1:], strict=False)
        }
        self._spans: dict[tuple[date, time, time], Interval] = {}

    def _span(self, day: date, window: WorkingWindow) -> Interval:
        key = (day, window.start, window.end)
        if key not in self._spans:
            offset = self._offset[day]
            if offset is None:
                self._spans[key] = window_span(day, window, self.tz)
            else:
                self._spans[key] = Interval.from_database(
                    datetime.combine(day, window.start, tzinfo=UTC) - offset,
                    datetime.combine(day, window.end, tzinfo=UTC) - offset,
                )
        return self._spans[key]

    def working(
        self, windows: Sequence[WorkingWindow], off: Iterable[Interval] = ()
    ) -> list[Interval]:
        """The time `windows` cover on the range's dates, less `off` (time off)."""
        by_weekday: dict[int, list[WorkingWindow]] = {}
        for window in windows:
            by_weekday.setdefault(window.weekday, []).append(window)
        spans = [
            self._span(day, window)
            for day in self.dates
            for window in by_weekday.get(day.weekday(), ())
        ]
        return without(spans, off)
