"""Strict JSON serializer fields: the API takes what its schema says and nothing looser.

DRF's defaults coerce ("1" and 0 become booleans, 5 becomes "5"); a clinic API should refuse
them with a 400 naming the field, as the OpenAPI schema promises.
"""

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .clock import outside_date_window


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if type(data) is not bool:
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON number with no fraction (5 or 5.0); not "5", not true."""

    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return super().to_internal_value(int(data))


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be text."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # The schema's maxLength is about the text as sent: count it before trimming, or
        # " " + 100 characters would pass a 100-character limit (schemathesis found it).
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time WITH its offset: a naive time names no instant and is refused."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-03-30T10:00:00+01:00.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str) and value.strip():
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
            # Far dates (0001-01-01, 9999-12-31) overflow the arithmetic of a time zone, a
            # session's end or a series: a date a clinic can use, or a 400.
            if parsed is not None and (problem := outside_date_window(parsed.date())):
                raise serializers.ValidationError(problem)
        elif not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss+hh:mm")
        return super().to_internal_value(value)


WALL_CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


@extend_schema_field(
    {
        "type": "string",
        "pattern": WALL_CLOCK_PATTERN,
        "example": "09:00",
        "description": "A time on the clinic's wall clock (CLINIC_TIME_ZONE), HH:MM.",
    }
)
class WallClockTimeField(serializers.TimeField):
    """A time of day on the clinic's wall clock, as "09:00": no offset, because working hours
    repeat every week across daylight-saving changes (RFC 3339's `time` would need one)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        kwargs.setdefault("input_formats", ["%H:%M", "%H:%M:%S"])
        super().__init__(**kwargs)
