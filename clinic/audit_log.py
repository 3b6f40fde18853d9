"""Reading the audit log (issue 11 item 8): filters, pages newest first, and CSV rows.

Pages are keyset pages on (at, id), newest first: a page deep in a table of millions costs
what the first one does (no OFFSET, no COUNT). Filters by patient and by staff member use the
indexes (patient_id, at), the GIN index on patient_ids (list reads that showed the patient
among others) and (actor, at).

The page shows patient names, which `clinic` cannot look up itself (it sits below `patients`,
DESIGN.md §3): the `patients` app registers its lookups at start-up (`register_patients`),
as the apps above register the panels of `clinic.panels`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from uuid import UUID

from django.apps import apps
from django.db.models import Q, QuerySet

from .clock import localize, to_local
from .models import AuditEvent, User

PAGE_SIZE = 50
EXPORT_CHUNK = 1000  # rows per query while the CSV streams
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
SHOWN_IDS = 10  # ids a list read's row names on the page (the CSV has them all)


# --- Filters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the manager asked for. Dates are the clinic's local days, both included."""

    patient: UUID | None = None
    actor: User | None = None
    action: str = ""
    since: date | None = None
    until: date | None = None

    def as_params(self) -> dict[str, str]:
        """As query-string values (ids and dates only: never a patient's name)."""
        params = {
            "patient": str(self.patient) if self.patient else "",
            "actor": str(self.actor.pk) if self.actor else "",
            "action": self.action,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {key: value for key, value in params.items() if value}


def day_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """The UTC instants that bound the clinic's local days `since` to `until`, both included:
    from the first instant of `since` up to (not including) the first instant of the day after
    `until`. A day with a daylight-saving change is 23 or 25 hours long; in a zone whose
    clocks jump at midnight the day starts when the clock does (`clock.localize`)."""
    start = localize(datetime.combine(since, time.min)) if since else None
    end = None
    if until is not None:
        end = localize(datetime.combine(until + timedelta(days=1), time.min))
    return start, end


def filtered(filters: Filters) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor")
    if filters.patient is not None:
        events = events.about(filters.patient)
    if filters.actor is not None:
        events = events.filter(actor=filters.actor)
    if filters.action:
        events = events.filter(action=filters.action)
    start, end = day_bounds(filters.since, filters.until)
    if start is not None:
        events = events.filter(at__gte=start)
    if end is not None:
        events = events.filter(at__lt=end)
    return events


# --- Keyset pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A row's place in the order (at, id): `<microseconds since 1970>_<id>` in a URL."""

    at: datetime
    id: int

    PATTERN = re.compile(r"^(\d{1,16})_(\d{1,18})$")

    def __str__(self) -> str:
        return f"{(self.at - EPOCH) // MICROSECOND}_{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        match = cls.PATTERN.match(text)
        if match is None:
            raise ValueError("Not a place in the audit log.")
        return cls(at=EPOCH + int(match[1]) * MICROSECOND, id=int(match[2]))

    @classmethod
    def of(cls, event: AuditEvent) -> Cursor:
        return cls(at=event.at, id=event.pk)

    def older(self) -> Q:
        # `at <= x` bounds the index scan; the rest breaks ties on id.
        return Q(at__lte=self.at) & (Q(at__lt=self.at) | Q(id__lt=self.id))

    def newer(self) -> Q:
        return Q(at__gte=self.at) & (Q(at__gt=self.at) | Q(id__gt=self.id))


@dataclass
class Page:
    events: list[AuditEvent]
    newer: Cursor | None  # show the page after this (`?after=`), or None at the newest
    older: Cursor | None  # show the page before this (`?before=`), or None at the oldest
    is_newest: bool


def page(
    events: QuerySet[AuditEvent],
    *,
    before: Cursor | None = None,
    after: Cursor | None = None,
    size: int | None = None,
) -> Page:
    """One page, newest first: the newest rows, the rows just older than `before`, or the
    rows just newer than `after` (`size` of them, PAGE_SIZE unless given). One query."""
    size = size or PAGE_SIZE
    if after is not None:
        rows = list(events.filter(after.newer()).order_by("at", "id")[: size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return Page(
            events=rows,
            newer=Cursor.of(rows[0]) if more_newer else None,
            older=Cursor.of(rows[-1]) if rows else None,
            is_newest=not more_newer,
        )
    if before is not None:
        events = events.filter(before.older())
    rows = list(events.order_by("-at", "-id")[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return Page(
        events=rows,
        newer=Cursor.of(rows[0]) if before is not None and rows else None,
        older=Cursor.of(rows[-1]) if more_older else None,
        is_newest=before is None,
    )


# --- Patients, looked up by the app that owns them ---------------------------------------------


class PatientRecord(Protocol):
    public_id: UUID
    full_name: str
    archived_at: datetime | None


PatientsById = Callable[[Collection[UUID]], dict[UUID, PatientRecord]]
PatientSearch = Callable[[str], list[PatientRecord]]
_patients: dict[str, Callable] = {}


def register_patients(*, by_id: PatientsById, search: PatientSearch) -> None:
    """Called once by `patients` at start-up: how to name patients by public id (one query
    for any number), and how to find them by name, e-mail or phone (archived ones too)."""
    _patients["by_id"] = by_id
    _patients["search"] = search


def patients_by_id(ids: Collection[UUID | None]) -> dict[UUID, PatientRecord]:
    wanted = {i for i in ids if i is not None}
    lookup = _patients.get("by_id")
    return lookup(wanted) if wanted and lookup is not None else {}


def patient_search(term: str) -> list[PatientRecord]:
    search = _patients.get("search")
    return search(term) if term and search is not None else []


# --- What a row says ---------------------------------------------------------------------------


def who(event: AuditEvent) -> str:
    """The member of staff; a patient's own account (the portal) is not named twice."""
    actor = event.actor
    if actor is None:
        return "System"
    if actor.is_patient:
        return "The patient (portal)"
    return actor.display_name


def what(event: AuditEvent) -> str:
    """ "Session 42" as written, or for a list read "Sessions 42, 43 and 44" (ten at most,
    then how many more)."""
    try:
        meta = apps.get_model(event.object_type)._meta
        name, plural = str(meta.verbose_name), str(meta.verbose_name_plural)
    except (LookupError, ValueError):
        name = plural = event.object_type or "—"
    if not event.object_ids:
        return f"{name.capitalize()} {event.object_id}".strip()
    ids = event.object_ids
    if len(ids) == 1:
        return f"{name.capitalize()} {ids[0]}"
    shown = ", ".join(ids[:SHOWN_IDS])
    if len(ids) > SHOWN_IDS:
        return f"{plural.capitalize()} {shown} and {len(ids) - SHOWN_IDS} more"
    return f"{plural.capitalize()} {', '.join(ids[:-1])} and {ids[-1]}"


# --- CSV ---------------------------------------------------------------------------------------

CSV_HEADER = [
    "when",
    "who",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "patient",
    "ip_address",
    "detail",
    "object_ids",
    "patient_ids",
]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula gets a `'` first
    (OWASP "CSV injection"), whoever typed the name or note it came from."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_rows(filters: Filters) -> Iterator[list[str]]:
    """The header, then every row the filters select, newest first, a chunk at a time (one
    query for the rows and one for their patients' names per chunk)."""
    yield CSV_HEADER
    events = filtered(filters)
    cursor = None
    while True:
        chunk = page(events, before=cursor, size=EXPORT_CHUNK)
        names = patients_by_id({e.patient_id for e in chunk.events})
        for event in chunk.events:
            patient = names.get(event.patient_id)
            yield [
                csv_cell(value)
                for value in (
                    to_local(event.at).isoformat(timespec="seconds"),
                    who(event),
                    event.action,
                    event.object_type,
                    event.object_id,
                    event.patient_id,
                    patient.full_name if patient is not None else "",
                    event.ip_address,
                    json.dumps(event.detail, sort_keys=True) if event.detail else "",
                    " ".join(event.object_ids),
                    " ".join(event.patient_ids),
                )
            ]
        if chunk.older is None:
            return
        cursor = chunk.older
