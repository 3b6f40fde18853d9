"""The reports' figures, counted in the database (GROUP BY, weeks by `date_trunc` on the
clinic's local time), each in a fixed number of queries however many rows there are.

Audit: every report here is an aggregate (counts, hours, a median) that names no patient,
so reading one writes no audit row (DESIGN.md §6 asks a row for each read of patient data;
`clinic.audit`). The lists they show name practitioners, rooms, devices, message kinds,
screening rules and the outbox's fixed skip reasons, never a patient. A report that one day
lists patients must audit the read as every other list does (`audit.record_many`).

Scope: the whole clinic for a manager (or one practitioner they choose); for a practitioner,
their own figures only: their sessions and hours, their courses, the screenings of patients
they treat, the messages about their sessions and the alerts sent to them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import (
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Trunc

from clinic.clock import clinic_zone
from patients.models import ScreeningResult
from patients.screening import RULE_REFERENCES
from treatments.messaging.models import Message, MessageKind
from treatments.scheduling import planner
from treatments.scheduling.models import (
    CancelledBy,
    Course,
    Device,
    DeviceOutage,
    Practitioner,
    Room,
    Session,
    TimeOff,
    WorkingHours,
)
from treatments.scheduling.selectors import local_day_bounds

from . import hours
from .labels import FINDING_LABELS

S = Session.Status


@dataclass(frozen=True)
class Period:
    """A range of the clinic's local days, both included."""

    first: date
    last: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The instants that open `first` and close `last` on the clinic's clock."""
        return local_day_bounds(self.first, self.last)

    @property
    def weeks(self) -> list[date]:
        """The Mondays of the local weeks the range touches, earliest first."""
        monday = self.first - timedelta(days=self.first.weekday())
        return [monday + timedelta(weeks=n) for n in range((self.last - monday).days // 7 + 1)]


@dataclass(frozen=True)
class Scope:
    """Whose figures: `practitioner_id` None is the whole clinic. A practitioner's account
    that is on no rota has `practitioner_id` 0, which matches nothing: every figure is 0."""

    practitioner_id: int | None = None

    @property
    def whole_clinic(self) -> bool:
        return self.practitioner_id is None

    def q(self, path: str = "practitioner_id") -> Q:
        return Q() if self.whole_clinic else Q(**{path: self.practitioner_id})


# --- Utilisation ----------------------------------------------------------------------------

# The sessions that held their slot: kept, done, or missed by the patient (a no-show still
# took the time). A cancelled session gave its time back.
HELD = (S.BOOKED, S.CHECKED_IN, S.COMPLETED, S.NO_SHOW)
ZERO = timedelta()


@dataclass(frozen=True)
class Use:
    """One practitioner's, room's or device's booked hours over their working hours."""

    kind: str  # "practitioner", "room" or "device"
    name: str
    booked: timedelta
    available: timedelta

    @property
    def booked_hours(self) -> float:
        return self.booked.total_seconds() / 3600

    @property
    def available_hours(self) -> float:
        return self.available.total_seconds() / 3600

    @property
    def percent(self) -> float | None:
        """Booked over available, in per cent; None when there were no working hours."""
        if not self.available:
            return None
        return 100 * self.booked / self.available


@dataclass(frozen=True)
class Utilisation:
    practitioners: list[Use]
    rooms: list[Use]
    devices: list[Use]


def _booked(period: Period, scope: Scope) -> dict[tuple[str, int], timedelta]:
    """Booked time by practitioner, room and device (sessions starting in the period that
    held their slot): one query, one pass over the sessions grouped by the three together;
    the few groups (one per practitioner, room and device used together) are then added up
    by each of them."""
    start, end = period.bounds
    length = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    groups = (
        Session.objects.filter(scope.q(), starts_at__gte=start, starts_at__lt=end, status__in=HELD)
        .order_by()
        .values_list("practitioner_id", "room_id", "device_id")
        .annotate(booked=Sum(length))
    )
    found: dict[tuple[str, int], timedelta] = defaultdict(timedelta)
    for practitioner_id, room_id, device_id, booked in groups:
        found["p", practitioner_id] += booked
        found["r", room_id] += booked
        if device_id is not None:
            found["d", device_id] += booked
    return dict(found)


def utilisation(*, period: Period, scope: Scope) -> Utilisation:
    """Booked hours over working hours for each practitioner, room and device.

    Working hours are each practitioner's weekly hours laid on the period's local dates (on
    the wall clock, daylight-saving aware: `hours`), less their time off. A room is
    available while at least one active practitioner works (the union of their working
    time); a device the same, less its outages. Listed: the active ones, and any other that
    holds a session in the period. Seven queries, whatever the number of sessions.
    """
    start, end = period.bounds
    booked = _booked(period, scope)
    calendar = hours.Calendar(period.first, period.last, clinic_zone())

    def keep(kind: str, item) -> bool:
        return item.active or (kind, item.pk) in booked

    everyone = list(Practitioner.objects.order_by("display_name", "pk"))
    shown = [
        p
        for p in everyone
        if (keep("p", p) if scope.whole_clinic else p.pk == scope.practitioner_id)
    ]
    counted = {p.pk for p in shown} | (
        {p.pk for p in everyone if p.active} if scope.whole_clinic else set()
    )
    windows: dict[int, list[planner.WorkingWindow]] = {}
    for pk, *window in WorkingHours.objects.filter(practitioner_id__in=counted).values_list(
        "practitioner_id", "weekday", "start", "end"
    ):
        windows.setdefault(pk, []).append(planner.WorkingWindow(*window))
    off: dict[int, list[planner.Interval]] = {}
    for pk, s, e in TimeOff.objects.filter(
        practitioner_id__in=counted, starts_at__lt=end, ends_at__gt=start
    ).values_list("practitioner_id", "starts_at", "ends_at"):
        off.setdefault(pk, []).append(planner.Interval(s, e))
    working = {pk: calendar.working(windows.get(pk, ()), off.get(pk, ())) for pk in counted}
    people = [
        Use("practitioner", p.display_name, booked.get(("p", p.pk), ZERO), total)
        for p in shown
        for total in [hours.total(working[p.pk])]
    ]
    if not scope.whole_clinic:
        return Utilisation(practitioners=people, rooms=[], devices=[])

    # While anyone active on the rota works: the rooms' and devices' hours.
    open_time = hours.merged(i for p in everyone if p.active for i in working[p.pk])
    open_total = hours.total(open_time)
    rooms = [
        Use("room", room.name, booked.get(("r", room.pk), ZERO), open_total)
        for room in Room.objects.order_by("name", "pk")
        if keep("r", room)
    ]
    outages: dict[int, list[planner.Interval]] = {}
    for pk, s, e in DeviceOutage.objects.filter(starts_at__lt=end, ends_at__gt=start).values_list(
        "device_id", "starts_at", "ends_at"
    ):
        outages.setdefault(pk, []).append(planner.Interval(s, e))
    devices = [
        Use(
            "device",
            str(device),
            booked.get(("d", device.pk), ZERO),
            hours.total(hours.without(open_time, outages.get(device.pk, ()))),
        )
        for device in Device.objects.order_by("name", "pk")
        if keep("d", device)
    ]
    return Utilisation(practitioners=people, rooms=rooms, devices=devices)


# --- Weekly counts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str


@dataclass(frozen=True)
class Week:
    monday: date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Weekly:
    """Counts per local week (Monday to Sunday) in the period, one per series."""

    series: tuple[Series, ...]
    weeks: list[Week]

    @property
    def totals(self) -> dict[str, int]:
        return {s.key: sum(w.counts[s.key] for w in self.weeks) for s in self.series}

    @property
    def total(self) -> int:
        return sum(self.totals.values())


def _week(field_name: str):
    """The local Monday of `field_name`: date_trunc('week', field AT TIME ZONE the clinic's)."""
    return Trunc(field_name, "week", output_field=DateField(), tzinfo=clinic_zone())


def _weekly(queryset: QuerySet, field_name: str, period: Period, series, conditions) -> Weekly:
    """One GROUP BY week of `queryset`, a filtered COUNT per series; empty weeks as zeros."""
    rows = (
        queryset.order_by()
        .annotate(week=_week(field_name))
        .values("week")
        .annotate(**{key: Count("pk", filter=conditions[key]) for key in conditions})
    )
    found = {row["week"]: row for row in rows}
    weeks = [
        Week(monday, {s.key: found.get(monday, {}).get(s.key, 0) for s in series})
        for monday in period.weeks
    ]
    return Weekly(series=series, weeks=weeks)


SESSION_SERIES = (
    Series("completed", "Completed", "#1b7a3e"),
    Series("cancelled_by_clinic", "Cancelled by the clinic", "#b35900"),
    Series("cancelled_by_patient", "Cancelled by the patient", "#e3a21a"),
    Series("cancelled_unrecorded", "Cancelled (who asked not recorded)", "#8c6d46"),
    Series("no_show", "No-show", "#b3261e"),
    Series("booked", "Still booked or checked in", "#2f5d9e"),
)


def sessions_by_status(*, period: Period, scope: Scope) -> Weekly:
    """Sessions by status per local week of their start, a cancellation split by who asked
    (the clinic or the patient): one query."""
    start, end = period.bounds
    sessions = Session.objects.filter(scope.q(), starts_at__gte=start, starts_at__lt=end)
    cancelled = Q(status=S.CANCELLED)
    conditions = {
        "completed": Q(status=S.COMPLETED),
        "cancelled_by_clinic": cancelled & Q(cancel_initiated_by=CancelledBy.CLINIC),
        "cancelled_by_patient": cancelled & Q(cancel_initiated_by=CancelledBy.PATIENT),
        "cancelled_unrecorded": cancelled & Q(cancel_initiated_by=""),
        "no_show": Q(status=S.NO_SHOW),
        "booked": Q(status__in=Session.ACTIVE),
    }
    return _weekly(sessions, "starts_at", period, SESSION_SERIES, conditions)


# --- Screening ------------------------------------------------------------------------------

Outcome = ScreeningResult.Outcome
SCREENING_SERIES = (
    Series(Outcome.CLEARED, "Cleared", "#1b7a3e"),
    Series(Outcome.REVIEW, "Needs a practitioner's review", "#2f5d9e"),
    Series(Outcome.DEFER, "Deferred", "#e3a21a"),
    Series(Outcome.BLOCKED, "Blocked", "#b3261e"),
)
TOP_FINDINGS = 10


@dataclass(frozen=True)
class Finding:
    rule: str
    label: str
    reference: str
    outcome: str
    count: int


@dataclass(frozen=True)
class Screenings:
    weekly: Weekly
    findings: list[Finding]


def _screenings(period: Period, scope: Scope) -> QuerySet[ScreeningResult]:
    start, end = period.bounds
    results = ScreeningResult.objects.filter(screened_at__gte=start, screened_at__lt=end)
    if not scope.whole_clinic:
        treats = Course.objects.filter(
            patient_id=OuterRef("patient_id"), practitioner_id=scope.practitioner_id
        )
        results = results.filter(Exists(treats))
    return results


def screening_outcomes(*, period: Period, scope: Scope) -> Screenings:
    """Screening results per local week by outcome, and the most common findings (how many
    results carried each rule, and its most severe outcome): two queries. A practitioner
    sees the screenings of patients they have a course with."""
    results = _screenings(period, scope)
    weekly = _weekly(
        results,
        "screened_at",
        period,
        SCREENING_SERIES,
        {s.key: Q(outcome=s.key) for s in SCREENING_SERIES},
    )
    inner, params = results.order_by().values("findings").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            # One row per finding of every result in range: counted by rule. Severity
            # order: blocked < defer < review < advise, the first seen is the worst.
            "SELECT f.finding->>'rule' AS rule, COUNT(*) AS n, "  # noqa: S608 - Django's SQL, values bound
            "MIN(CASE f.finding->>'outcome' WHEN 'blocked' THEN 0 WHEN 'defer' THEN 1 "
            "WHEN 'review' THEN 2 ELSE 3 END) AS worst "
            f"FROM ({inner}) AS r, jsonb_array_elements(r.findings) AS f(finding) "
            "GROUP BY 1 ORDER BY n DESC, rule LIMIT %s",
            [*params, TOP_FINDINGS],
        )
        rows = cursor.fetchall()
    worst = ("blocked", "defer", "review", "advise")
    findings = [
        Finding(
            rule=rule,
            label=FINDING_LABELS.get(rule, rule),
            reference=RULE_REFERENCES.get(rule, ""),
            outcome=worst[level],
            count=n,
        )
        for rule, n, level in rows
    ]
    return Screenings(weekly=weekly, findings=findings)


# --- Courses --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Courses:
    started: int  # its first completed session in the period
    completed: int  # completed, its last completed session in the period
    dropped: int  # cancelled as a whole in the period after at least one session was done
    cancelled_unstarted: int  # cancelled in the period before any session was done
    median_days: float | None  # between one completed session and the next of its course
    gaps: int  # how many such intervals the median is of

    @property
    def rows(self) -> list[tuple[str, int]]:
        return [
            ("Started", self.started),
            ("Completed", self.completed),
            ("Dropped (cancelled after a session was done)", self.dropped),
            ("Cancelled before any session", self.cancelled_unstarted),
        ]


def courses(*, period: Period, scope: Scope) -> Courses:
    """Courses started, completed and dropped in the period, and the median days between
    sessions: two queries.

    A course starts with its first completed session and completes with its last; it is
    dropped when cancelled as a whole after at least one session was done (one cancelled
    before is counted apart). Days between sessions count local calendar dates from one
    completed session to the next of the same course, for the later one in the period.
    """
    start, end = period.bounds
    done = Q(sessions__status=S.COMPLETED)
    counts = (
        Course.objects.filter(scope.q())
        .annotate(
            first_done=Min("sessions__starts_at", filter=done),
            last_done=Max("sessions__starts_at", filter=done),
        )
        .aggregate(
            started=Count("pk", filter=Q(first_done__gte=start, first_done__lt=end)),
            completed=Count(
                "pk",
                filter=Q(status=Course.Status.COMPLETED, last_done__gte=start, last_done__lt=end),
            ),
            dropped=Count(
                "pk",
                filter=Q(
                    status=Course.Status.CANCELLED,
                    cancelled_at__gte=start,
                    cancelled_at__lt=end,
                    first_done__isnull=False,
                ),
            ),
            cancelled_unstarted=Count(
                "pk",
                filter=Q(
                    status=Course.Status.CANCELLED,
                    cancelled_at__gte=start,
                    cancelled_at__lt=end,
                    first_done__isnull=True,
                ),
            ),
        )
    )
    median, gaps = _median_gap(start, end, scope)
    return Courses(**counts, median_days=median, gaps=gaps)


def _median_gap(start: datetime, end: datetime, scope: Scope) -> tuple[float | None, int]:
    """The median of the local-date gaps between consecutive completed sessions of a course
    (the later one in [start, end)), by a window function and percentile_cont: one query.
    Only the courses with a completed session in the period are read, up to its end."""
    in_period = (
        Session.objects.filter(
            scope.q(), status=S.COMPLETED, starts_at__gte=start, starts_at__lt=end
        )
        .order_by()
        .values("course_id")
    )
    course_ids, params = in_period.query.sql_with_params()
    table = Session._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY gap), COUNT(gap) FROM ("  # noqa: S608 - names from the model, Django's SQL, values bound
            " SELECT starts_at, day - LAG(day) OVER (PARTITION BY course_id ORDER BY starts_at, id)"
            " AS gap FROM (SELECT id, course_id, starts_at,"
            " (starts_at AT TIME ZONE %s)::date AS day"
            f" FROM {table} WHERE status = %s AND starts_at < %s AND course_id IN ({course_ids})"
            ") AS s) AS g WHERE g.starts_at >= %s AND g.gap IS NOT NULL",
            [str(clinic_zone()), S.COMPLETED, end, *params, start],
        )
        median, gaps = cursor.fetchone()
    return (None if median is None else float(median)), gaps


# --- Messages -------------------------------------------------------------------------------

Status = Message.Status
MESSAGE_SERIES = (
    Series("sent", "Sent", "#1b7a3e"),
    Series("skipped", "Skipped", "#e3a21a"),
    Series("failed", "Failed", "#b3261e"),
    Series("waiting", "Waiting to be sent", "#2f5d9e"),
    Series("cancelled", "Cancelled (no longer wanted)", "#77716b"),
)
_MESSAGE_STATUS = {
    "sent": (Status.SENT,),
    "skipped": (Status.SKIPPED,),
    "failed": (Status.FAILED,),
    "waiting": (Status.PENDING, Status.SENDING),
    "cancelled": (Status.CANCELLED,),
}


@dataclass(frozen=True)
class KindCounts:
    kind: str
    label: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Messages:
    series: tuple[Series, ...]
    kinds: list[KindCounts]
    skip_reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        return {s.key: sum(k.counts[s.key] for k in self.kinds) for s in self.series}


def messages(*, period: Period, scope: Scope) -> Messages:
    """Messages due in the period by kind and status, and why the skipped ones were skipped
    (the outbox's own fixed reasons, which name no one): two queries. A practitioner sees
    the messages about their sessions and the alerts sent to them."""
    start, end = period.bounds
    found = Message.objects.filter(due_at__gte=start, due_at__lt=end).order_by()
    if not scope.whole_clinic:
        # Subqueries rather than joins: the sessions' ids and the account are each read
        # once, and the messages in the period are scanned once.
        theirs = Session.objects.filter(practitioner_id=scope.practitioner_id).values("pk")
        account = Practitioner.objects.filter(pk=scope.practitioner_id).values("user_id")
        found = found.filter(Q(session_id__in=theirs) | Q(recipient_id__in=account))
    counts = {key: Count("pk", filter=Q(status__in=each)) for key, each in _MESSAGE_STATUS.items()}
    rows = found.values("kind").annotate(**counts)
    by_kind = {row["kind"]: row for row in rows}
    labels = dict(MessageKind.choices)
    kinds = [
        KindCounts(kind, labels[kind], {s.key: by_kind[kind][s.key] for s in MESSAGE_SERIES})
        for kind in MessageKind.values
        if kind in by_kind
    ]
    reasons = list(
        found.filter(status=Status.SKIPPED)
        .values("last_error")
        .annotate(n=Count("pk"))
        .order_by("-n", "last_error")
        .values_list("last_error", "n")
    )
    return Messages(
        series=MESSAGE_SERIES,
        kinds=kinds,
        skip_reasons=[(reason or "No reason recorded", n) for reason, n in reasons],
    )
