"""Protocol versions (issue 11): an edit never changes a protocol a course uses.

Editing the current version of an indication's protocol saves a new row with the next version
number and makes it the current one; the old row stays, unchanged, with the courses planned
on it, so a booked course keeps its session length, spacing and depth ranges. New courses
are offered the current version only (`Protocol.objects.current()`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypedDict

from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest

from clinic import audit
from clinic.errors import Conflict, Invalid
from clinic.models import User
from patients.vocabulary import AREA_LABELS
from treatments.scheduling.models import Protocol
from treatments.scheduling.protocols import depth_range_errors

from .changes import text

Action = audit.Action
NOTES_MAX = 2000
# (low, high) for each whole-number value; clinical reference §2.1 and §2.3.
LIMITS = {
    "default_sessions": (1, 12),
    "default_interval_days": (1, 365),
    "min_interval_days": (1, 365),
    "session_minutes": (15, 480),
}
EDITABLE = ("name", *LIMITS, "depth_ranges", "notes")


class ProtocolValues(TypedDict, total=False):
    name: str
    default_sessions: int
    default_interval_days: int
    min_interval_days: int
    session_minutes: int
    depth_ranges: dict
    notes: str


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) < 100
    )


def depth_errors(ranges: Any) -> list[str]:
    """Each area a known code with a numeric `flag_above` and `max` (and, if given, a `start`
    of two numbers from low to high, not above the maximum); then the reference's limits
    (`scheduling.protocols.depth_range_errors`: a maximum of at most 2.5 mm, §2.2)."""
    if not isinstance(ranges, dict):
        return ["Give each area its flag and maximum in mm."]
    errors = []
    for area, spec in ranges.items():
        label = AREA_LABELS.get(area)
        if label is None:
            errors.append(f"{area}: not an area code.")
            continue
        if not isinstance(spec, dict) or set(spec) - {"start", "flag_above", "max"}:
            errors.append(f"{label}: give start, flag_above and max only.")
            continue
        if not (_number(spec.get("flag_above")) and _number(spec.get("max"))):
            errors.append(f"{label}: give a flag and a maximum in mm.")
            continue
        start = spec.get("start")
        if start is not None and not (
            isinstance(start, list)
            and len(start) == 2
            and all(_number(v) for v in start)
            and 0 <= start[0] <= start[1] <= spec["max"]
        ):
            errors.append(
                f"{label}: the starting setting is two numbers from low to high, at most the "
                "maximum."
            )
    if errors:
        return errors
    return depth_range_errors(ranges)


def _errors(values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    values["name"] = text(errors, "name", values["name"], max_length=100, label="The name")
    values["notes"] = text(
        errors, "notes", values["notes"], max_length=NOTES_MAX, required=False, label="Notes"
    )
    for field, (low, high) in LIMITS.items():
        value = values[field]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[field] = [f"A whole number from {low} to {high}."]
    if (
        "default_interval_days" not in errors
        and "min_interval_days" not in errors
        and values["default_interval_days"] < values["min_interval_days"]
    ):
        errors["default_interval_days"] = ["At least the minimum interval."]
    if problems := depth_errors(values["depth_ranges"]):
        errors["depth_ranges"] = problems
    return errors


@transaction.atomic
def protocol_revise(
    *,
    protocol: Protocol,
    changes: ProtocolValues | Mapping[str, Any],
    by: User,
    request: HttpRequest | None = None,
) -> Protocol:
    """Save `changes` to the current version of a protocol as a new version, which becomes
    the current one. A superseded version cannot be edited (409); no change at all is a 400.
    """
    current = Protocol.objects.select_for_update().filter(pk=protocol.pk).first()
    if current is None or not current.is_current:
        raise Conflict(
            "Only the current version of a protocol can be edited: reload and edit that one."
        )
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Invalid("Unknown fields.", fields={k: ["Not editable."] for k in sorted(unknown)})
    values = {field: changes.get(field, getattr(current, field)) for field in EDITABLE}
    if errors := _errors(values):
        raise Invalid("The protocol needs changes.", fields=errors)
    edited = [field for field in EDITABLE if values[field] != getattr(current, field)]
    if not edited:
        raise Invalid("Nothing to save: no value was changed.")
    latest = Protocol.objects.filter(indication=current.indication).aggregate(v=Max("version"))
    current.is_current = False
    current.save(update_fields=["is_current"])  # first: one current version per indication
    revised = Protocol.objects.create(
        indication=current.indication,
        version=latest["v"] + 1,
        is_current=True,
        created_by=by if by is not None and by.is_authenticated else None,
        **values,
    )
    audit.record(
        actor=by,
        action=Action.CREATE,
        obj=revised,
        request=request,
        detail={"supersedes": current.pk, "version": revised.version, "changed": edited},
    )
    return revised
