"""What the setup services share: the result of a change that may move sessions, and the
checks on names and time windows that every form and the API get the same answers from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Generic, TypeVar

from django.db import models

from clinic.errors import Conflict

from ..stranding import Moved

T = TypeVar("T", bound=models.Model)

# Time off or an outage longer than this is a typing slip (a year for a month), not a plan.
MAX_WINDOW = timedelta(days=366)


@dataclass(frozen=True)
class Change(Generic[T]):
    """What a change saved, and the sessions it moved to keep them bookable (usually none)."""

    obj: T
    moved: list[Moved] = field(default_factory=list)


def fresh(row: T) -> T:
    """`row` as saved now (read after the lock the change holds); gone meanwhile is a 409."""
    found = type(row).objects.filter(pk=row.pk).first()
    if found is None:
        raise Conflict(f"That {row._meta.verbose_name} was removed meanwhile.")
    return found


def text(
    errors: dict[str, list[str]],
    name: str,
    value: Any,
    *,
    max_length: int,
    required: bool = True,
    label: str = "This",
) -> str:
    """`value` stripped, or a message under `errors[name]` (empty, too long, not text)."""
    if value is None:
        value = ""
    if not isinstance(value, str) or "\x00" in value:
        errors.setdefault(name, []).append(f"{label} must be plain text.")
        return ""
    value = value.strip()
    if required and not value:
        errors.setdefault(name, []).append(f"{label} is required.")
    elif len(value) > max_length:
        errors.setdefault(name, []).append(f"At most {max_length} characters.")
    return value


def window(
    errors: dict[str, list[str]], starts_at: Any, ends_at: Any, *, start: str, end: str
) -> bool:
    """Whether [starts_at, ends_at) is a window of real time the clinic can store: two aware
    datetimes (a wall-clock time names no instant), the end after the start, at most a year
    long. Problems go under `errors[start]`/`errors[end]`."""
    ok = True
    for name, value in ((start, starts_at), (end, ends_at)):
        if not isinstance(value, datetime) or value.utcoffset() is None:
            errors.setdefault(name, []).append("Give a date and time with its zone.")
            ok = False
    if not ok:
        return False
    if ends_at <= starts_at:
        errors.setdefault(end, []).append("Must be after the start.")
        return False
    if ends_at - starts_at > MAX_WINDOW:
        errors.setdefault(end, []).append("At most a year after the start: add another for more.")
        return False
    return True


def clock_window(errors: dict[str, list[str]], start: Any, end: Any) -> bool:
    """Whether `start`-`end` is a window on one local day's wall clock: naive times, the end
    after the start (working hours; "from 09:00 to 17:00 on Mondays")."""
    ok = True
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, time) or value.tzinfo is not None:
            errors.setdefault(name, []).append("Give a time of day, such as 09:00.")
            ok = False
    if ok and not start < end:
        errors.setdefault("end", []).append("Must be after the start, on the same day.")
        ok = False
    return ok


def save_values(obj: models.Model, values: dict[str, Any]) -> None:
    """Write `values` onto `obj` and save just those columns (after `changed` said what)."""
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save(update_fields=list(values))


def changed(obj: models.Model, values: dict[str, Any]) -> dict[str, list]:
    """The fields `values` would change on `obj`, as {name: [old, new]} for the audit row
    (setup data only: never a patient's)."""

    def plain(value: Any) -> Any:
        return value.isoformat() if hasattr(value, "isoformat") else value

    return {
        name: [plain(getattr(obj, name)), plain(value)]
        for name, value in values.items()
        if getattr(obj, name) != value
    }
