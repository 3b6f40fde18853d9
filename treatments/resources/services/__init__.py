"""The setup workflows, one module per subject (house style 15): `practitioners` (with their
hours and time off), `equipment` (rooms, devices, outages) and `protocols` (versions). Each is
keyword-only and atomic and writes its own audit rows; a change that would strand booked
sessions refuses with them (`stranding.Stranded`, a 409) unless `move_affected` is given."""

from .changes import Change
from .equipment import (
    device_create,
    device_update,
    outage_create,
    outage_delete,
    outage_update,
    room_create,
    room_update,
)
from .practitioners import (
    eligible_accounts,
    practitioner_create,
    practitioner_for_account,
    practitioner_update,
    time_off_create,
    time_off_delete,
    time_off_update,
    working_hours_create,
    working_hours_delete,
    working_hours_update,
)
from .protocols import ProtocolValues, protocol_revise

__all__ = [
    "Change",
    "ProtocolValues",
    "device_create",
    "device_update",
    "eligible_accounts",
    "outage_create",
    "outage_delete",
    "outage_update",
    "practitioner_create",
    "practitioner_for_account",
    "practitioner_update",
    "protocol_revise",
    "room_create",
    "room_update",
    "time_off_create",
    "time_off_delete",
    "time_off_update",
    "working_hours_create",
    "working_hours_delete",
    "working_hours_update",
]
