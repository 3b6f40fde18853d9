"""Patients book for themselves in the portal (issue 15 item 1), as far as the clinic's
`PORTAL_BOOKING` allows: "off" (call the clinic), "next_session_only" (book or move the next
session of a booked course) or "full" (that, and ask for a review or a new course).

A patient sees slots only when the one clearance rule (`patients.selectors.clearance`) allows
treating them on the course's areas with answers from the last 7 days; otherwise why, in
plain words, and what to do. A slot is one of the planner's free starts (the practitioner's
hours, time off, sessions, rooms and devices) that keeps the course's minimum interval to the
sessions before and after it and to the patient's other courses on a shared area; it starts
at least `PORTAL_MOVE_NOTICE_HOURS` ahead, so the clinic always gets that notice. Booking
calls the very services staff booking calls (`repair.course_add_session`,
`services.session_reschedule`): one all-or-nothing transaction under the same locks and
constraints, audited with the patient's account as the actor, with the same messages. Moving
a session that itself starts within the notice period becomes a change request instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone

from clinic import audit
from clinic.clock import clinic_today, clinic_zone, local_format, to_local
from clinic.errors import Conflict, Forbidden, Invalid
from clinic.models import Role, User
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients import vocabulary
from patients.models import IntakeSubmission, Patient, ScreeningResult
from patients.selectors import Clearance
from treatments.scheduling import repair, selectors, spacing
from treatments.scheduling import services as scheduling_services
from treatments.scheduling.models import Course, Protocol, Room, Session

from . import pre_session as pre_session_check
from . import services as portal_services
from .models import BookingRequest, SessionChangeRequest

Action = audit.Action

OFF, NEXT_SESSION_ONLY, FULL = "off", "next_session_only", "full"
# Days of slots on one page (phone-sized: a day's starts on a 30-minute grid).
PAGE_DAYS = 7
STEP_MINUTES = 30
JUST_TAKEN = "Sorry, that time has just been taken. Please choose another time."
WHEN_SUITS_MAX = 300


def mode() -> str:
    return settings.PORTAL_BOOKING


def books_next_session() -> bool:
    return mode() in (NEXT_SESSION_ONLY, FULL)


def takes_requests() -> bool:
    return mode() == FULL


def notice() -> timedelta:
    return timedelta(hours=settings.PORTAL_MOVE_NOTICE_HOURS)


# --- May this patient book? ---------------------------------------------------------------


@dataclass(frozen=True)
class Why:
    """Why a patient may not book now, and what to do, in plain words."""

    code: str
    says: str
    fix: str


PHONE = "call us on {phone}"
PLAIN: dict[str, tuple[str, str]] = {
    "no_screening": (
        "We have not been through your health questions yet.",
        "Please {call}: we will go through them with you.",
    ),
    "no_history": (
        "We need to go through your medical history with you first.",
        "Please {call}.",
    ),
    "history_old": (
        "Your medical history needs updating before another course.",
        "Please {call}.",
    ),
    "expired": (
        "Your answers to the health questions are more than 7 days old, and we need "
        "up-to-date answers before booking.",
        "Answer the questions before your session again when they open (7 days before it), "
        "or {call} and we will book it with you.",
    ),
    "sign_off": (
        "A practitioner needs to look at your latest answers before you can book.",
        "We will contact you. If you would rather not wait, {call}.",
    ),
    "no_consent": (
        "We need your signed consent to treatment before booking.",
        "Please {call}: we will go through it with you.",
    ),
    "hold": (
        "Your practitioner wants to check how your skin is before your next session.",
        "Please {call}: we will arrange it with you.",
    ),
    "blocked": (
        "Your latest answers mean we cannot book a session online.",
        "Please {call} to talk it through with a practitioner.",
    ),
    "deferred": (
        "Your latest answers mean your next session has to wait a little.",
        "Please {call} and we will find a time with you.",
    ),
    "not_cleared": (
        "Your latest answers mean your next session has to wait a little.",
        "Please {call} and we will find a time with you.",
    ),
    "areas": (
        "Your latest health questions did not cover every area of your course.",
        "Please {call}: we will go through them with you.",
    ),
    "archived": ("Your record is closed.", "Please {call}."),
}


def explain(verdict: Clearance) -> Why | None:
    """The refusal in the patient's words (None when allowed): never the finding itself."""
    if verdict:
        return None
    says, fix = PLAIN.get(verdict.code, ("We cannot book this online.", "Please {call}."))
    call = PHONE.format(phone=settings.CLINIC_PHONE)
    return Why(code=verdict.code or "other", says=says, fix=fix.format(call=call))


def patient_clearance(*, patient: Patient, areas, days=()) -> Clearance:
    """The one clearance rule, with answers current today (no more than 7 days old,
    clinical reference §1.2): the portal books only on answers it can rely on now."""
    return patient_selectors.clearance(
        patient=patient, areas=areas, days=days, answers_on=clinic_today()
    )


# --- What the patient may book ------------------------------------------------------------


@dataclass
class NextSession:
    """The next session of one of the patient's booked courses: `session` to move, or (when
    None) a planned session not yet booked, `number` in the course."""

    course: Course
    session: Session | None
    number: int
    siblings: list[datetime]  # the course's other booked, checked-in and done sessions

    @property
    def moving(self) -> bool:
        return self.session is not None

    @property
    def within_notice(self) -> bool:
        return self.moving and self.session.starts_at - timezone.now() < notice()

    @property
    def ref(self) -> str:
        return str(self.session.public_id if self.moving else self.course.public_id)


def _courses(patient: Patient):
    return (
        Course.objects.filter(patient=patient, status=Course.Status.BOOKED)
        .select_related("protocol", "practitioner", "patient")
        .prefetch_related(
            Prefetch(
                "sessions",
                queryset=Session.objects.select_related("room", "practitioner").order_by(
                    "starts_at", "pk"
                ),
                to_attr="all_sessions",
            )
        )
        .order_by("created_at", "pk")
    )


def _next_of(course: Course, now: datetime) -> NextSession | None:
    sessions = course.all_sessions
    kept = [s for s in sessions if s.status in (*Session.ACTIVE, Session.Status.COMPLETED)]
    upcoming = [s for s in kept if s.status == Session.Status.BOOKED and s.starts_at > now]
    if upcoming:
        target = upcoming[0]
        return NextSession(
            course=course,
            session=target,
            number=target.number,
            siblings=[s.starts_at for s in kept if s.pk != target.pk],
        )
    if any(s.status == Session.Status.CHECKED_IN for s in kept):
        return None
    missed = (Session.Status.CANCELLED, Session.Status.NO_SHOW)
    dropped = [s for s in sessions if s.status in missed and s.dropped_reason]
    if course.planned_sessions - len(kept) - len(dropped) <= 0:
        return None
    return NextSession(
        course=course,
        session=None,
        number=len(kept) + 1,
        siblings=[s.starts_at for s in kept],
    )


def next_sessions(patient: Patient) -> list[NextSession]:
    """For each of the patient's booked courses, its next session: the first still booked
    (to move), else a planned one not yet booked (to book). Two queries however many."""
    now = timezone.now()
    return [found for course in _courses(patient) if (found := _next_of(course, now)) is not None]


def own_booked_course(patient: Patient, public_id) -> Course | None:
    """The patient's own booked course by its public id, or None (another patient's too)."""
    return Course.objects.filter(
        patient=patient, public_id=public_id, status=Course.Status.BOOKED
    ).first()


def next_session_for(patient: Patient, ref) -> NextSession:
    """The patient's next session named by its session's or (to book) its course's public
    id; anything else, another patient's included, is a 404 (`Http404` from the view)."""
    for found in next_sessions(patient):
        if found.ref == str(ref):
            return found
    raise LookupError(ref)


# --- Slots --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    starts_at: datetime
    room_id: int

    @property
    def value(self) -> str:
        return self.starts_at.astimezone(UTC).isoformat()

    @property
    def label(self) -> str:
        return local_format(self.starts_at, "H:i")


@dataclass
class Day:
    day: date
    label: str
    choices: list[Choice]


@dataclass
class Slots:
    first: date | None  # the window's first and last days, None when nothing fits
    last: date | None
    day_from: date
    days: list[Day]
    earlier: date | None  # the `from` of the page before and after, when there is one
    later: date | None

    @property
    def count(self) -> int:
        return sum(len(d.choices) for d in self.days)


def window(target: NextSession, screening: ScreeningResult | None) -> tuple[date, date] | None:
    """The local days a slot may take: at least the protocol's minimum interval after the
    course's session before it and before the one after it (clinical reference §2.1), from
    the notice period on, after a deferral's date, within the booking horizon."""
    minimum = timedelta(days=target.course.protocol.min_interval_days)
    now = timezone.now()
    ref = target.session.starts_at if target.moving else now
    before = [s for s in target.siblings if s <= ref]
    after = [s for s in target.siblings if s > ref]
    first = to_local(now + notice()).date()
    if before:
        first = max(first, to_local(max(before)).date() + minimum)
    if (
        screening is not None
        and screening.outcome == ScreeningResult.Outcome.DEFER
        and not screening.defer_overridden
    ):
        first = max(first, screening.defer_until)
    last = clinic_today() + timedelta(days=settings.BOOKING_HORIZON_DAYS - 1)
    if after:
        last = min(last, to_local(min(after)).date() - minimum)
    return (first, last) if first <= last else None


def slots(
    target: NextSession, *, screening: ScreeningResult | None, day_from: date | None = None
) -> Slots:
    """A page of free starts (`PAGE_DAYS` days from `day_from`, or the window's first day)
    for the target, each keeping the spacing; the session's own room when it is free.
    A fixed number of queries: the working hours, what is taken (`availability.taken`) and
    the patient's sessions in other courses."""
    span = window(target, screening) if target.course.practitioner.active else None
    if span is None:
        return Slots(None, None, day_from or clinic_today(), [], None, None)
    first, last = span
    start = min(max(day_from or first, first), last)
    end = min(start + timedelta(days=PAGE_DAYS - 1), last)
    course = target.course
    tz = clinic_zone()
    window_start, window_end = selectors.local_day_bounds(start, end)
    inputs = selectors.planner_inputs(
        practitioner=course.practitioner,
        start=window_start,
        end=window_end,
        exclude_sessions=(target.session.pk,) if target.moving else (),
    )
    minutes = (
        int((target.session.ends_at - target.session.starts_at).total_seconds() // 60)
        if target.moving
        else course.protocol.session_minutes
    )
    found = inputs.free_starts(
        tz=tz,
        day_from=start,
        day_to=end,
        minutes=minutes,
        step_minutes=STEP_MINUTES,
        not_before=timezone.now() + notice(),
    )
    others = spacing.other_sessions(course)
    own_room = target.session.room_id if target.moving else None
    by_day: dict[date, list[Choice]] = {}
    for slot in found:
        if target.moving and slot.starts_at == target.session.starts_at:
            continue
        too_close, short = spacing.spacing_across_courses(course, [slot.starts_at], others)
        if too_close or short:
            continue  # a shorter interval than usual is for staff to confirm, not online
        room_id = slot.in_room(own_room, inputs.rooms).room_id if own_room else slot.room_id
        by_day.setdefault(to_local(slot.starts_at).date(), []).append(
            Choice(starts_at=slot.starts_at, room_id=room_id)
        )
    days = [
        Day(day=d, label=local_format(d, "l j F"), choices=choices)
        for d, choices in sorted(by_day.items())
    ]
    earlier = max(first, start - timedelta(days=PAGE_DAYS)) if start > first else None
    later = end + timedelta(days=1) if end < last else None
    return Slots(first, last, start, days, earlier, later)


# --- Booking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booked:
    """What a booking did: `session` booked or moved, or `change` a request for staff."""

    session: Session | None = None
    change: SessionChangeRequest | None = None


def _chosen(target: NextSession, starts_at: datetime, screening) -> Choice:
    """The offered slot at `starts_at`, read afresh: gone since the page was shown, it was
    just taken (or never offered): a 409 in plain words."""
    page = slots(target, screening=screening, day_from=to_local(starts_at).date())
    for day in page.days:
        for choice in day.choices:
            if choice.starts_at == starts_at:
                return choice
    raise Conflict(JUST_TAKEN, about="starts_at")


@transaction.atomic
def next_session_book(
    *,
    patient: Patient,
    target: NextSession,
    starts_at: datetime,
    by: User,
    request: HttpRequest | None = None,
) -> Booked:
    """Book (or move) the patient's next session at `starts_at`, one of the offered slots.

    The same services as staff booking, so the same locks, checks, constraints, audit rows
    and messages; all or nothing. A slot someone else took meanwhile is a 409 saying so
    (`JUST_TAKEN`), and nothing changes. A move of a session that starts within the notice
    period becomes a change request for the front desk, naming the time chosen.
    """
    if not books_next_session():
        raise Forbidden("Booking online is not available. Please call the clinic.")
    if target.course.patient_id != patient.pk:
        raise Forbidden("This is not your session.")
    verdict = patient_clearance(patient=patient, areas=target.course.areas)
    if not verdict:
        raise Conflict(f"{explain(verdict).says} {explain(verdict).fix}")
    choice = _chosen(target, starts_at, verdict.screening)
    if target.within_notice:
        change = portal_services.change_request_create(
            session=target.session,
            kind=SessionChangeRequest.Kind.MOVE,
            note=f"Asked in the portal to move it to {local_format(starts_at, 'l j F Y H:i')}.",
            by=by,
            request=request,
        )
        return Booked(change=change)
    room = Room.objects.get(pk=choice.room_id)
    try:
        with transaction.atomic():
            if target.moving:
                session = scheduling_services.session_reschedule(
                    session=target.session, starts_at=starts_at, room=room, by=by, request=request
                )
            else:
                session = repair.course_add_session(
                    course=target.course,
                    slot=scheduling_services.SlotRequest(starts_at=starts_at, room=room),
                    by=by,
                    request=request,
                )
    except Conflict as exc:
        # The time was free and kept the spacing a moment ago (`_chosen`): what refuses it
        # now under the service's lock (a clash, no device free, a session placed near it)
        # was booked meanwhile.
        raise Conflict(JUST_TAKEN, about="starts_at") from exc
    except IntegrityError as exc:  # the exclusion constraints caught a race
        raise Conflict(JUST_TAKEN, about="starts_at") from exc
    if target.moving:
        _close_asked_to_move(target.session, by=by, request=request)
    return Booked(session=session)


def _close_asked_to_move(session: Session, *, by: User, request: HttpRequest | None) -> None:
    """The patient moved the session themselves: their open request to move it is done, so
    the front desk is not left to act on it."""
    for change in SessionChangeRequest.objects.select_for_update().filter(
        session=session,
        kind=SessionChangeRequest.Kind.MOVE,
        status=SessionChangeRequest.Status.OPEN,
    ):
        change.status = SessionChangeRequest.Status.DONE
        change.handled_at = timezone.now()
        change.handled_by = by
        change.staff_note = "The patient moved it in the portal."
        change.save(update_fields=["status", "handled_at", "handled_by", "staff_note"])
        audit.record(
            actor=by,
            action=Action.UPDATE,
            obj=change,
            request=request,
            detail={"to": change.status},
        )


# --- Asking for a review or a new course (PORTAL_BOOKING=full) ----------------------------


def online_protocols():
    """The current protocols a patient may ask for online (`PORTAL_BOOKING_INDICATIONS`)."""
    return (
        Protocol.objects.current()
        .filter(indication__in=settings.PORTAL_BOOKING_INDICATIONS)
        .order_by("name")
    )


def open_requests(patient: Patient) -> list[BookingRequest]:
    return list(
        BookingRequest.objects.filter(
            patient=patient, status=BookingRequest.Status.REQUESTED
        ).select_related("protocol")
    )


@transaction.atomic
def booking_request_create(
    *,
    patient: Patient,
    kind: str,
    by: User,
    when_suits: str = "",
    protocol: Protocol | None = None,
    areas=None,
    answers=None,
    request: HttpRequest | None = None,
) -> BookingRequest:
    """The patient asks for a review or a new course; it opens as `requested` for a
    practitioner to confirm. A new course is of a protocol allowed online and comes with a
    fresh full intake taken here (every question answered, clinical reference §1.2: stable
    history is re-confirmed at the start of each series), screened at once."""
    if not takes_requests():
        raise Forbidden("Asking for a new course online is not available. Please call us.")
    patient_services.require_open(patient)
    errors: dict[str, list[str]] = {}
    if kind not in BookingRequest.Kind.values:
        errors["kind"] = ["Choose a review or a new course."]
    when_suits = (when_suits or "").strip()
    if len(when_suits) > WHEN_SUITS_MAX:
        errors["when_suits"] = [f"Keep it under {WHEN_SUITS_MAX} characters."]
    chosen: list[str] = []
    if kind == BookingRequest.Kind.NEW_COURSE:
        if protocol is None or not online_protocols().filter(pk=protocol.pk).exists():
            errors["protocol"] = ["Choose one of the treatments offered online."]
        try:
            chosen = vocabulary.clean_areas(areas)
        except vocabulary.AnswersInvalid as exc:
            errors.update(exc.errors)
    if errors:
        raise Invalid("Please check your request.", fields=errors)
    if BookingRequest.objects.filter(
        patient=patient, kind=kind, status=BookingRequest.Status.REQUESTED
    ).exists():
        raise Conflict("You have already asked for this; a practitioner will be in touch.")
    submission = None
    if kind == BookingRequest.Kind.NEW_COURSE:
        submission = patient_services.intake_submit(
            patient=patient,
            answers=answers,
            areas=chosen,
            by=by,
            kind=IntakeSubmission.Kind.INTAKE,
            request=request,
        )
    try:
        with transaction.atomic():
            made = BookingRequest.objects.create(
                patient=patient,
                kind=kind,
                protocol=protocol if kind == BookingRequest.Kind.NEW_COURSE else None,
                areas=chosen,
                intake=submission,
                when_suits=when_suits,
            )
    except IntegrityError as exc:
        raise Conflict("You have already asked for this.") from exc
    audit.record(actor=by, action=Action.CREATE, obj=made, request=request, detail={"kind": kind})
    return made


@transaction.atomic
def booking_request_handle(
    *,
    booking_request: BookingRequest,
    outcome: str,
    note: str,
    by: User,
    request: HttpRequest | None = None,
) -> BookingRequest:
    """A practitioner confirms a patient's request (then plans and books as usual) or
    declines it, saying why."""
    if not by.has_role(Role.PRACTITIONER):
        raise Forbidden("Only a practitioner can confirm or decline a request.")
    made = BookingRequest.objects.select_for_update().get(pk=booking_request.pk)
    if made.status != BookingRequest.Status.REQUESTED:
        raise Conflict("This request has already been handled.")
    note = (note or "").strip()[:2000]
    if outcome == "confirm":
        made.status = BookingRequest.Status.CONFIRMED
    elif outcome == "decline":
        portal_services.require_decline_note(note)
        made.status = BookingRequest.Status.DECLINED
    else:
        raise Invalid("Unknown outcome.", fields={"outcome": ["Confirm or decline."]})
    portal_services.mark_handled(made, note=note, by=by, request=request)
    return made


def pre_session_link(patient: Patient) -> Session | None:
    """The session whose pre-session questions are open now, for an "expired" refusal."""
    session = pre_session_check.next_booked_session(patient)
    if session is not None and pre_session_check.pre_session_is_open(session, clinic_today()):
        return session
    return None
