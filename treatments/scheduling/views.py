"""HTML pages for treatments: a practitioner's week, the front desk's day, one session, and
renewing a practitioner's feed address (the .ics files themselves are in `ics_views`).

Everything shown on the calendar is placed by the local wall clock in CLINIC_TIME_ZONE
(DESIGN.md §6 "Time"): a 10:00 session sits at 10:00 on both sides of a daylight-saving
change, and a 23- or 25-hour day is drawn like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from clinic import audit, panels
from clinic.clock import TIME, clinic_today, clinic_zone, local_format, to_local
from clinic.models import Role
from clinic.roles import FRONT_OFFICE, PLANNERS, STAFF, role_required

from . import selectors
from .check_in import outside_window
from .check_in_form import confirmation_summary
from .forms import DayForm, RotateFeedForm, WeekForm
from .models import Practitioner, Session

# Who may look at any practitioner's calendar; a practitioner alone sees their own.
GRID_FIRST_HOUR = 7
GRID_LAST_HOUR = 21
MIN_BLOCK_MINUTES = 15  # so a very short (or fold-squeezed) session stays clickable

Action = audit.Action


calendar_access = role_required(*STAFF)


# --- Placement on the grid ---------------------------------------------------------------------


@dataclass
class Placed:
    """A session's block: where it starts and how long it looks, in wall-clock minutes."""

    session: Session
    local_start: datetime
    local_end: datetime
    top: int  # minutes below the grid's first hour
    length: int  # minutes tall
    lane: int = 0
    lanes: int = 1

    # What the block says, built here rather than in the template (a busy week has dozens
    # of blocks, and template tags cost several times plain Python: issue 13).
    @property
    def href(self) -> str:
        return reverse("treatments:session", args=[self.session.public_id])

    @property
    def times(self) -> str:
        return f"{local_format(self.local_start, TIME)}–{local_format(self.local_end, TIME)}"

    @property
    def number(self) -> str:
        session = self.session
        if session.status == Session.Status.BOOKED:
            return f"Session {session.number}"
        return f"Session {session.number} · {session.get_status_display()}"

    @property
    def is_short(self) -> bool:
        """Too short for three lines: time and name share one."""
        return self.length < 45

    @property
    def css_vars(self) -> str:
        """Where the block sits (static/js/clinic.js sets them: no inline style)."""
        return f"top:{self.top};len:{self.length};lane:{self.lane};lanes:{self.lanes}"


@dataclass
class Column:
    title: str
    subtitle: str = ""
    url: str = ""
    is_today: bool = False
    items: list[Placed] = field(default_factory=list)


@dataclass
class Grid:
    columns: list[Column]
    first_hour: int
    last_hour: int

    @property
    def hours(self) -> list[str]:
        return [f"{hour:02d}:00" for hour in range(self.first_hour, self.last_hour)]

    @property
    def rows(self) -> int:
        return self.last_hour - self.first_hour

    @property
    def css_vars(self) -> str:
        return f"cols:{len(self.columns)};rows:{self.rows}"

    @property
    def sessions(self) -> list[Session]:
        return [placed.session for column in self.columns for placed in column.items]


def _wall_minutes(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _assign_lanes(items: list[Placed]) -> None:
    """Side by side where blocks overlap (a no-show and the booking that took its slot, say):
    each cluster of overlapping blocks shares the column's width between its lanes."""
    items.sort(key=lambda p: (p.top, -p.length, p.session.starts_at))
    cluster: list[Placed] = []
    lane_ends: list[int] = []
    cluster_end = -1

    def close() -> None:
        for placed in cluster:
            placed.lanes = len(lane_ends)

    for placed in items:
        if placed.top >= cluster_end and cluster:
            close()
            cluster, lane_ends = [], []
        for lane, end in enumerate(lane_ends):
            if end <= placed.top:
                placed.lane = lane
                lane_ends[lane] = placed.top + placed.length
                break
        else:
            placed.lane = len(lane_ends)
            lane_ends.append(placed.top + placed.length)
        cluster.append(placed)
        cluster_end = max(cluster_end, placed.top + placed.length)
    if cluster:
        close()


def place(sessions: list[Session], columns: dict[object, Column], key) -> Grid:
    """Put each session in the column `key(session, local_start)` names (or nowhere, if None).

    A block starts at its local start time and ends at its local end time on the wall clock;
    one that runs past midnight is cut at the end of its day. The grid spans 07:00–21:00 and
    grows to show any session outside those hours.
    """
    found: list[tuple[Column, Session, datetime, datetime]] = []
    for session in sessions:
        local_start = to_local(session.starts_at)
        local_end = to_local(session.ends_at)
        column = columns.get(key(session, local_start))
        if column is not None:
            found.append((column, session, local_start, local_end))

    first_hour, last_hour = GRID_FIRST_HOUR, GRID_LAST_HOUR
    spans = []
    for column, session, local_start, local_end in found:
        start = _wall_minutes(local_start)
        end = _wall_minutes(local_end) if local_end.date() == local_start.date() else 24 * 60
        if end <= start:  # the clock went back during the session: show its real length
            end = start + int((session.ends_at - session.starts_at).total_seconds() // 60)
        end = min(max(end, start + MIN_BLOCK_MINUTES), 24 * 60)
        first_hour = min(first_hour, start // 60)
        last_hour = max(last_hour, -(-end // 60))
        spans.append((column, session, local_start, local_end, start, end))

    for column, session, local_start, local_end, start, end in spans:
        column.items.append(
            Placed(
                session=session,
                local_start=local_start,
                local_end=local_end,
                top=start - first_hour * 60,
                length=end - start,
            )
        )
    for column in columns.values():
        _assign_lanes(column.items)
    return Grid(columns=list(columns.values()), first_hour=first_hour, last_hour=last_hour)


# --- Query strings (the forms are in .forms) ---------------------------------------------------


# Templates show times with `{% load clock %}{{ x|local }}` (clinic.clock.local_format), so
# no view activates the clinic's zone: a page reads the same whatever zone is active.


def _bad_request(request: HttpRequest, form: forms.Form) -> HttpResponse:
    return render(request, "scheduling/bad_request.html", {"form": form}, status=400)


def _is_htmx(request: HttpRequest) -> bool:
    """An htmx swap of the calendar alone; a history restore wants the whole page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _render_calendar(request, page: str, partial: str, context: dict) -> HttpResponse:
    response = render(request, partial if _is_htmx(request) else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _url(name: str, **params) -> str:
    query = {k: v for k, v in params.items() if v not in (None, "", False)}
    return reverse(name) + ("?" + urlencode(query) if query else "")


def _visible(sessions, show_cancelled: bool) -> list[Session]:
    if show_cancelled:
        return list(sessions)
    return list(sessions.exclude(status=Session.Status.CANCELLED))


def _own_practitioner(user) -> Practitioner | None:
    try:
        return user.practitioner
    except Practitioner.DoesNotExist:
        return None


def feed_url(request: HttpRequest, practitioner: Practitioner) -> str:
    path = reverse("treatments:calendar_feed", kwargs={"token": practitioner.calendar_token})
    return request.build_absolute_uri(path)


# --- Pages -------------------------------------------------------------------------------------


@calendar_access
@require_safe
def calendar(request: HttpRequest) -> HttpResponse:
    """A practitioner's week, Monday to Sunday: their own, or anyone's for the front desk and
    the manager (`?practitioner=<id>`); `?week=` is any day in the week."""
    form = WeekForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, form)
    user = request.user
    can_choose = user.has_role(*FRONT_OFFICE)
    own = _own_practitioner(user)
    wanted = form.cleaned_data["practitioner"]
    if wanted is not None and (own is None or wanted != own.pk):
        if not can_choose:
            raise PermissionDenied("Your calendar is yours; the front desk can show others'.")
        practitioner = get_object_or_404(Practitioner, pk=wanted)
    else:
        practitioner = own

    today = clinic_today()
    day = form.cleaned_data["week"] or today
    monday = day - timedelta(days=day.weekday())
    days = [monday + timedelta(days=n) for n in range(7)]
    show_cancelled = form.cleaned_data["cancelled"]
    chosen = practitioner.pk if practitioner and practitioner != own else None

    def link(**params) -> str:
        return _url(
            "treatments:calendar",
            practitioner=chosen,
            cancelled="on" if show_cancelled else None,
            **params,
        )

    columns = {
        d: Column(
            title=f"{d:%a}",
            subtitle=f"{d.day} {d:%b}",
            url=_url("treatments:day", date=d.isoformat()),
            is_today=d == today,
        )
        for d in days
    }
    sessions: list[Session] = []
    if practitioner is not None:
        start, end = selectors.local_day_bounds(days[0], days[-1])
        sessions = _visible(
            selectors.sessions_between(start=start, end=end, practitioner=practitioner).for_grid(),
            show_cancelled,
        )
    grid = place(sessions, columns, lambda s, local_start: local_start.date())
    audit.record_many(actor=user, action=Action.LIST, objects=grid.sessions, request=request)

    context = {
        "practitioner": practitioner,
        "own": own,
        "can_choose": can_choose,
        "practitioners": (
            Practitioner.objects.filter(Q(active=True) | Q(pk=getattr(practitioner, "pk", None)))
            if can_choose
            else []
        ),
        "grid": grid,
        "days": days,
        "week_start": monday,
        "week_end": days[-1],
        "show_cancelled": show_cancelled,
        "zone": clinic_zone().key,
        "prev_url": link(week=(monday - timedelta(days=7)).isoformat()),
        "next_url": link(week=(monday + timedelta(days=7)).isoformat()),
        "today_url": link(),
        "cancelled_url": _url(
            "treatments:calendar",
            practitioner=chosen,
            week=monday.isoformat(),
            cancelled=None if show_cancelled else "on",
        ),
        "feed_url": (
            feed_url(request, practitioner)
            if practitioner is not None and (practitioner == own or user.has_role(Role.MANAGER))
            else None
        ),
    }
    return _render_calendar(request, "scheduling/calendar.html", "scheduling/_week.html", context)


@calendar_access
@require_safe
def day(request: HttpRequest) -> HttpResponse:
    """One day for the front desk: every active practitioner side by side (and anyone no
    longer active who still has a session that day)."""
    form = DayForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, form)
    user = request.user
    today = clinic_today()
    the_day = form.cleaned_data["date"] or today
    show_cancelled = form.cleaned_data["cancelled"]
    start, end = selectors.local_day_bounds(the_day, the_day)
    sessions = _visible(selectors.sessions_between(start=start, end=end).for_grid(), show_cancelled)
    practitioners = Practitioner.objects.filter(
        Q(active=True) | Q(pk__in={s.practitioner_id for s in sessions})
    ).order_by("display_name", "id")
    can_choose = user.has_role(*FRONT_OFFICE)
    own = _own_practitioner(user)
    week_param = the_day.isoformat()
    columns = {
        p.pk: Column(
            title=p.display_name,
            subtitle="" if p.active else "inactive",
            url=(
                _url(
                    "treatments:calendar",
                    practitioner=None if own is not None and p.pk == own.pk else p.pk,
                    week=week_param,
                )
                if can_choose or (own is not None and p.pk == own.pk)
                else ""
            ),
        )
        for p in practitioners
    }
    grid = place(
        sessions,
        columns,
        lambda s, local_start: s.practitioner_id if local_start.date() == the_day else None,
    )
    audit.record_many(actor=user, action=Action.LIST, objects=grid.sessions, request=request)

    def link(d: date | None) -> str:
        return _url(
            "treatments:day",
            date=d.isoformat() if d else None,
            cancelled="on" if show_cancelled else None,
        )

    context = {
        "the_day": the_day,
        "is_today": the_day == today,
        "grid": grid,
        "show_cancelled": show_cancelled,
        "zone": clinic_zone().key,
        "prev_url": link(the_day - timedelta(days=1)),
        "next_url": link(the_day + timedelta(days=1)),
        "today_url": link(None),
        "week_url": _url("treatments:calendar", week=week_param),
        "cancelled_url": _url(
            "treatments:day",
            date=the_day.isoformat(),
            cancelled=None if show_cancelled else "on",
        ),
    }
    return _render_calendar(request, "scheduling/day.html", "scheduling/_day.html", context)


def _session(public_id) -> Session:
    return get_object_or_404(
        Session.objects.for_calendar().select_related(
            "course",
            "screening__submission",
            "check_in_confirmation__confirmed_by",
            "check_in_confirmation__earlier__submission",
        ),
        public_id=public_id,
    )


@calendar_access
@require_safe
def session_detail(request: HttpRequest, public_id) -> HttpResponse:
    session = _session(public_id)
    audit.record(actor=request.user, action=Action.VIEW, obj=session, request=request)
    local_day = to_local(session.starts_at).date()
    own = _own_practitioner(request.user)
    week = local_day.isoformat()
    if own is not None and own.pk == session.practitioner_id:
        week_url = _url("treatments:calendar", week=week)
    elif request.user.has_role(*FRONT_OFFICE):
        week_url = _url("treatments:calendar", practitioner=session.practitioner_id, week=week)
    else:
        week_url = ""
    return render(
        request,
        "scheduling/session.html",
        {
            "session": session,
            "zone": clinic_zone().key,
            "week_url": week_url,
            "day_url": _url("treatments:day", date=local_day.isoformat()),
            "panels": panels.collect(panels.SESSION_PAGE, request=request, session=session),
            "confirmation": confirmation_summary(session),
            "check_in_closed": (
                outside_window(session) if session.status == Session.Status.BOOKED else ""
            ),
        },
    )


@require_POST
@role_required(*PLANNERS)
def rotate_feed(request: HttpRequest) -> HttpResponse:
    """A new secret for a practitioner's feed; the old address stops working at once.

    A practitioner rotates their own; the manager may rotate anyone's (`practitioner`)."""
    user = request.user
    own = _own_practitioner(user)
    form = RotateFeedForm(request.POST)
    if not form.is_valid():
        return _bad_request(request, form)
    wanted = form.cleaned_data["practitioner"]
    if wanted is not None:
        if own is not None and wanted == own.pk:
            practitioner = own
        elif user.has_role(Role.MANAGER):
            practitioner = get_object_or_404(Practitioner, pk=wanted)
        else:
            raise PermissionDenied("Only the manager rotates another practitioner's feed.")
    elif own is not None:
        practitioner = own
    else:
        raise Http404("Your account has no practitioner calendar.")

    practitioner.rotate_calendar_token()
    audit.record(
        actor=user,
        action=Action.UPDATE,
        obj=practitioner,
        request=request,
        detail={"calendar_token": "rotated"},
    )
    # The new address is shown on the calendar page, not put in the message: messages may
    # travel in a cookie, and the address is a credential.
    messages.success(
        request,
        "The calendar feed has a new address, shown below. The old address no longer works; "
        "subscribe again in your calendar app.",
    )
    return redirect(
        _url("treatments:calendar", practitioner=None if practitioner == own else practitioner.pk)
    )
