"""FHIR search parameters read strictly: a parameter this server does not know, a modifier it
does not support or a value it cannot read is a 400 naming the parameter, never ignored (a
search that silently drops `date=garbage` would hand out more than was asked for).

Pure: no ORM. Dates follow FHIR's rules for a value with less precision than an instant
(`2027` is the whole year, `2027-01-01` the whole day) and the prefixes eq, ne, gt, ge, lt,
le, sa and eb; a date or time without a zone is read on the clinic's wall clock.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final
from zoneinfo import ZoneInfo

PREFIXES: Final = ("eq", "ne", "gt", "ge", "lt", "le", "sa", "eb")
MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2999
DEFAULT_COUNT: Final = 50
MAX_COUNT: Final = 200
MAX_OFFSET: Final = 100_000
MAX_VALUE_LENGTH: Final = 200
# What every search takes besides the type's own parameters.
RESULT_PARAMS: Final = ("_count", "_offset", "_format")
FORMATS: Final = ("json", "application/json", "application/fhir+json")

_DATE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d{1,9})?)?"
    r"(?P<tz>Z|[+\- ]\d{2}:\d{2})?)?)?)?"
)


class SearchError(Exception):
    """Bad search input: `fields` maps each parameter to what is wrong with it."""

    def __init__(self, fields: Mapping[str, list[str]]):
        super().__init__("Some search parameters need attention.")
        self.fields = dict(fields)


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "date", "string", "token", "reference"
    doc: str

    @property
    def fhir_type(self) -> str:
        return self.kind


@dataclass(frozen=True)
class DateRange:
    """A searched date as the span it covers: [start, end) as instants and as dates."""

    prefix: str
    start: datetime
    end: datetime
    first_day: date
    after_day: date


@dataclass
class Criteria:
    """A parsed search: each parameter's values (AND across repeats, OR within commas)."""

    params: dict[str, list[tuple[str, list]]] = field(
        default_factory=dict
    )  # name → (modifier, values)
    count: int = DEFAULT_COUNT
    offset: int = 0


def parse_date(raw: str, zone: ZoneInfo) -> DateRange:
    """`ge2027-01-01`, `2027-03`, `lt2027-01-01T09:00:00Z`... as the span it names. Raises
    ValueError with the words to show."""
    prefix = raw[:2] if raw[:2] in PREFIXES else "eq"
    text = raw[2:] if raw[:2] in PREFIXES else raw
    match = _DATE.fullmatch(text)
    if not match:
        raise ValueError(
            "Give a date as YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss, with an "
            "optional prefix (eq, ne, gt, ge, lt, le, sa, eb)."
        )
    year = int(match["y"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"Give a year from {MIN_YEAR} to {MAX_YEAR}.")
    month, dayn = int(match["m"] or 1), int(match["d"] or 1)
    try:
        first = date(year, month, dayn)
    except ValueError as exc:
        raise ValueError("That date does not exist.") from exc
    if match["H"] is None:
        if match["m"] is None:
            after = date(year + 1, 1, 1)
        elif match["d"] is None:
            after = date(year + (month == 12), month % 12 + 1, 1)
        else:
            after = first + timedelta(days=1)
        start = _local_midnight(first, zone)
        end = _local_midnight(after, zone)
        return DateRange(prefix, start, end, first, after)
    hour, minute = int(match["H"]), int(match["M"])
    second = int(match["S"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError("That time does not exist.")
    tz = _zone(match["tz"], zone)
    moment = datetime(year, month, dayn, hour, minute, second, tzinfo=tz)
    if tz is zone:  # the clinic's wall clock: a time in a fold is its first
        moment = moment.replace(fold=0)
    start = moment.astimezone(UTC)
    end = start + (timedelta(seconds=1) if match["S"] is not None else timedelta(minutes=1))
    local_day = start.astimezone(zone).date()
    return DateRange(prefix, start, end, local_day, local_day + timedelta(days=1))


def _local_midnight(day_: date, zone: ZoneInfo) -> datetime:
    return datetime(day_.year, day_.month, day_.day, tzinfo=zone).astimezone(UTC)


def _zone(text: str | None, clinic: ZoneInfo):
    if not text:
        return clinic
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1  # a "+" arrives as a space when not percent-encoded
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise ValueError("That time zone offset does not exist.")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_reference(raw: str, resource_type: str) -> str:
    """`Patient/<id>`, an absolute URL ending so, or the bare id → the id."""
    text = raw.rstrip("/")
    marker = f"{resource_type}/"
    if marker in text:
        head, _, tail = text.rpartition(marker)
        if head and not head.endswith("/"):
            raise ValueError(f"Give a {resource_type} id, or {resource_type}/<id>.")
        text = tail
    elif "/" in text:
        raise ValueError(f"Give a {resource_type} id, or {resource_type}/<id>.")
    return text


def parse_uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise ValueError("This is not an id this server gives out.") from exc


def parse_int_id(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise ValueError("This is not an id this server gives out.")
    return int(raw)


def _number(raw: str, name: str, low: int, high: int) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7 or not low <= int(raw) <= high:
        raise ValueError(f"Give a whole number from {low} to {high}.")
    return int(raw)


def parse(
    query: Mapping[str, Iterable[str]],
    params: Mapping[str, Param],
    *,
    zone: ZoneInfo,
    read_value,
) -> Criteria:
    """Read a search's query string (name → its values, repeated names kept apart).

    `read_value(param, modifier, text)` turns one value into what the selector filters by
    (and raises ValueError with the words to show); dates are read here."""
    errors: dict[str, list[str]] = {}
    criteria = Criteria()
    for key, values in query.items():
        values = list(values)
        name, _, modifier = key.partition(":")
        try:
            if name in RESULT_PARAMS:
                if modifier or len(values) != 1:
                    raise ValueError("Give this parameter once, without a modifier.")
                if name == "_count":
                    criteria.count = _number(values[0], name, 1, MAX_COUNT)
                elif name == "_offset":
                    criteria.offset = _number(values[0], name, 0, MAX_OFFSET)
                elif values[0] not in FORMATS:
                    raise ValueError("Only JSON is served: json or application/fhir+json.")
                continue
            param = params.get(name)
            if param is None:
                known = ", ".join(sorted([*params, *RESULT_PARAMS]))
                raise ValueError(f"Not a search parameter of this type. Use: {known}.")
            if modifier and not (param.kind == "string" and modifier in ("exact", "contains")):
                raise ValueError(f"The modifier :{modifier} is not supported here.")
            for value in values:
                criteria.params.setdefault(name, []).append(
                    (modifier, _read(param, modifier, value, zone, read_value))
                )
        except ValueError as exc:
            errors.setdefault(key.replace("\x00", "") or "(unnamed)", []).append(str(exc))
    if errors:
        raise SearchError(errors)
    return criteria


def _read(param: Param, modifier: str, value: str, zone: ZoneInfo, read_value) -> list:
    if not value:
        raise ValueError("Give a value.")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueError(f"Give at most {MAX_VALUE_LENGTH} characters.")
    if param.kind == "date":
        if "," in value:
            raise ValueError("Give one date per parameter; repeat it for a range.")
        return [parse_date(value, zone)]
    # Commas are "or" (FHIR); "\," is a comma inside a value.
    parts = [p.replace("\\,", ",") for p in re.split(r"(?<!\\),", value)]
    if any(not p for p in parts):
        raise ValueError("Give a value between each comma.")
    return [read_value(param, modifier, part) for part in parts]
