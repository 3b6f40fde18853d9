"""The clinic's wall clock: one function and one template filter show a moment in local time,
whatever zone is active. Europe/London (pytest.ini); no database."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone

from clinic import clock

WINTER = dt.datetime(2027, 2, 15, 9, tzinfo=dt.UTC)  # 09:00 GMT
SUMMER = dt.datetime(2027, 4, 20, 8, tzinfo=dt.UTC)  # 09:00 BST


@pytest.mark.parametrize(
    ("moment", "fmt", "shown"),
    [
        (SUMMER, clock.DATE, "20 April 2027"),
        (SUMMER, clock.TIME, "09:00"),
        (SUMMER, clock.DATE_TIME, "20 April 2027, 09:00"),
        (SUMMER, clock.DAY_TIME, "Tue 20 Apr 2027, 09:00"),
        (SUMMER, clock.DAY_DATE_TIME, "Tuesday 20 April 2027, 09:00"),
        (SUMMER, clock.WHEN, "Tuesday 20 April at 09:00"),
        (SUMMER, clock.WHEN_IN_ZONE, "Tuesday 20 April 2027 at 09:00 BST"),
        (WINTER, clock.WHEN_IN_ZONE, "Monday 15 February 2027 at 09:00 GMT"),
        (SUMMER, "TIME", "09:00"),  # a format's name works too (templates use names)
        (dt.date(2027, 4, 20), clock.DATE, "20 April 2027"),  # a date has no zone
        (None, clock.DATE_TIME, ""),
    ],
)
def test_local_format_shows_the_clinic_s_wall_clock(moment, fmt, shown):
    assert clock.local_format(moment, fmt) == shown


def test_local_format_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="naive"):
        clock.local_format(dt.datetime(2027, 4, 20, 9))  # noqa: DTZ001 - naive on purpose


def test_the_filter_ignores_the_active_zone():
    template = Template(
        '{% load clock %}{{ at|local }} · {{ at|local:"TIME" }} · {{ at|local:"H:i T" }}'
        "{{ missing|local }}"
    )
    with timezone.override(dt.UTC):
        shown = template.render(Context({"at": SUMMER}))
    assert shown == "20 April 2027, 09:00 · 09:00 · 09:00 BST"


def test_the_zone_is_the_clinic_s_setting(settings):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    assert clock.local_format(SUMMER, clock.WHEN_IN_ZONE) == "Tuesday 20 April 2027 at 04:00 EDT"
