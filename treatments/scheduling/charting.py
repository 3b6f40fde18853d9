"""Charting: what was done to each area of a session, and completing it (DESIGN.md flow 5,
clinical reference §2.2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.http import HttpRequest

from clinic import audit
from clinic.clock import to_local
from clinic.errors import Invalid
from clinic.models import User
from patients.vocabulary import AREA_LABELS

from . import signals
from .models import Session, SessionRecord
from .protocols import MAX_DEPTH_MM
from .repair import course_settle
from .services import lock_session, require_clearance, require_status, transition

Action = audit.Action


@dataclass(frozen=True)
class AreaRecord:
    area: str
    device_setting_mm: Decimal
    passes: int
    cartridge_lot: str
    endpoint: str = ""
    numbing_product: str = ""
    immediate_reaction: str = ""
    notes: str = ""
    depth_reason: str = ""


def depth_check(record: AreaRecord, spec: dict | None) -> tuple[str, str, str]:
    """(field, error, flag): a setting above the area's maximum is refused; above its flag, or
    on an area the protocol gives no range, it needs the practitioner's written reason and is
    flagged with it (clinical reference §2.2: never above 2.5 mm, thin facial skin far lower)."""
    spec = spec or {}
    top = min(Decimal(str(spec.get("max", MAX_DEPTH_MM))), MAX_DEPTH_MM)
    setting = record.device_setting_mm
    if setting > top:
        label = AREA_LABELS.get(record.area, record.area)
        return "device_setting_mm", f"{label}: at most {top} mm (clinical reference §2.2).", ""
    flag_above = spec.get("flag_above")
    if flag_above is None:
        why = "No protocol range for this area"
    elif setting > Decimal(str(flag_above)):
        why = f"Above {flag_above} mm for this area"
    else:
        return "", "", ""
    reason = record.depth_reason.strip()
    if not reason:
        return "depth_reason", f"{why}: write your reason for this setting.", ""
    return "", "", f"{why}: {reason}"[:200]


@transaction.atomic
def session_complete(
    *,
    session: Session,
    records: Sequence[AreaRecord],
    by: User,
    request: HttpRequest | None = None,
) -> Session:
    """Chart each treated area and complete the session.

    A device setting outside the protocol's range for that area is recorded and flagged for
    the practitioner with their written reason; above the area's maximum it is refused
    (clinical reference §2.2).
    """
    session = lock_session(session)
    require_status(session, Session.Status.CHECKED_IN, action="completed")
    if not records:
        raise Invalid("Chart at least one area.", fields={"records": ["Chart each area."]})
    ranges = session.course.protocol.depth_ranges or {}
    errors: dict[str, list[str]] = {}
    flags: list[str] = []
    seen = set()
    for i, record in enumerate(records):
        if record.area not in session.course.areas:
            errors[f"records.{i}.area"] = ["This area is not part of the course."]
        if record.area in seen:
            errors[f"records.{i}.area"] = ["Each area is charted once."]
        seen.add(record.area)
        if not Decimal("0") <= record.device_setting_mm <= Decimal("3"):
            errors[f"records.{i}.device_setting_mm"] = ["A setting from 0 to 3 mm."]
        else:
            field, error, flag = depth_check(record, ranges.get(record.area))
            if error:
                errors[f"records.{i}.{field}"] = [error]
            flags.append(flag)
        if record.passes < 1 or record.passes > 20:
            errors[f"records.{i}.passes"] = ["From 1 to 20 passes."]
        if not record.cartridge_lot.strip():
            errors[f"records.{i}.cartridge_lot"] = ["Record the single-use cartridge's lot."]
    if errors:
        raise Invalid("The chart needs changes.", fields=errors)
    # Still cleared for what is charted, on the session's day (a hold raised since check-in
    # or a new screening that no longer clears stops it).
    require_clearance(
        session.patient,
        [r.area for r in records],
        [to_local(session.starts_at).date()],
        check_in=True,
    )
    rows = []
    for record, flag in zip(records, flags, strict=True):
        rows.append(
            SessionRecord(
                session=session,
                area=record.area,
                device_setting_mm=record.device_setting_mm,
                passes=record.passes,
                cartridge_lot=record.cartridge_lot.strip(),
                endpoint=record.endpoint,
                numbing_product=record.numbing_product,
                immediate_reaction=record.immediate_reaction,
                notes=record.notes,
                flagged=bool(flag),
                flag_reason=flag,
                depth_reason=record.depth_reason.strip() if flag else "",
            )
        )
    SessionRecord.objects.bulk_create(rows)
    transition(session, Session.Status.COMPLETED, by, request, areas=len(rows))
    # The course completes only when every planned session was done or dropped.
    course_completed = course_settle(session.course)
    signals.session_completed.send(
        sender=Session, session=session, course_completed=course_completed
    )
    return session
