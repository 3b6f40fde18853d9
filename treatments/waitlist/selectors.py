"""Reads of the waitlist: who could take a freed slot (`candidates`), and the lists staff see.

Feasibility is not a rule of this package's own: a candidate passes exactly the checks that
booking a replacement session runs (`treatments.scheduling.repair.course_add_session`), read
in bulk so that finding the candidates for a slot costs the same queries for one waiting
patient or two thousand (issue 15 item 4):

    1. the wishes of the waiting entries whose window and practitioner fit (plain rows,
       ranked: longest waiting, then the course's due date)
    2-3. the practitioner and their working hours, 4. what is taken around the slot
       (`availability.taken`)
    5. the best-ranked entries whose wishes fit (CHUNK of them), with course and patient
    6. the sessions of those patients (the course's neighbours, what is left of the course,
       and the spacing to their other courses on a shared area)
    7. the clearance rule for them all (`patients.selectors.clearances`, one query)

Booking the accepted offer runs `course_add_session` itself, under its locks, so a slot that
changed since the offer went out is refused there, never double-booked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet

from clinic.clock import clinic_zone, local_format, to_local
from clinic.errors import ServiceError
from patients import selectors as patient_selectors
from patients.models import Patient
from treatments.messaging import outbox
from treatments.scheduling import availability, planner
from treatments.scheduling.models import Course, Device, Practitioner, Session
from treatments.scheduling.selectors import OtherSession, Progress
from treatments.scheduling.services import _check_slot, _device_free, _free_device
from treatments.scheduling.spacing import spacing_across_courses

from .models import FreedSlot, SlotOffer, WaitlistEntry


@dataclass(frozen=True)
class Candidate:
    """A waiting entry for whom the slot is feasible, with the device booking would take
    (None when the clinic keeps no devices) and the channel its offer goes by."""

    entry: WaitlistEntry
    device_id: int | None
    channel: str


class Wish(NamedTuple):
    """What is asked of an entry before anything else is read for it."""

    pk: int
    weekdays: list
    not_before: time | None
    not_after: time | None
    course__protocol__session_minutes: int
    patient__preferred_channel: str
    patient__email: str
    patient__phone: str

    @property
    def contact(self) -> SimpleNamespace:
        """The patient's contact details, as `offer_channel` reads them."""
        return SimpleNamespace(
            preferred_channel=self.patient__preferred_channel,
            email=self.patient__email,
            phone=self.patient__phone,
        )


@dataclass(frozen=True)
class Finding:
    """The candidates in rank order, and why each other entry looked at was left out."""

    candidates: list[Candidate]
    left_out: dict[int, str]


def rank_key(entry: WaitlistEntry) -> tuple:
    """Longest waiting first, then the course's due date (issue 15 item 2)."""
    return (entry.created_at, entry.due_on, entry.pk)


def waiting_for(slot: FreedSlot, day: date) -> QuerySet[WaitlistEntry]:
    """Waiting entries whose window holds `day` and whose practitioner (if any) is the
    slot's, of booked courses, not yet offered this slot and with no other offer open."""
    return (
        WaitlistEntry.objects.filter(
            status=WaitlistEntry.Status.WAITING,
            earliest__lte=day,
            latest__gte=day,
            course__status=Course.Status.BOOKED,
        )
        .filter(Q(practitioner__isnull=True) | Q(practitioner_id=slot.practitioner_id))
        .exclude(Exists(SlotOffer.objects.filter(entry=OuterRef("pk"), slot_id=slot.pk)))
        .exclude(
            Exists(SlotOffer.objects.filter(entry=OuterRef("pk"), status=SlotOffer.Status.OFFERED))
        )
        .order_by("created_at", "due_on", "pk")
    )


# What `candidates` reads of an entry, its course, protocol and patient for the entries it
# judges (the protocol's depth ranges and the rest of the patient's record are not loaded).
CANDIDATE_FIELDS = (
    "public_id",
    "created_at",
    "due_on",
    "earliest",
    "latest",
    "weekdays",
    "not_before",
    "not_after",
    "status",
    "practitioner_id",
    "patient__first_name",
    "patient__email",
    "patient__phone",
    "patient__preferred_channel",
    "patient__archived_at",
    "course__patient_id",
    "course__practitioner_id",
    "course__areas",
    "course__planned_sessions",
    "course__interval_days",
    "course__status",
    "course__protocol__name",
    "course__protocol__session_minutes",
    "course__protocol__min_interval_days",
    "course__protocol__default_interval_days",
)


def offer_channel(patient: Patient | SimpleNamespace) -> str:
    """The channel an offer goes by: the preferred one when the record has its contact
    detail, else the other (an offer is a link the patient asked for, like a portal link:
    `outbox.skip_reason`), or "" when there is neither."""
    preferred = patient.preferred_channel
    for channel in sorted(("email", "sms"), key=lambda c: c != preferred):
        if outbox.contact_for(patient, channel):
            return channel
    return ""


def _prefers(entry: WaitlistEntry | Wish, start: datetime, end: datetime) -> str:
    local_start, local_end = to_local(start), to_local(end)
    if entry.weekdays and local_start.weekday() not in entry.weekdays:
        return "Not on a preferred day."
    if entry.not_before and local_start.time() < entry.not_before:
        return f"Starts before {entry.not_before:%H:%M}."
    if entry.not_after and (
        local_end.date() != local_start.date() or local_end.time() > entry.not_after
    ):
        return f"Ends after {entry.not_after:%H:%M}."
    return ""


def _sessions_of(patient_ids: set[int]) -> list[tuple]:
    return list(
        Session.objects.filter(patient_id__in=patient_ids)
        .order_by("starts_at", "pk")
        .values_list(
            "patient_id",
            "course_id",
            "status",
            "dropped_reason",
            "starts_at",
            "number",
            "course__protocol__name",
            "course__areas",
            "course__protocol__min_interval_days",
            "course__protocol__default_interval_days",
        )
    )


def _progress(course: Course, rows: list[tuple]) -> Progress:
    """`scheduling.selectors.course_progress`, counted from rows already read."""
    S = Session.Status
    mine = [r for r in rows if r[1] == course.pk]
    return Progress(
        planned=course.planned_sessions,
        done=sum(1 for r in mine if r[2] == S.COMPLETED),
        active=sum(1 for r in mine if r[2] in Session.ACTIVE),
        dropped=sum(1 for r in mine if r[2] in (S.CANCELLED, S.NO_SHOW) and r[3]),
    )


def _others(course: Course, rows: list[tuple]) -> list[OtherSession]:
    """`scheduling.selectors.patient_other_sessions`, from rows already read."""
    wanted = set(course.areas)
    found = []
    for _, course_id, status, _, starts_at, number, name, areas, min_days, usual in rows:
        if course_id == course.pk or status not in (*Session.ACTIVE, Session.Status.COMPLETED):
            continue
        shared = tuple(area for area in areas if area in wanted)
        if shared:
            found.append(OtherSession(starts_at, number, name, shared, min_days, usual))
    return found


def _slot_check(
    slot: FreedSlot,
    practitioner: Practitioner,
    minutes: int,
    taken: availability.Taken,
    devices: dict[int, Device],
) -> tuple[str, int | None]:
    """Booking's own checks of the time (`_check_slot`: hours, time off, room, clashes) and
    the device it would take, for a session of `minutes` at the slot's start."""
    start = slot.starts_at
    end = start + timedelta(minutes=minutes)
    device = devices.get(slot.device_id) if slot.device_id else None
    try:
        if device is not None and not _device_free(device, start, end, taken):
            device = None
        _check_slot(
            practitioner=practitioner,
            room=slot.room,
            device=device,
            start=start,
            end=end,
            field="starts_at",
            taken=taken,
        )
        device_id = device.pk if device is not None else _free_device(start, end, taken)
    except ServiceError as exc:
        return exc.as_text(), None
    return "", device_id


# Waiting patients whose sessions and clearance are read at a time: the best-ranked first,
# and the next ones only when these cannot take the slot.
CHUNK = 10


def candidates(
    *,
    slot: FreedSlot,
    now: datetime,
    entries: QuerySet[WaitlistEntry] | None = None,
    wanted: int | None = None,
) -> Finding:
    """The waiting patients for whom `slot` is feasible, best first (`rank_key`).

    Feasible means what booking the session would ask (`course_add_session`): the course
    still has a session to book; the time is at least the protocol's minimum interval from
    each of the course's sessions (both neighbours) and from the patient's other courses on
    a shared area, without the short-interval warning staff would have to confirm; the one
    clearance rule allows the patient on the course's areas that day; and the time is in the
    practitioner's working hours, outside their time off, with the room and a device free.
    Also the entry's own wishes (window, weekdays, times, practitioner) and a way to reach
    the patient. `entries` narrows the search (a manual offer asks about one entry).

    With `wanted`, the search stops once that many are found: the patients whose wishes fit
    are judged CHUNK at a time in rank order, so a slot costs seven queries whatever the
    list's length, and three more for each further CHUNK only when the best-ranked cannot
    take it. Without `wanted` every entry whose wishes fit is judged (one chunk)."""
    day = to_local(slot.starts_at).date()
    if entries is None:
        entries = waiting_for(slot, day)
    # The entries' wishes first, as plain rows: hundreds may wait on a day, and most of the
    # work is for the few best-ranked whose wishes fit.
    wishes = [Wish(*row) for row in entries.values_list(*Wish._fields)]
    left_out: dict[int, str] = {}
    if slot.starts_at <= now:
        return Finding([], {w.pk: "The slot has already started." for w in wishes})
    fitting = []
    for wish in wishes:
        end = slot.starts_at + timedelta(minutes=wish.course__protocol__session_minutes)
        reason = _prefers(wish, slot.starts_at, end)
        if not reason and not offer_channel(wish.contact):
            reason = "The record has no e-mail address or mobile number."
        if reason:
            left_out[wish.pk] = reason
        else:
            fitting.append(wish)
    if not fitting:
        return Finding([], left_out)
    practitioner = Practitioner.objects.prefetch_related("working_hours").get(
        pk=slot.practitioner_id
    )
    longest = max(wish.course__protocol__session_minutes for wish in fitting)
    taken = availability.taken(
        practitioner_id=practitioner.pk,
        spans=[(slot.starts_at, slot.starts_at + timedelta(minutes=longest))],
    )
    checks = _SlotChecks(slot, practitioner, taken)
    size = CHUNK if wanted else len(fitting)
    found: list[Candidate] = []
    for first in range(0, len(fitting), size):
        ids = [wish.pk for wish in fitting[first : first + size]]
        loaded = WaitlistEntry.objects.select_related("course__protocol", "patient").only(
            *CANDIDATE_FIELDS
        )
        by_id = {entry.pk: entry for entry in loaded.filter(pk__in=ids)}
        chunk = [by_id[pk] for pk in ids if pk in by_id]
        found += _feasible(chunk, slot, day, checks, left_out)
        if wanted and len(found) >= wanted:
            break
    found.sort(key=lambda c: rank_key(c.entry))
    return Finding(found, left_out)


class _SlotChecks:
    """Booking's checks of the slot's time, once per session length."""

    def __init__(self, slot: FreedSlot, practitioner: Practitioner, taken) -> None:
        self.slot, self.practitioner, self.taken = slot, practitioner, taken
        self.devices = {slot.device_id: slot.device} if slot.device_id else {}
        self.by_minutes: dict[int, tuple[str, int | None]] = {}

    def __call__(self, minutes: int) -> tuple[str, int | None]:
        if minutes not in self.by_minutes:
            self.by_minutes[minutes] = _slot_check(
                self.slot, self.practitioner, minutes, self.taken, self.devices
            )
        return self.by_minutes[minutes]


def _feasible(
    chunk: list[WaitlistEntry],
    slot: FreedSlot,
    day: date,
    checks: _SlotChecks,
    left_out: dict[int, str],
) -> list[Candidate]:
    """The entries of `chunk` that may take the slot (two queries: their sessions, and the
    clearance rule for them all); the others' reasons go to `left_out`."""
    rows = _sessions_of({entry.patient_id for entry in chunk})
    by_patient: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_patient[row[0]].append(row)
    verdicts = patient_selectors.clearances(
        asks=[(entry.patient, entry.course.areas, [day]) for entry in chunk]
    )
    tz = clinic_zone()
    found = []
    for entry, verdict in zip(chunk, verdicts, strict=True):
        course = entry.course
        reason, device_id = checks(course.protocol.session_minutes)
        mine = by_patient[entry.patient_id]
        if not reason and not _progress(course, mine).open:
            reason = "Every planned session of the course is booked, done or dropped."
        if not reason:
            starts = sorted(
                [
                    r[4]
                    for r in mine
                    if r[1] == course.pk and r[2] in (*Session.ACTIVE, Session.Status.COMPLETED)
                ]
                + [slot.starts_at]
            )
            if planner.spacing_violations(
                starts, tz=tz, min_interval_days=course.protocol.min_interval_days
            ):
                reason = (
                    f"Closer than {course.protocol.min_interval_days} days to another session "
                    "of the course."
                )
        if not reason:
            too_close, short = spacing_across_courses(
                course, [slot.starts_at], _others(course, mine)
            )
            reason = (too_close or short or [""])[0]
        if not reason and not verdict:
            reason = verdict.reason
        if reason:
            left_out[entry.pk] = reason
            continue
        found.append(Candidate(entry, device_id, offer_channel(entry.patient)))
    return found


# --- Staff lists ----------------------------------------------------------------------------


def slots_of_day(day: date, practitioner: Practitioner | None = None) -> list[FreedSlot]:
    """The freed slots on one local day (optionally one practitioner's), each with its
    offers, their patients and entries: four queries, however many."""
    tz = clinic_zone()
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    slots = FreedSlot.objects.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
    if practitioner is not None:
        slots = slots.filter(practitioner=practitioner)
    return list(
        slots.select_related("practitioner", "room", "session", "freed_by")
        .prefetch_related("offers__patient", "offers__entry", "offers__slot")
        .order_by("starts_at", "pk")
    )


def waiting_on(day: date, practitioner: Practitioner | None = None) -> list[WaitlistEntry]:
    """The entries still waiting whose window holds `day` (for the practitioner, or with
    no practitioner named), ranked."""
    entries = WaitlistEntry.objects.filter(
        status=WaitlistEntry.Status.WAITING, earliest__lte=day, latest__gte=day
    )
    if practitioner is not None:
        entries = entries.filter(Q(practitioner__isnull=True) | Q(practitioner=practitioner))
    return list(
        entries.select_related("patient", "course__protocol", "practitioner", "session")
        .prefetch_related("offers__slot", "offers__entry", "offers__patient")
        .order_by("created_at", "due_on", "pk")
    )


def unfilled_slots(now: datetime, limit: int) -> tuple[list[FreedSlot], int]:
    """Freed slots still to come that found no one, soonest first, and how many there are."""
    unfilled = FreedSlot.objects.filter(status=FreedSlot.Status.UNFILLED, starts_at__gt=now)
    shown = list(unfilled.select_related("practitioner", "room").order_by("starts_at")[:limit])
    return shown, unfilled.count()


def course_waitlist(course: Course) -> list[WaitlistEntry]:
    """A course's waitlist entries, newest first, with who made them, their offers and
    slots."""
    return list(
        WaitlistEntry.objects.filter(course=course)
        .select_related("practitioner", "created_by")
        .prefetch_related("offers__slot__practitioner")
        .order_by("-created_at", "-pk")
    )


def waiting_by_course(patient: Patient) -> dict[int, WaitlistEntry]:
    """The patient's entries still waiting, by course id (one query): what the portal's
    booking pages show as "you are on the waitlist"."""
    return {
        entry.course_id: entry
        for entry in WaitlistEntry.objects.filter(
            patient=patient, status=WaitlistEntry.Status.WAITING
        ).select_related("practitioner", "course__protocol")
    }


def when(moment: datetime) -> str:
    return local_format(moment, "l j F H:i")
