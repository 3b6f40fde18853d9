"""What each report shows: its heading, a chart and the table under it, and the same table
as CSV. One place turns the figures (`selectors`) into rows, so the page and the download
never disagree."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.safestring import SafeString

from clinic.clock import local_format

from . import charts, selectors
from .selectors import Period, Scope, Weekly


@dataclass(frozen=True)
class Table:
    slug: str  # the CSV's name: /reports/export.csv?table=<slug>
    caption: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    total: Sequence[Any] | None = None


@dataclass(frozen=True)
class Figure:
    """A chart and the table under it (its text alternative in full)."""

    chart: SafeString
    table: Table


@dataclass(frozen=True)
class Section:
    slug: str
    heading: str
    explains: str
    figures: Sequence[Figure]
    notes: Sequence[str] = ()


def _hours(value: float) -> str:
    return f"{value:.1f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def _week(monday: date) -> str:
    return f"Week of {local_format(monday, 'D j M Y')}"


def utilisation(period: Period, scope: Scope) -> Section:
    found = selectors.utilisation(period=period, scope=scope)
    figures = []
    groups = [("practitioners", "Practitioners", "Practitioner", found.practitioners)]
    if scope.whole_clinic:
        groups += [
            ("rooms", "Rooms", "Room", found.rooms),
            ("devices", "Devices", "Device", found.devices),
        ]
    for slug, plural, singular, uses in groups:
        bars = [
            charts.Bar(
                use.name,
                [charts.Part("Booked", "#2f5d9e", use.percent or 0)],
                _percent(use.percent),
            )
            for use in uses
        ]
        summary = "; ".join(f"{use.name} {_percent(use.percent)}" for use in uses)
        chart = charts.bar_chart(
            slug=f"utilisation-{slug}",
            title=f"{plural}: booked hours as a share of working hours",
            desc=f"A bar for each, 100% when every working hour was booked. {summary}."
            if uses
            else f"No {plural.lower()} to show.",
            bars=bars,
            scale=100,
        )
        table = Table(
            slug=f"utilisation-{slug}",
            caption=f"{plural}: booked and working hours",
            header=[singular, "Booked hours", "Working hours", "Booked share"],
            rows=[
                [u.name, _hours(u.booked_hours), _hours(u.available_hours), _percent(u.percent)]
                for u in uses
            ],
        )
        figures.append(Figure(chart, table))
    return Section(
        slug="utilisation",
        heading="Utilisation",
        explains=(
            "Booked hours over working hours. Booked: sessions that kept their time (booked, "
            "checked in, completed, or missed by the patient); cancelled ones gave it back. "
            "Working hours: each practitioner's weekly hours on the clinic's clock, less "
            "time off. A room is open while any practitioner works; a device too, less its "
            "time out of service."
        ),
        figures=figures,
        notes=[]
        if scope.whole_clinic
        else ["Rooms and devices are shared by the whole clinic: managers see them."],
    )


def _weekly_figure(slug: str, title: str, what: str, weekly: Weekly) -> Figure:
    bars = [
        charts.Bar(
            _week(week.monday),
            [charts.Part(s.label, s.colour, week.counts[s.key]) for s in weekly.series],
            str(week.total),
        )
        for week in weekly.weeks
    ]
    totals = weekly.totals
    summary = ", ".join(f"{s.label.lower()} {totals[s.key]}" for s in weekly.series)
    chart = charts.bar_chart(
        slug=slug,
        title=title,
        desc=f"One stacked bar per week, Monday to Sunday. In all: {weekly.total} {what}: "
        f"{summary}.",
        bars=bars,
        legend=[(s.label, s.colour) for s in weekly.series],
    )
    table = Table(
        slug=slug,
        caption=title,
        header=["Week", *(s.label for s in weekly.series), "All"],
        rows=[
            [_week(w.monday), *(w.counts[s.key] for s in weekly.series), w.total]
            for w in weekly.weeks
        ],
        total=["In all", *(totals[s.key] for s in weekly.series), weekly.total],
    )
    return Figure(chart, table)


def sessions(period: Period, scope: Scope) -> Section:
    weekly = selectors.sessions_by_status(period=period, scope=scope)
    return Section(
        slug="sessions",
        heading="Sessions by status",
        explains=(
            "Sessions by the week they were booked for, with cancellations split by who "
            "asked: the clinic or the patient."
        ),
        figures=[_weekly_figure("sessions", "Sessions by status, per week", "sessions", weekly)],
    )


def screenings(period: Period, scope: Scope) -> Section:
    found = selectors.screening_outcomes(period=period, scope=scope)
    weekly = _weekly_figure(
        "screenings", "Screening outcomes, per week", "screenings", found.weekly
    )
    colours = {"blocked": "#b3261e", "defer": "#e3a21a", "review": "#2f5d9e", "advise": "#77716b"}
    outcome_words = {
        "blocked": "Blocked",
        "defer": "Deferred",
        "review": "Needs review",
        "advise": "Advice",
    }
    chart = charts.bar_chart(
        slug="findings",
        title="The most common findings",
        desc="How many screenings carried each finding, most common first: "
        + ("; ".join(f"{f.label} {f.count}" for f in found.findings) or "none")
        + ".",
        bars=[
            charts.Bar(f.label, [charts.Part(f.outcome, colours[f.outcome], f.count)], str(f.count))
            for f in found.findings
        ],
        legend=[(outcome_words[k], colours[k]) for k in ("blocked", "defer", "review", "advise")],
        empty="No findings in these dates.",
    )
    table = Table(
        slug="findings",
        caption="The most common findings",
        header=["Finding", "Clinical reference", "Outcome", "Screenings"],
        rows=[[f.label, f.reference, outcome_words[f.outcome], f.count] for f in found.findings],
    )
    return Section(
        slug="screenings",
        heading="Screening outcomes",
        explains=(
            "Every screening by the week it was made (intakes, pre-session checks and "
            "check-ins), and the findings that came up most often."
            + ("" if scope.whole_clinic else " Yours: the patients you have a course with.")
        ),
        figures=[weekly, Figure(chart, table)],
    )


def courses(period: Period, scope: Scope) -> Section:
    found = selectors.courses(period=period, scope=scope)
    palette = ["#2f5d9e", "#1b7a3e", "#b3261e", "#77716b"]
    rows = found.rows
    median = "—" if found.median_days is None else f"{found.median_days:g}"
    chart = charts.bar_chart(
        slug="courses",
        title="Courses started, completed and dropped",
        desc="; ".join(f"{label}: {n}" for label, n in rows)
        + f". Median days between sessions: {median}.",
        bars=[
            charts.Bar(label, [charts.Part(label, palette[i], n)], str(n))
            for i, (label, n) in enumerate(rows)
        ],
    )
    table = Table(
        slug="courses",
        caption="Courses",
        header=["Courses", "Number"],
        rows=[
            *rows,
            ["Median days between sessions", median],
            ["Intervals the median is of", found.gaps],
        ],
    )
    return Section(
        slug="courses",
        heading="Courses",
        explains=(
            "A course starts with its first completed session and completes with its last. "
            "Dropped: cancelled as a whole after a session was done. Days between sessions "
            "count calendar days from one completed session to the next of the same course, "
            "when the later one is in these dates."
        ),
        figures=[Figure(chart, table)],
    )


def messages(period: Period, scope: Scope) -> Section:
    found = selectors.messages(period=period, scope=scope)
    totals = found.totals
    chart = charts.bar_chart(
        slug="messages",
        title="Messages by kind and status",
        desc="One stacked bar per kind of message. In all: "
        + ", ".join(f"{s.label.lower()} {totals[s.key]}" for s in found.series)
        + ".",
        bars=[
            charts.Bar(
                k.label,
                [charts.Part(s.label, s.colour, k.counts[s.key]) for s in found.series],
                str(k.total),
            )
            for k in found.kinds
        ],
        legend=[(s.label, s.colour) for s in found.series],
    )
    kinds = Table(
        slug="messages",
        caption="Messages by kind and status",
        header=["Kind", *(s.label for s in found.series), "All"],
        rows=[[k.label, *(k.counts[s.key] for s in found.series), k.total] for k in found.kinds],
        total=["In all", *(totals[s.key] for s in found.series), sum(totals.values())],
    )
    reasons_chart = charts.bar_chart(
        slug="skipped",
        title="Why messages were skipped",
        desc="; ".join(f"{reason} {n}" for reason, n in found.skip_reasons) or "None skipped.",
        bars=[
            charts.Bar(reason, [charts.Part("Skipped", "#e3a21a", n)], str(n))
            for reason, n in found.skip_reasons
        ],
        empty="No message was skipped in these dates.",
    )
    reasons = Table(
        slug="skipped",
        caption="Why messages were skipped",
        header=["Reason", "Messages"],
        rows=[list(row) for row in found.skip_reasons],
    )
    return Section(
        slug="messages",
        heading="Messages",
        explains=(
            "Messages by the time they were due to go: sent, skipped (with the reason), "
            "failed after every retry, still waiting, or cancelled because they were no "
            "longer wanted (a session moved or cancelled)."
            + ("" if scope.whole_clinic else " Yours: about your sessions, and alerts to you.")
        ),
        figures=[Figure(chart, kinds), Figure(reasons_chart, reasons)],
    )


SECTIONS: dict[str, Callable[[Period, Scope], Section]] = {
    "utilisation": utilisation,
    "sessions": sessions,
    "screenings": screenings,
    "courses": courses,
    "messages": messages,
}
# Each CSV's table, and the report that makes it.
TABLES: dict[str, str] = {
    "utilisation-practitioners": "utilisation",
    "utilisation-rooms": "utilisation",
    "utilisation-devices": "utilisation",
    "sessions": "sessions",
    "screenings": "screenings",
    "findings": "screenings",
    "courses": "courses",
    "messages": "messages",
    "skipped": "messages",
}


def table(slug: str, period: Period, scope: Scope) -> Table | None:
    """The table `slug` names (None when the scope does not show it: a practitioner's
    rooms)."""
    section = SECTIONS[TABLES[slug]](period, scope)
    return next((f.table for f in section.figures if f.table.slug == slug), None)
