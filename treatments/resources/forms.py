"""Forms for the setup pages: what was typed, as the plain values a service takes.

Times of day are the clinic's wall clock; dates and times (time off, outages) are typed on the
clinic's clock too and read with `clinic.clock.localize` (`WallClockField`), so a window over a
daylight-saving change lands on the instants the clock shows. The rules live in the services;
a form refuses only what no service could take (text too long, a NUL byte, no such time).
`move_affected` is the "move them" button of a change that would strand booked sessions.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from clinic.forms import ClinicForm, TimeInput
from patients.vocabulary import AREAS
from treatments.scheduling.forms import WallClockField
from treatments.scheduling.models import Device, Practitioner, Protocol, Room, TimeOff, WorkingHours

from .services import eligible_accounts
from .services.protocols import LIMITS, NOTES_MAX

MOVE_AFFECTED = "move_affected"


def _max(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _text(max_length: int, **kwargs) -> forms.CharField:
    """Text whose rules (required, length, unique) the service checks, so that they come
    back all at once with its other problems; the browser still stops at `max_length`."""
    widget = kwargs.pop("widget", forms.TextInput)
    return forms.CharField(required=False, widget=widget(attrs={"maxlength": max_length}), **kwargs)


class SetupForm(ClinicForm):
    """A setup form: its service's field messages go next to the fields; the confirmation to
    move stranded sessions comes from the strand list's button."""

    move_affected = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def visible(self):
        return [field for field in self if field.name != MOVE_AFFECTED]


class PractitionerNewForm(SetupForm):
    user = forms.ModelChoiceField(
        queryset=eligible_accounts(),
        required=False,
        label="Staff account",
        help_text="Active accounts with the practitioner role that are not linked yet.",
    )
    display_name = _text(
        _max(Practitioner, "display_name"), label="Name shown to staff and patients"
    )
    active = forms.BooleanField(required=False, initial=True, label="On the rota")


class PractitionerForm(SetupForm):
    display_name = _text(
        _max(Practitioner, "display_name"), label="Name shown to staff and patients"
    )
    active = forms.BooleanField(
        required=False,
        label="On the rota",
        help_text="Off the rota: no new courses. Move or cancel their booked sessions first.",
    )


class WorkingHoursForm(SetupForm):
    weekday = forms.TypedChoiceField(
        choices=WorkingHours.Weekday.choices, coerce=int, label="Day of the week"
    )
    start = forms.TimeField(label="From (clinic time)", widget=TimeInput())
    end = forms.TimeField(label="Until (clinic time)", widget=TimeInput())


class WindowForm(SetupForm):
    """A window of time typed on the clinic's clock: time off or an outage."""

    starts_at = WallClockField(label="From (clinic time)")
    ends_at = WallClockField(label="Until (clinic time)")
    reason = _text(_max(TimeOff, "reason"))


class RoomForm(SetupForm):
    name = _text(_max(Room, "name"))
    active = forms.BooleanField(
        required=False,
        initial=True,
        label="In use",
        help_text="Out of use: nothing is booked in it.",
    )


class DeviceForm(SetupForm):
    name = _text(_max(Device, "name"))
    manufacturer = _text(_max(Device, "manufacturer"))
    model = _text(_max(Device, "model"))
    serial = _text(_max(Device, "serial"), label="Serial number")
    regulatory_status = _text(
        _max(Device, "regulatory_status"),
        help_text="e.g. FDA De Novo DEN160029 (clinical reference §5).",
    )
    active = forms.BooleanField(
        required=False,
        initial=True,
        label="In use",
        help_text="Out of use: nothing is booked on it.",
    )


class RemoveForm(SetupForm):
    """Removing a row: nothing to type; the strand list's button confirms moving."""


# --- Protocols ---------------------------------------------------------------------------------

DEPTH_PARTS = (
    ("low", "Start from"),
    ("high", "Start to"),
    ("flag_above", "Flag above"),
    ("max", "Maximum"),
)


def _mm(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_value=3,
        max_digits=3,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.05", "inputmode": "decimal"}),
    )


class ProtocolForm(SetupForm):
    """A protocol's values; saving makes a new version. Depth ranges are one row per area
    (all four blank: the protocol gives that area no range)."""

    name = _text(_max(Protocol, "name"))
    default_sessions = forms.IntegerField(
        label="Sessions",
        min_value=LIMITS["default_sessions"][0],
        max_value=LIMITS["default_sessions"][1],
    )
    default_interval_days = forms.IntegerField(
        label="Usual days between sessions",
        min_value=LIMITS["default_interval_days"][0],
        max_value=LIMITS["default_interval_days"][1],
    )
    min_interval_days = forms.IntegerField(
        label="Minimum days between sessions",
        min_value=LIMITS["min_interval_days"][0],
        max_value=LIMITS["min_interval_days"][1],
        help_text="Clinical reference §2.1: usually 28, never below 14 without a reason.",
    )
    session_minutes = forms.IntegerField(
        label="Session length in minutes (numbing included)",
        min_value=LIMITS["session_minutes"][0],
        max_value=LIMITS["session_minutes"][1],
        help_text="Clinical reference §2.3: about 90, 120 for face, neck and chest.",
    )
    notes = _text(NOTES_MAX, widget=forms.Textarea)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for area, label in AREAS:
            for part, part_label in DEPTH_PARTS:
                self.fields[f"depth-{area}-{part}"] = _mm(f"{label}: {part_label.lower()} (mm)")

    @staticmethod
    def initial_for(protocol: Protocol) -> dict:
        initial = {
            field: getattr(protocol, field)
            for field in ("name", "default_sessions", "default_interval_days")
        }
        initial.update(
            min_interval_days=protocol.min_interval_days,
            session_minutes=protocol.session_minutes,
            notes=protocol.notes,
        )
        for area, spec in (protocol.depth_ranges or {}).items():
            if not isinstance(spec, dict):
                continue
            start = spec.get("start") or [None, None]
            values = {"low": start[0], "high": start[-1], **spec}
            for part, _ in DEPTH_PARTS:
                initial[f"depth-{area}-{part}"] = values.get(part)
        return initial

    def main_fields(self):
        return [f for f in self.visible() if not f.name.startswith("depth-")]

    def depth_rows(self):
        """(area label, its four bound fields) in the vocabulary's order, for the table."""
        return [
            (label, [self[f"depth-{area}-{part}"] for part, _ in DEPTH_PARTS])
            for area, label in AREAS
        ]

    def clean(self):
        cleaned = super().clean()
        ranges = {}
        for area, _ in AREAS:
            names = {part: f"depth-{area}-{part}" for part, _ in DEPTH_PARTS}
            if any(self.has_error(name) for name in names.values()):
                continue
            values = {part: cleaned.get(name) for part, name in names.items()}
            if all(v is None for v in values.values()):
                continue
            for part in ("flag_above", "max"):
                if values[part] is None:
                    self.add_error(names[part], "Give the flag and the maximum for this area.")
            if (values["low"] is None) != (values["high"] is None):
                self.add_error(names["low"], "Give both ends of the starting setting, or neither.")
            spec = {part: _float(values[part]) for part in ("flag_above", "max")}
            if values["low"] is not None and values["high"] is not None:
                spec["start"] = [_float(values["low"]), _float(values["high"])]
            ranges[area] = spec
        cleaned["depth_ranges"] = ranges
        return cleaned

    def changes(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "default_sessions": data["default_sessions"],
            "default_interval_days": data["default_interval_days"],
            "min_interval_days": data["min_interval_days"],
            "session_minutes": data["session_minutes"],
            "notes": data["notes"],
            "depth_ranges": data["depth_ranges"],
        }

    def service_field(self, key: str) -> str | None:
        return key if key in self.fields else None


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
