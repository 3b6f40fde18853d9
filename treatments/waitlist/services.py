"""Workflows of the waitlist (issue 15 items 2-3). Views, the API, the sweep and tests call
these; each is keyword-only and atomic and writes its own audit rows.

A cancelled session frees its time (`slot_free`), and so does a moved one
(`slot_free_moved`), from scheduling's signals, in the same transaction. The beat sweep
(`tasks.sweep_waitlist`, every minute) advances each open slot (`slot_advance`): a time
booked meanwhile by other means is closed; offers that ran out expire, and when none is left
in flight the next few candidates (`selectors.candidates`, ranked) get an offer each, by the
outbox (one way to send). The first to accept (`offer_accept`) gets the session, booked by the
same service staff use (`repair.course_add_session`) while the slot's row is locked, so
twenty patients accepting in the same second make one session and nineteen "just taken".

The offer's window (WAITLIST_OFFER_MINUTES) never runs while an SMS may not be sent: it
opens outside SMS_QUIET_HOURS and must close before they begin, else it opens when they end
(`offer_window`). E-mail offers keep the same window, so every patient waiting has the
same chance whatever their channel.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.utils import timezone

from clinic import audit
from clinic.clock import (
    clinic_today,
    clinic_zone,
    local_format,
    localize,
    outside_booking_window,
    outside_date_window,
    to_local,
)
from clinic.errors import Conflict, Invalid, ServiceError
from clinic.models import User
from patients import services as patient_services
from treatments.messaging import outbox
from treatments.messaging.models import Message
from treatments.scheduling import repair
from treatments.scheduling import selectors as scheduling_selectors
from treatments.scheduling.models import Course, Practitioner, Room, Session
from treatments.scheduling.services import SlotRequest
from treatments.scheduling.signals import Span

from . import selectors
from .models import FreedSlot, SlotOffer, WaitlistEntry

Action = audit.Action
# A default window ends this many days after the course's next session is due.
WINDOW_SLACK_DAYS = 14
TAKEN = "This time has just been taken by another patient."
EXPIRED = "This offer has expired."
BOOKED_MEANWHILE = "Booked meanwhile outside the waitlist: a session now takes this time."
BOOKED_ELSEWHERE = "The next session was booked outside the waitlist."
ARCHIVED = "The patient's record was archived."


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- The offer's window -------------------------------------------------------------------


def offer_window(now: datetime) -> tuple[datetime, datetime]:
    """When an offer made at `now` opens and closes: WAITLIST_OFFER_MINUTES long, wholly
    outside SMS quiet hours (an SMS patient could not hear of it in them, and would lose the
    slot asleep). Opened in quiet hours it waits for their end; one that would run into the
    next quiet hours waits for their end too."""
    tz = clinic_zone()
    length = timedelta(minutes=settings.WAITLIST_OFFER_MINUTES)
    quiet_starts = time.fromisoformat(settings.SMS_QUIET_HOURS[0])
    opens = outbox.after_quiet_hours(now, tz)
    for _ in range(3):
        local = to_local(opens)
        quiet = localize(datetime.combine(local.date(), quiet_starts), tz)
        if quiet <= opens:
            quiet = localize(datetime.combine(local.date() + timedelta(days=1), quiet_starts), tz)
        if opens + length <= quiet:
            return opens, opens + length
        opens = outbox.after_quiet_hours(quiet, tz)
    raise ImproperlyConfigured("WAITLIST_OFFER_MINUTES is longer than the hours SMS may be sent.")


# --- Entries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    earliest: date
    latest: date
    due_on: date


def course_window(course: Course, today: date | None = None) -> Window:
    """The dates the course's next session may take by its spacing: from the protocol's
    minimum interval after the last session held or booked before today, to the minimum
    interval before the next one booked (both neighbours, clinical reference §2.1); when no
    gap is left before the next, after the course's last session. Due at the course's own
    interval after the previous session."""
    today = today or clinic_today()
    minimum = timedelta(days=course.protocol.min_interval_days)
    usual = timedelta(days=course.interval_days)
    days = sorted(
        to_local(s).date()
        for s in course.sessions.filter(
            status__in=[*Session.ACTIVE, Session.Status.COMPLETED]
        ).values_list("starts_at", flat=True)
    )
    tomorrow = today + timedelta(days=1)
    before = [d for d in days if d <= today]
    after = [d for d in days if d > today]
    previous = before[-1] if before else None
    earliest = max(tomorrow, previous + minimum) if previous else tomorrow
    due = max(previous + usual, earliest) if previous else earliest
    if after and after[0] - minimum >= earliest:
        return Window(earliest, after[0] - minimum, min(due, after[0] - minimum))
    if after:
        earliest = max(tomorrow, after[-1] + minimum)
        due = max(after[-1] + usual, earliest)
    return Window(earliest, due + timedelta(days=WINDOW_SLACK_DAYS), due)


def _check_entry(
    *,
    course: Course,
    earliest: date,
    latest: date,
    weekdays: Sequence[int],
    not_before: time | None,
    not_after: time | None,
    practitioner: Practitioner | None,
) -> list[int]:
    errors: dict[str, list[str]] = {}
    today = clinic_today()
    # Dates are bounded before any arithmetic: from tomorrow to the booking horizon.
    for name, day in (("earliest", earliest), ("latest", latest)):
        if problem := outside_date_window(day):
            errors[name] = [problem]
    if errors:
        raise Invalid("The waitlist entry needs changes.", fields=errors)
    if earliest <= today:
        errors["earliest"] = ["From tomorrow at the soonest."]
    if latest < earliest:
        errors["latest"] = ["On or after the first day."]
    days = sorted(set(weekdays))
    if any(not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in days):
        errors["weekdays"] = ["Weekdays are 0 (Monday) to 6 (Sunday)."]
    if not_before and not_after and not_before >= not_after:
        errors["not_after"] = ["Later than the earliest start."]
    if practitioner is not None and not practitioner.active:
        errors["practitioner"] = ["This practitioner is not active."]
    if errors:
        raise Invalid("The waitlist entry needs changes.", fields=errors)
    return days


def _check_within(window: Window, *, earliest: date, latest: date) -> None:
    """The dates a patient chooses lie inside the course's window: its spacing (clinical
    reference §2.1) is not theirs to shorten, nor the wait to stretch past it."""
    errors: dict[str, list[str]] = {}
    first, last = (local_format(d, "l j F") for d in (window.earliest, window.latest))
    if not window.earliest <= earliest <= window.latest:
        errors["earliest"] = [f"Choose a day from {first} to {last}."]
    if not window.earliest <= latest <= window.latest:
        errors["latest"] = [f"Choose a day from {first} to {last}."]
    if errors:
        raise Invalid("Please check the dates.", fields=errors)


@transaction.atomic
def entry_add(
    *,
    course: Course,
    by: User,
    earliest: date | None = None,
    latest: date | None = None,
    weekdays: Sequence[int] = (),
    not_before: time | None = None,
    not_after: time | None = None,
    practitioner: Practitioner | None = None,
    within_window: bool = False,
    request: HttpRequest | None = None,
) -> WaitlistEntry:
    """Put the patient on the waitlist for the course's next session. The window defaults
    to the course's spacing (`course_window`); staff may widen it, while a patient joining in
    the portal (`within_window`) may only narrow it. Refused (409) unless the course is
    booked and has a session left to book, or when the course already has a waiting entry."""
    course = (
        Course.objects.select_for_update(of=("self",))
        .select_related("patient", "protocol")
        .get(pk=course.pk)
    )
    patient_services.require_open(course.patient)
    if course.status != Course.Status.BOOKED:
        raise Conflict(
            f"Only a booked course can wait for a session; this one is "
            f"{course.get_status_display().lower()}."
        )
    if not scheduling_selectors.course_progress(course).open:
        raise Conflict(
            "Every planned session of this course is booked, done or dropped: there is no "
            "session to wait for. Cancel the one to replace first, or add a session by hand."
        )
    if WaitlistEntry.objects.filter(course=course, status=WaitlistEntry.Status.WAITING).exists():
        raise Conflict("This course is already on the waitlist.")
    window = course_window(course)
    earliest = earliest or window.earliest
    latest = latest or max(window.latest, earliest)
    if within_window:
        _check_within(window, earliest=earliest, latest=latest)
    days = _check_entry(
        course=course,
        earliest=earliest,
        latest=latest,
        weekdays=weekdays,
        not_before=not_before,
        not_after=not_after,
        practitioner=practitioner,
    )
    entry = WaitlistEntry.objects.create(
        course=course,
        patient=course.patient,
        practitioner=practitioner,
        earliest=earliest,
        latest=latest,
        due_on=min(max(window.due_on, earliest), latest),
        weekdays=days,
        not_before=not_before,
        not_after=not_after,
        created_by=by,
    )
    audit.record(actor=by, action=Action.CREATE, obj=entry, request=request)
    return entry


def _withdraw(offers, status: str, reason: str, now: datetime) -> int:
    """End offers still in flight, and cancel their messages not yet sent."""
    offers = list(offers.filter(status=SlotOffer.Status.OFFERED))
    if not offers:
        return 0
    SlotOffer.objects.filter(pk__in=[o.pk for o in offers]).update(
        status=status, outcome=reason, answered_at=now if status == SlotOffer.Status.TAKEN else None
    )
    outbox.cancel_links([str(o.public_id) for o in offers], reason)
    return len(offers)


@transaction.atomic
def entry_remove(
    *, entry: WaitlistEntry, reason: str, by: User, request: HttpRequest | None = None
) -> WaitlistEntry:
    """Take a patient off the waitlist, with the reason; an offer in flight is withdrawn."""
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("A reason is required.", fields={"reason": ["Say why."]})
    if entry.status != WaitlistEntry.Status.WAITING:
        raise Conflict(f"This entry is {entry.get_status_display().lower()} already.")
    _end(entry, reason, "Removed from the waitlist.", timezone.now(), by=by)
    audit.record(
        actor=by, action=Action.UPDATE, obj=entry, request=request, detail={"to": "removed"}
    )
    return entry


def _end(
    entry: WaitlistEntry, reason: str, offer_outcome: str, now: datetime, by: User | None = None
) -> None:
    """Take a locked, waiting entry off the list: an offer in flight is withdrawn, and its
    slot looks for someone else at the next sweep. The caller audits."""
    entry.status = WaitlistEntry.Status.REMOVED
    entry.removed_at, entry.removed_by, entry.remove_reason = now, by, reason[:300]
    entry.save(update_fields=["status", "removed_at", "removed_by", "remove_reason"])
    if _withdraw(entry.offers.all(), SlotOffer.Status.WITHDRAWN, offer_outcome, now):
        FreedSlot.objects.filter(
            status=FreedSlot.Status.OPEN, offers__entry=entry, offers__status="withdrawn"
        ).update(next_check_at=now)


def course_closed(*, course: Course, reason: str) -> int:
    """A course cancelled: its waiting entry leaves the list (offers in flight withdrawn).
    Called inside the cancellation's transaction; the cancelling service audits it."""
    now = timezone.now()
    entries = list(
        WaitlistEntry.objects.select_for_update().filter(
            course=course, status=WaitlistEntry.Status.WAITING
        )
    )
    for entry in entries:
        _end(entry, reason, reason, now)
    return len(entries)


@transaction.atomic
def entries_overtaken(now: datetime | None = None) -> int:
    """End the waiting entries left with nothing to wait for: their course had a session
    booked since they joined by other means than an offer (at the front desk, on the
    portal's times page), or the patient's record was archived (by any path). Offers in
    flight are withdrawn. The sweep calls this every minute, so booking and archiving pay no
    query for it; an entry another sweep holds is left to it. Each ended entry has an audit
    row (no actor: the app did it)."""
    now = now or timezone.now()
    booked = Session.objects.filter(
        course=OuterRef("course"),
        status__in=[*Session.ACTIVE, Session.Status.COMPLETED],
        created_at__gt=OuterRef("created_at"),
    )
    entries = list(
        WaitlistEntry.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(status=WaitlistEntry.Status.WAITING)
        .annotate(was_booked=Exists(booked))
        .filter(Q(was_booked=True) | Q(patient__archived_at__isnull=False))
    )
    for entry in entries:
        why, reason = ("booked", BOOKED_ELSEWHERE) if entry.was_booked else ("archived", ARCHIVED)
        _end(entry, reason, reason, now)
        audit.record(
            actor=None, action=Action.UPDATE, obj=entry, detail={"to": "removed", "why": why}
        )
    return len(entries)


# --- Freed slots --------------------------------------------------------------------------


def _free(span: Session | Span, *, freed_by: Session, now: datetime) -> FreedSlot:
    """A time (a session's, or the span a moved one left) open for the waitlist from now."""
    return FreedSlot.objects.create(
        practitioner_id=span.practitioner_id,
        room_id=span.room_id,
        device_id=span.device_id,
        starts_at=span.starts_at,
        ends_at=span.ends_at,
        freed_by=freed_by,
        next_check_at=now,
    )


def slot_free(*, session: Session, now: datetime | None = None) -> FreedSlot | None:
    """A session still to come was cancelled: its time is free; the next sweep looks for
    someone on the waitlist to take it. Called inside the cancellation's transaction."""
    now = now or timezone.now()
    if session.starts_at <= now:
        return None
    return _free(session, freed_by=session, now=now)


def slot_free_moved(
    *, session: Session, previous: Span, now: datetime | None = None
) -> FreedSlot | None:
    """A session moved: the time it left is free, like a cancelled session's, while it is
    still to come. Not when the session's new time with the same practitioner overlaps the
    old one: a nudge of half an hour leaves no whole session's time behind. Called inside
    the move's transaction, so a move refused (and rolled back) frees nothing."""
    now = now or timezone.now()
    if previous.starts_at <= now:
        return None
    if (
        session.practitioner_id == previous.practitioner_id
        and session.starts_at < previous.ends_at
        and previous.starts_at < session.ends_at
    ):
        return None
    return _free(previous, freed_by=session, now=now)


@transaction.atomic
def slot_open(
    *,
    practitioner: Practitioner,
    room: Room,
    starts_at: datetime,
    minutes: int,
    by: User,
    request: HttpRequest | None = None,
) -> FreedSlot:
    """A time staff know is free (a late gap, a practitioner back early) offered to the
    waitlist like a cancelled session's: the booking checks decide who may take it."""
    errors = {}
    if starts_at <= timezone.now():
        errors["starts_at"] = ["In the past."]
    elif too_far := outside_booking_window(starts_at):
        errors["starts_at"] = [too_far]
    if not 15 <= minutes <= 480:
        errors["minutes"] = ["Between 15 and 480 minutes."]
    if not room.active:
        errors["room"] = ["The room is not active."]
    if not practitioner.active:
        errors["practitioner"] = ["This practitioner is not active."]
    if errors:
        raise Invalid("The free time needs changes.", fields=errors)
    slot = FreedSlot.objects.create(
        practitioner=practitioner,
        room=room,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        next_check_at=timezone.now(),
    )
    audit.record(actor=by, action=Action.CREATE, obj=slot, request=request)
    return slot


def _close(slot: FreedSlot, status: str, outcome: str, now: datetime) -> FreedSlot:
    slot.status, slot.outcome, slot.closed_at, slot.next_check_at = status, outcome, now, None
    slot.save(update_fields=["status", "outcome", "closed_at", "next_check_at"])
    return slot


@transaction.atomic
def slot_close(*, slot: FreedSlot, by: User, request: HttpRequest | None = None) -> FreedSlot:
    """Staff stop offering a slot; offers in flight are withdrawn."""
    slot = FreedSlot.objects.select_for_update().get(pk=slot.pk)
    if slot.status not in (FreedSlot.Status.OPEN, FreedSlot.Status.UNFILLED):
        raise Conflict(f"This slot is {slot.get_status_display().lower()} already.")
    now = timezone.now()
    _withdraw(slot.offers.all(), SlotOffer.Status.WITHDRAWN, "Withdrawn by the clinic.", now)
    _close(slot, FreedSlot.Status.CLOSED, f"Closed by {by.get_full_name() or by.username}.", now)
    audit.record(actor=by, action=Action.UPDATE, obj=slot, request=request, detail={"to": "closed"})
    return slot


def _offer(
    slot: FreedSlot,
    candidate: selectors.Candidate,
    window: tuple[datetime, datetime],
    *,
    by: User | None,
    request: HttpRequest | None = None,
) -> SlotOffer:
    """One offer and its message, due when the offer opens (outside quiet hours)."""
    opens, closes = window
    entry = candidate.entry
    offer = SlotOffer.objects.create(
        slot=slot, entry=entry, patient=entry.patient, opens_at=opens, expires_at=closes, made_by=by
    )
    Message.objects.create(
        patient=entry.patient,
        kind=Message.Kind.WAITLIST_OFFER,
        channel=candidate.channel,
        ref=str(offer.public_id),
        due_at=opens,
    )
    audit.record(
        actor=by,
        action=Action.CREATE,
        obj=offer,
        request=request,
        detail={"slot": str(slot.public_id), **({} if by else {"automatic": True})},
    )
    return offer


def _lock_slot(slot_id: int, *, skip_locked: bool = False) -> FreedSlot | None:
    slots = FreedSlot.objects.select_related("room", "device", "practitioner")
    if skip_locked and connection.features.has_select_for_update_skip_locked:
        slots = slots.select_for_update(skip_locked=True, of=("self",))
    else:
        slots = slots.select_for_update(of=("self",))
    return slots.filter(pk=slot_id).first()


def _booked_over(slot: FreedSlot) -> bool:
    """Whether an active session of the slot's practitioner now takes (part of) its time:
    booked by hand at the front desk, in the portal, or another session moved onto it. Such
    a slot is no longer free; it is closed, not left to end as "no one found"."""
    return Session.objects.filter(
        practitioner_id=slot.practitioner_id,
        status__in=Session.ACTIVE,
        starts_at__lt=slot.ends_at,
        ends_at__gt=slot.starts_at,
    ).exists()


@transaction.atomic
def slot_advance(*, slot_id: int, now: datetime | None = None) -> FreedSlot | None:
    """Move an open slot on (the sweep calls this when its `next_check_at` comes): a time a
    session was booked over meanwhile is `closed` ("Booked meanwhile"); offers past their
    time expire; while one is still in flight nothing else happens; then the next
    candidates (WAITLIST_OFFER_BATCH of them, best first) are offered it, or, when no one
    can take it or there is no time left to offer it, it is `unfilled` and the dashboard
    shows it. A slot another sweep is working on is skipped (None)."""
    now = now or timezone.now()
    slot = _lock_slot(slot_id, skip_locked=True)
    if slot is None or slot.status != FreedSlot.Status.OPEN:
        return slot
    if _booked_over(slot):
        _withdraw(slot.offers.all(), SlotOffer.Status.WITHDRAWN, BOOKED_MEANWHILE, now)
        return _close(slot, FreedSlot.Status.CLOSED, BOOKED_MEANWHILE, now)
    _withdraw(
        slot.offers.filter(expires_at__lte=now),
        SlotOffer.Status.EXPIRED,
        "No answer within the offer's time.",
        now,
    )
    live = slot.offers.filter(status=SlotOffer.Status.OFFERED).order_by("expires_at").first()
    if live is not None:
        slot.next_check_at = live.expires_at
        slot.save(update_fields=["next_check_at"])
        return slot
    window = offer_window(now)
    if window[1] > slot.starts_at:
        return _close(slot, FreedSlot.Status.UNFILLED, "Too close to its start to offer.", now)
    finding = selectors.candidates(slot=slot, now=now, wanted=settings.WAITLIST_OFFER_BATCH)
    chosen = finding.candidates[: settings.WAITLIST_OFFER_BATCH]
    if not chosen:
        tried = slot.offers.exists()
        outcome = (
            "No one on the waitlist took it." if tried else "No one on the waitlist can take it."
        )
        return _close(slot, FreedSlot.Status.UNFILLED, outcome, now)
    for candidate in chosen:
        _offer(slot, candidate, window, by=None)
    slot.next_check_at = window[1]
    slot.save(update_fields=["next_check_at"])
    return slot


def due_slots(now: datetime, limit: int = 200) -> list[int]:
    """The open slots whose next look is due, soonest first (ids: the sweep's work)."""
    return list(
        FreedSlot.objects.filter(status=FreedSlot.Status.OPEN, next_check_at__lte=now)
        .order_by("next_check_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def offer_make(
    *,
    slot: FreedSlot,
    entry: WaitlistEntry,
    by: User,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> SlotOffer:
    """Staff offer a slot to one waiting patient by hand, out of rank order: the same
    checks as an automatic offer (a 409 with the reason when it is not feasible). A slot
    that found no one is opened again."""
    now = now or timezone.now()
    slot = _lock_slot(slot.pk)
    if slot.status not in (FreedSlot.Status.OPEN, FreedSlot.Status.UNFILLED):
        raise Conflict(f"This slot is {slot.get_status_display().lower()}.")
    if entry.status != WaitlistEntry.Status.WAITING:
        raise Conflict(f"This waitlist entry is {entry.get_status_display().lower()}.")
    if slot.offers.filter(entry=entry).exists():
        raise Conflict("This patient has already been offered this slot.")
    if SlotOffer.objects.filter(entry=entry, status=SlotOffer.Status.OFFERED).exists():
        raise Conflict("This patient has another offer open: wait for its answer.")
    window = offer_window(now)
    if window[1] > slot.starts_at:
        raise Conflict("Too close to its start: the offer would still be open when it begins.")
    finding = selectors.candidates(
        slot=slot,
        now=now,
        entries=WaitlistEntry.objects.filter(pk=entry.pk).select_related(
            "course__protocol", "patient"
        ),
    )
    if not finding.candidates:
        raise Conflict(finding.left_out.get(entry.pk, "This slot does not suit this patient."))
    offer = _offer(slot, finding.candidates[0], window, by=by, request=request)
    slot.status, slot.outcome, slot.closed_at = FreedSlot.Status.OPEN, "", None
    slot.next_check_at = min(window[1], slot.next_check_at or window[1])
    slot.save(update_fields=["status", "outcome", "closed_at", "next_check_at"])
    return offer


# --- The patient's link -------------------------------------------------------------------


def offer_mint(ref: str) -> str | None:
    """At send time: a fresh token for the offer's link (only its hash is kept), or None
    when the offer is no longer open."""
    token = secrets.token_urlsafe(32)
    minted = SlotOffer.objects.filter(
        public_id=ref, status=SlotOffer.Status.OFFERED, expires_at__gt=timezone.now()
    ).update(token_hash=hash_token(token))
    return token if minted else None


def offer_for_token(token: str) -> SlotOffer | None:
    """The offer a link's token opens (any status), or None."""
    if not token or len(token) > 100:
        return None
    return (
        SlotOffer.objects.select_related(
            "slot__practitioner", "slot__room", "patient", "entry__course__protocol"
        )
        .filter(token_hash=hash_token(token))
        .first()
    )


@dataclass(frozen=True)
class Answer:
    """What an accept came to: `offer.status` (accepted, taken, expired, refused...), the
    session booked, and the sentence the patient reads."""

    offer: SlotOffer
    session: Session | None
    message: str


@transaction.atomic
def offer_accept(
    *, token: str, request: HttpRequest | None = None, now: datetime | None = None
) -> Answer:
    """The patient takes the offered time from the link in their message.

    The slot's row is locked first, so accepts of one slot run one at a time: the first
    books the session through `repair.course_add_session` (every booking check again,
    under its own locks; the exclusion constraints behind them) and the slot is filled;
    each later one is told the time has just been taken, and stays on the waitlist. A
    booking the checks refuse now (the patient no longer cleared, the time taken by hand)
    is `refused`, and the slot goes on to the next candidates."""
    now = now or timezone.now()
    found = offer_for_token(token)
    if found is None:
        raise Invalid("This link is not valid. Please use the link in your latest message.")
    slot = _lock_slot(found.slot_id)
    offer = (
        SlotOffer.objects.select_for_update(of=("self",))
        .select_related("entry__course", "patient__portal_user")
        .get(pk=found.pk)
    )
    if offer.status != SlotOffer.Status.OFFERED:
        if offer.status == SlotOffer.Status.ACCEPTED:
            return Answer(offer, slot.session, "You have already taken this time.")
        return Answer(offer, None, _closed_reason(offer))
    if slot.status == FreedSlot.Status.FILLED:
        _answer(offer, SlotOffer.Status.TAKEN, TAKEN, now)
        return Answer(offer, None, TAKEN)
    if now >= offer.expires_at or slot.status != FreedSlot.Status.OPEN:
        _answer(offer, SlotOffer.Status.EXPIRED, EXPIRED, now)
        return Answer(offer, None, EXPIRED)
    entry = offer.entry
    patient_user = offer.patient.portal_user
    try:
        with transaction.atomic():
            session = repair.course_add_session(
                course=entry.course,
                slot=SlotRequest(starts_at=slot.starts_at, room=slot.room, device=slot.device),
                by=patient_user,
                practitioner=slot.practitioner,
                request=request,
            )
    except (ServiceError, IntegrityError) as exc:
        # IntegrityError: the exclusion constraints caught a booking made meanwhile by a
        # path that does not lock the slot's row (staff booking the same time by hand).
        reason = exc.as_text() if isinstance(exc, ServiceError) else "That time is taken."
        _answer(offer, SlotOffer.Status.REFUSED, reason[:300], now)
        slot.next_check_at = now
        slot.save(update_fields=["next_check_at"])
        return Answer(
            offer,
            None,
            "We could not book this time for you after all. Please call us and we will find "
            "you another.",
        )
    _answer(offer, SlotOffer.Status.ACCEPTED, "Booked.", now)
    _withdraw(slot.offers.exclude(pk=offer.pk), SlotOffer.Status.TAKEN, TAKEN, now)
    slot.status, slot.session, slot.closed_at, slot.next_check_at = (
        FreedSlot.Status.FILLED,
        session,
        now,
        None,
    )
    slot.outcome = "Taken from the waitlist."
    slot.save(update_fields=["status", "session", "closed_at", "next_check_at", "outcome"])
    entry.status, entry.session = WaitlistEntry.Status.BOOKED, session
    entry.save(update_fields=["status", "session"])
    audit.record(
        actor=patient_user,
        action=Action.UPDATE,
        obj=offer,
        request=request,
        detail={"to": "accepted", "session": str(session.public_id)},
    )
    return Answer(offer, session, "This time is yours.")


def _answer(offer: SlotOffer, status: str, outcome: str, now: datetime) -> None:
    offer.status, offer.outcome, offer.answered_at = status, outcome, now
    offer.save(update_fields=["status", "outcome", "answered_at"])


def _closed_reason(offer: SlotOffer) -> str:
    return {
        SlotOffer.Status.TAKEN: TAKEN,
        SlotOffer.Status.EXPIRED: EXPIRED,
        SlotOffer.Status.WITHDRAWN: "The clinic has withdrawn this offer.",
        SlotOffer.Status.REFUSED: "We could not book this time for you. Please call us.",
    }.get(offer.status, EXPIRED)


def offer_unwanted(ref: str) -> str:
    """Why an offer's message must not go out any more ("" while the offer is open)."""
    offer = SlotOffer.objects.filter(public_id=ref).only("status", "expires_at").first()
    if offer is None:
        return "The offer no longer exists."
    if offer.status != SlotOffer.Status.OFFERED:
        return f"The offer is {offer.get_status_display().lower()}."
    if offer.expires_at <= timezone.now():
        return "The offer has expired."
    return ""
