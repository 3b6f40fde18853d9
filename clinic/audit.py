"""The audit helper every service and API view calls for patient data.

Record what happened and to which record; never copy the patient data itself into the
trail (names, answers, phone numbers stay out of `detail`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest

from .models import AuditEvent, User

Action = AuditEvent.Action


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
    """Append one audit row. `obj` may be any model instance; its type and pk are taken."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id if object_id is not None else obj.pk
        if patient_id is None:
            patient_id = _patient_id_of(obj)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id),
        patient_id=patient_id,
        ip_address=ip or client_ip(request),
        detail=detail or {},
    )


def record_many(
    *,
    actor: User | None,
    action: str,
    objects: Iterable[Any],
    request: HttpRequest | None = None,
    detail: dict | None = None,
) -> list[AuditEvent]:
    """Record a list read as one row per kind of record shown (a page of patients is one
    row), naming every record and patient it showed in `object_ids` and `patient_ids`: one
    INSERT, however long the page. Nothing is written when nothing was shown."""
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
            object_ids=ids,
            patient_ids=list(patients),
            patient_id=UUID(next(iter(patients))) if len(patients) == 1 else None,
            ip_address=ip,
            detail={**(detail or {}), "count": len(ids)},
        )
        for object_type, (ids, patients) in shown.items()
    ]
    if len(rows) == 1:
        rows[0].save(force_insert=True)  # one INSERT, without bulk_create's transaction
        return rows
    return AuditEvent.objects.bulk_create(rows)


def _patient_id_of(obj: Any) -> UUID | None:
    """The patient's public id for a patient or for anything that belongs to one."""
    public_id = getattr(obj, "public_id", None)
    if public_id is not None and obj._meta.model_name == "patient":
        return public_id
    patient = getattr(obj, "patient", None)
    return getattr(patient, "public_id", None)
