"""The audit helper every service and API view calls for patient data.

Record what happened and to which record; never copy the patient data itself into the
trail (names, answers, phone numbers stay out of `detail`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest

from .models import AuditEvent, User

Action = AuditEvent.Action
READS = frozenset({Action.VIEW, Action.LIST})

# Rows of reads waiting to be written, inside `batched()` (each request: AuditBatchMiddleware).
_pending: ContextVar[list[AuditEvent] | None] = ContextVar("audit_pending", default=None)
# Rows of a change's writes waiting to be written, inside `together()` (in its transaction).
_changes: ContextVar[list[AuditEvent] | None] = ContextVar("audit_changes", default=None)


@contextmanager
def batched() -> Iterator[None]:
    """Write the audit rows of a block (a whole request) in one INSERT.

    Reads wait and are written together when the block ends, also when it fails. A write's
    row is written at once, inside the transaction of the change it records, so a change is
    never committed without its row nor its row without the change; the reads do not join
    it, so a change that is rolled back takes no read's row with it. Outside the block
    (Celery tasks, commands) every row is written at once.
    """
    token = _pending.set([])
    try:
        yield
    finally:
        rows = _pending.get() or []
        _pending.reset(token)
        if rows:
            _insert(rows)


@contextmanager
def together() -> Iterator[None]:
    """Write the rows a change records inside the block in one INSERT when it ends, still
    inside the change's transaction (use it there): a service that records several rows
    (an intake and its screening, a course and its sessions) pays one round trip for them.
    If the block fails, its rows are dropped with the change they recorded. Nested blocks
    join the outer one."""
    if _changes.get() is not None:
        yield
        return
    token = _changes.set([])
    try:
        yield
        rows = _changes.get() or []
    finally:
        _changes.reset(token)
    if rows:
        _insert(rows)


def _write(rows: list[AuditEvent]) -> list[AuditEvent]:
    pending = _pending.get()
    changes = _changes.get()
    if pending is not None and all(row.action in READS for row in rows):
        pending.extend(rows)
    elif changes is not None:
        changes.extend(rows)
    else:
        _insert(rows)
    return rows


def _insert(rows: list[AuditEvent]) -> None:
    """One INSERT; a single row without bulk_create's transaction of its own."""
    if len(rows) == 1:
        rows[0].save(force_insert=True)
    else:
        AuditEvent.objects.bulk_create(rows)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_ip(request: HttpRequest | None) -> str | None:
    """The address the request came from: REMOTE_ADDR, or, behind a trusted reverse proxy
    (`TRUST_PROXY_HEADERS`), the last address in X-Forwarded-For, the one that proxy added
    (what a client writes there itself comes before it and is ignored)."""
    if request is None:
        return None
    if settings.TRUST_PROXY_HEADERS:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops and _is_address(hops[-1]):
            return hops[-1]
    return request.META.get("REMOTE_ADDR") or None


def record(
    *,
    actor: User | None,
    action: str,
    obj: Any = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    patient_id: UUID | str | None = None,
    request: HttpRequest | None = None,
    ip: str | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one audit row. `obj` may be any model instance; its type and pk are taken.
    Inside a request a read's row is written with the request's others (`batched`)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id if object_id is not None else obj.pk
        if patient_id is None:
            patient_id = _patient_id_of(obj)
    row = AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id),
        patient_id=patient_id,
        ip_address=ip or client_ip(request),
        detail=detail or {},
    )
    _write([row])
    return row


def record_many(
    *,
    actor: User | None,
    action: str,
    objects: Iterable[Any],
    request: HttpRequest | None = None,
    detail: dict | None = None,
) -> list[AuditEvent]:
    """Record a list read as one row per kind of record shown (a page of patients is one
    row), naming every record and patient it showed in `object_ids` and `patient_ids`,
    however long the page. Nothing is written when nothing was shown."""
    shown: dict[str, tuple[list[str], dict[str, None]]] = {}
    for obj in objects:
        ids, patients = shown.setdefault(obj._meta.label_lower, ([], {}))
        ids.append(str(obj.pk))
        if (patient := _patient_id_of(obj)) is not None:
            patients[str(patient)] = None  # a dict keeps the order they were shown in
    if not shown:
        return []
    ip = client_ip(request)
    rows = [
        AuditEvent(
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=action,
            object_type=object_type,
            object_id=ids[0] if len(ids) == 1 else "",  # one record: as `record` names it
            object_ids=ids,
            patient_ids=list(patients),
            patient_id=UUID(next(iter(patients))) if len(patients) == 1 else None,
            ip_address=ip,
            detail=detail or {},
        )
        for object_type, (ids, patients) in shown.items()
    ]
    return _write(rows)


def _patient_id_of(obj: Any) -> UUID | None:
    """The patient's public id for a patient or for anything that belongs to one."""
    public_id = getattr(obj, "public_id", None)
    if public_id is not None and obj._meta.model_name == "patient":
        return public_id
    patient = getattr(obj, "patient", None)
    return getattr(patient, "public_id", None)
