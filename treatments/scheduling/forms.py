"""Forms for the scheduling pages: they turn what was typed (or posted back) into the plain
values a service takes, and put a service's refusal back on the field it is about.

The rules live in `services`; a form only refuses what no service could take: text longer
than its column, a NUL byte, `NaN`, a date that does not exist, a time that names no instant.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import BaseTemporalField
from django.forms.utils import ErrorList
from django.utils.dateparse import parse_datetime

from clinic.clock import localize, outside_date_window
from clinic.errors import ServiceError
from clinic.forms import ClinicForm
from patients.models import Patient
from patients.vocabulary import AREA_LABELS, AREAS

from .charting import AreaRecord
from .models import CancelledBy, Practitioner, Protocol, Room, Session, SessionRecord
from .services import SlotRequest

# The years a typed date may fall in: anything else is a slip of the keyboard, and far
# enough from the ends of `datetime`'s range that moving it between zones cannot overflow.
MAX_ID = 2**63 - 1  # a bigint primary key
MAX_SLOTS = 12  # a course has at most 12 sessions (CourseForm.sessions)
NOTES_MAX = 2000  # as the API takes (serializers.AreaRecordInputSerializer)


def _in_range(day: date | None) -> date | None:
    if day is not None and (problem := outside_date_window(day)):
        raise ValidationError(problem)
    return day


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


# --- Calendar query strings --------------------------------------------------------------------


class WeekForm(ClinicForm):
    practitioner = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    week = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    cancelled = forms.BooleanField(required=False)

    def clean_week(self):
        return _in_range(self.cleaned_data["week"])


class DayForm(ClinicForm):
    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    cancelled = forms.BooleanField(required=False)

    def clean_date(self):
        return _in_range(self.cleaned_data["date"])


class RotateFeedForm(ClinicForm):
    """Whose feed gets a new address: the practitioner's own when empty."""

    practitioner = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)


# --- Times ---------------------------------------------------------------------------------------


class WallClockField(forms.DateTimeField):
    """A date and time on the clinic's wall clock (a `datetime-local` input), cleaned to the
    UTC instant the clock shows then: in a fall-back fold the first, in a spring-forward gap
    just after it (`clinic.clock.localize`). A time with an offset is refused: the clinic's
    clock has one."""

    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    default_error_messages = {"invalid": "Enter a date and time, e.g. 2026-03-30 10:00."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        # The strptime formats alone (DateTimeField's own would read the time in Django's
        # current zone, not the clinic's).
        naive = BaseTemporalField.to_python(self, value)
        _in_range(naive.date())
        return localize(naive)


class InstantField(forms.Field):
    """An ISO 8601 date and time WITH its UTC offset (the course page posts its proposal
    back so): an instant, in UTC. A naive time names no instant and is refused."""

    widget = forms.HiddenInput
    default_error_messages = {
        "invalid": "Give the time with its UTC offset, e.g. 2026-03-30T10:00:00+01:00."
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            parsed = parse_datetime(str(value).strip())
        except ValueError:  # well formed, but no such day or time
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        _in_range(parsed.date())
        return parsed.astimezone(UTC)


class ListField(forms.Field):
    """Every value posted under one name (a repeated hidden input), each cleaned by `child`."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"too_many": "At most %(limit)d."}

    def __init__(self, child: forms.Field, *, max_items: int, **kwargs):
        super().__init__(**kwargs)
        self.child = child
        self.max_items = max_items

    def to_python(self, value) -> list:
        if value in self.empty_values:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > self.max_items:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"limit": self.max_items}
            )
        cleaned, errors = [], []
        for item in values:
            try:
                cleaned.append(self.child.clean(item))
            except ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)
        return cleaned


# --- Courses ---------------------------------------------------------------------------------


class CourseForm(ClinicForm):
    practitioner = forms.ModelChoiceField(queryset=Practitioner.objects.filter(active=True))
    protocol = forms.ModelChoiceField(queryset=Protocol.objects.current(), label="Indication")
    areas = forms.MultipleChoiceField(choices=AREAS, widget=forms.CheckboxSelectMultiple)
    sessions = forms.IntegerField(
        min_value=1,
        max_value=MAX_SLOTS,
        required=False,
        help_text="Leave empty for the protocol's.",
    )
    interval_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        required=False,
        label="Days between sessions",
        help_text="Leave empty for the protocol's (usually 28).",
    )


class ConfirmFlagsForm(ClinicForm):
    note = forms.CharField(
        label="Clinical note: why this course may go ahead",
        required=False,  # the service requires the note and says so
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SessionStartField(forms.Field):
    """A proposed session's start as the course page posts it back: the wall-clock time in
    its box (front desk may change it), or an instant with its UTC offset."""

    def to_python(self, value):
        if value in self.empty_values:
            raise ValidationError("Enter the date and time of this session.", code="required")
        try:
            return InstantField().clean(value)
        except ValidationError:
            return WallClockField().clean(value)


SESSION_FIELD = re.compile(r"^sessions\.(?P<index>\d+)\.starts_at$")


class BookForm(ClinicForm):
    """The proposal shown on the course page, posted back: one start and one room per
    session, in order. Each start is a box front desk may change; a problem with one shows
    on its row (`row_errors`), the service's own refusals too (`add_service_errors`)."""

    starts_at = ListField(forms.CharField(strip=True), max_items=MAX_SLOTS)
    room = ListField(forms.IntegerField(min_value=1, max_value=MAX_ID), max_items=MAX_SLOTS)
    confirm_short_interval = forms.BooleanField(
        required=False, label="I have checked the short interval: book anyway"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_errors: dict[int, list[str]] = {}
        self.starts: list[datetime | None] = []
        self.slots: list[SlotRequest] = []

    def clean(self):
        cleaned = super().clean()
        posted, room_ids = cleaned.get("starts_at"), cleaned.get("room")
        if posted is None or room_ids is None:
            return cleaned
        if not posted or len(posted) != len(room_ids):
            raise ValidationError("Give a start and a room for every session.")
        for index, value in enumerate(posted):
            try:
                self.starts.append(SessionStartField().clean(value))
            except ValidationError as exc:
                self.starts.append(None)
                self.row_errors[index] = exc.messages
        # Out of order: both rows say so, since either may be the one that was changed.
        for index in range(1, len(self.starts)):
            before, start = self.starts[index - 1], self.starts[index]
            if before and start and start <= before:
                self.row_errors.setdefault(index - 1, []).append(
                    f"Must be earlier than session {index + 1}."
                )
                self.row_errors.setdefault(index, []).append(f"Must be later than session {index}.")
        if self.row_errors:
            self.add_error("starts_at", "Correct the times marked in the table.")
            return cleaned
        rooms = Room.objects.in_bulk(set(room_ids))
        if set(room_ids) - set(rooms):
            self.add_error("room", "No such room.")
            return cleaned
        self.slots = [
            SlotRequest(starts_at=start, room=rooms[room_id])
            for start, room_id in zip(self.starts, room_ids, strict=True)
        ]
        return cleaned

    def add_service_errors(self, exc: ServiceError) -> None:
        """A refusal about one session goes on its row; any other at the top of the form."""
        on_rows = set()
        fields = exc.fields or ({exc.about: [exc.message]} if exc.about else {})
        for key, messages in fields.items():
            match = SESSION_FIELD.match(key)
            if match and int(match["index"]) < len(self.starts):
                self.row_errors.setdefault(int(match["index"]), []).extend(messages)
                on_rows.add(key)
        others = [m for key, ms in fields.items() if key not in on_rows for m in ms]
        if on_rows:
            self.add_error("starts_at", f"{exc.message} Correct the times marked in the table.")
            if others:
                self.add_error(None, others)
        else:
            self.add_error(None, exc.as_text())


# --- The session page's actions -----------------------------------------------------------------


class CancelForm(ClinicForm):
    """Cancel a session, or a whole course: why, and who asked (what the patient is told)."""

    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=_max_length(Session, "cancel_reason"),
        error_messages={"required": "Say why it is cancelled."},
    )
    initiated_by = forms.ChoiceField(
        label="Who asked for it?",
        choices=[
            (CancelledBy.PATIENT, "The patient asked (we confirm the cancellation to them)"),
            (CancelledBy.CLINIC, "The clinic cancels (we apologise and offer to rebook)"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Say who asked: the patient or the clinic."},
    )


class DropForm(ClinicForm):
    reason = forms.CharField(
        label="Why it will not be replaced",
        max_length=_max_length(Session, "dropped_reason"),
        error_messages={"required": "Say why this session will not be replaced."},
    )


class AddSessionForm(ClinicForm):
    """A session in place of a cancelled or missed one, typed on the clinic's wall clock."""

    starts_at = WallClockField(
        label="Date and time (clinic time)",
        error_messages={"required": "Enter the date and time, e.g. 2026-03-30 10:00."},
    )
    room = forms.ModelChoiceField(
        queryset=Room.objects.filter(active=True),
        empty_label=None,
        error_messages={"required": "Choose a room.", "invalid_choice": "Choose a room."},
    )
    confirm_short_interval = forms.BooleanField(
        required=False,
        label="I confirm the shorter interval to the patient's other course",
    )


class ArchiveForm(ClinicForm):
    """Why a patient's record is archived; the button pressed says what happens to the
    sessions still to come (`archive_views.patient_archive`)."""

    reason = forms.CharField(
        label="Why is this record being archived?",
        help_text="For example: moved away, asked us to stop. Staff see this on the record.",
        max_length=_max_length(Patient, "archive_reason"),
        error_messages={"required": "Say why the record is archived."},
    )


class MoveForm(ClinicForm):
    starts_at = WallClockField(
        label="Move to (clinic time)",
        error_messages={"required": "Enter the new date and time, e.g. 2026-03-30 10:00."},
    )
    room = forms.ModelChoiceField(queryset=Room.objects.all(), required=False)
    confirm_short_interval = forms.BooleanField(
        required=False,
        label="I confirm the shorter interval to the patient's other course",
    )
    shift_following = forms.BooleanField(
        required=False,
        label="Also move the later sessions of this course by the same amount",
    )


# --- The chart ---------------------------------------------------------------------------------


class AreaChartForm(ClinicForm):
    """One area's line of the chart (clinical reference §2.2, §5), its inputs named
    `<area>-<field>`. Left blank, the area was not treated today and is not charted; once
    anything is typed, the setting, passes and cartridge lot are required."""

    device_setting_mm = forms.DecimalField(
        label="Device setting (mm)",
        max_digits=SessionRecord._meta.get_field("device_setting_mm").max_digits,
        decimal_places=SessionRecord._meta.get_field("device_setting_mm").decimal_places,
        min_value=0,
        max_value=3,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )
    passes = forms.IntegerField(label="Passes", min_value=1, max_value=20)
    cartridge_lot = forms.CharField(
        label="Cartridge lot",
        max_length=_max_length(SessionRecord, "cartridge_lot"),
        error_messages={"required": "Record the single-use cartridge's lot."},
    )
    endpoint = forms.CharField(
        label="Endpoint",
        max_length=_max_length(SessionRecord, "endpoint"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. uniform pinpoint bleeding"}),
    )
    numbing_product = forms.CharField(
        label="Numbing product", max_length=_max_length(SessionRecord, "numbing_product"),
        required=False,
    )  # fmt: skip
    immediate_reaction = forms.CharField(
        label="Immediate reaction",
        max_length=_max_length(SessionRecord, "immediate_reaction"),
        required=False,
    )
    notes = forms.CharField(
        label="Notes",
        max_length=NOTES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    depth_reason = forms.CharField(
        label="Reason for a setting above the flag",
        max_length=_max_length(SessionRecord, "depth_reason"),
        required=False,
        help_text="Needed above the area's flag, or where the protocol gives no range (§2.2).",
    )

    def __init__(self, data=None, *, area: str, depth_range: dict | None = None, **kwargs):
        kwargs.setdefault("empty_permitted", True)
        kwargs.setdefault("use_required_attribute", False)
        super().__init__(data, prefix=area, **kwargs)
        self.area = area
        self.label = AREA_LABELS.get(area, area)
        self.start_range = (depth_range or {}).get("start")
        self.flag_above = (depth_range or {}).get("flag_above")
        self.max_mm = (depth_range or {}).get("max")

    @property
    def treated(self) -> bool:
        return self.is_bound and self.has_changed()

    def record(self) -> AreaRecord:
        return AreaRecord(area=self.area, **self.cleaned_data)

    def service_field(self, key: str) -> str | None:
        """`records.<i>.<field>` (the service's key for this area's record) is `<field>`."""
        name = key.rsplit(".", 1)[-1]
        return name if name in self.fields else None


_RECORD_KEY = re.compile(r"^records\.(\d+)\.")


class ChartForm:
    """The chart of one session: an AreaChartForm for each area of its course, in the
    course's order. At least one area must be charted."""

    def __init__(self, session: Session, data=None):
        ranges = session.course.protocol.depth_ranges or {}
        self.is_bound = data is not None
        self.areas = [
            AreaChartForm(data, area=area, depth_range=ranges.get(area))
            for area in session.course.areas
        ]
        self._non_form_errors = ErrorList()

    def __iter__(self):
        return iter(self.areas)

    @property
    def treated(self) -> list[AreaChartForm]:
        return [form for form in self.areas if form.treated]

    def non_form_errors(self) -> ErrorList:
        return self._non_form_errors

    @property
    def has_errors(self) -> bool:
        return bool(self._non_form_errors) or any(form.errors for form in self.areas)

    def is_valid(self) -> bool:
        valid = [form.is_valid() for form in self.areas]  # every form, so every error shows
        if not all(valid):
            self._non_form_errors.append("The chart needs changes: see the fields marked below.")
            return False
        if not self.treated:
            self._non_form_errors.append("Chart at least one area treated today.")
            return False
        return True

    def records(self) -> list[AreaRecord]:
        return [form.record() for form in self.treated]

    def add_service_errors(self, exc: ServiceError) -> None:
        """`records.<i>.<field>` goes on the field of the i-th charted area; anything else,
        and the refusal itself, at the top of the chart."""
        self._non_form_errors.append(exc.message)
        treated = self.treated
        for key, messages in exc.fields.items():
            match = _RECORD_KEY.match(key)
            index = int(match[1]) if match else -1
            if 0 <= index < len(treated):
                treated[index].add_service_errors(ServiceError(exc.message, fields={key: messages}))
            else:
                self._non_form_errors.extend(messages)
