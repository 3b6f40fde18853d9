"""FHIR search values read as FHIR says (pure: no database, no clock)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from treatments.exchange import search

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


def utc(*parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "prefix", "start", "end"),
    [
        ("2027", "eq", utc(2027, 1, 1), utc(2028, 1, 1)),
        ("ge2027-12", "ge", utc(2027, 12, 1), utc(2028, 1, 1)),
        ("lt2027-01-01", "lt", utc(2027, 1, 1), utc(2027, 1, 2)),
        # British Summer Time: the local day starts at 23:00 UTC the day before.
        ("2027-07-10", "eq", utc(2027, 7, 9, 23), utc(2027, 7, 10, 23)),
        # The spring-forward day is 23 hours long, the fall-back day 25.
        ("2027-03-28", "eq", utc(2027, 3, 28), utc(2027, 3, 28, 23)),
        (
            "2027-10-31",
            "eq",
            utc(2027, 10, 30, 23),
            utc(2027, 10, 31, 23, 59, 59) + dt.timedelta(seconds=1),
        ),
        ("2027-01-11T10:00:00Z", "eq", utc(2027, 1, 11, 10), utc(2027, 1, 11, 10, 0, 1)),
        ("sa2027-01-11T10:00Z", "sa", utc(2027, 1, 11, 10), utc(2027, 1, 11, 10, 1)),
        ("2027-07-10T09:00:00+02:00", "eq", utc(2027, 7, 10, 7), utc(2027, 7, 10, 7, 0, 1)),
        ("2027-07-10T09:00:00 02:00", "eq", utc(2027, 7, 10, 7), utc(2027, 7, 10, 7, 0, 1)),
        ("2027-07-10T09:00:00-05:30", "eq", utc(2027, 7, 10, 14, 30), utc(2027, 7, 10, 14, 30, 1)),
        # No zone: the clinic's wall clock (BST in July).
        ("2027-07-10T09:00", "eq", utc(2027, 7, 10, 8), utc(2027, 7, 10, 8, 1)),
    ],
)
def test_a_date_is_the_span_it_names(raw, prefix, start, end):
    span = search.parse_date(raw, LONDON)
    assert (span.prefix, span.start, span.end) == (prefix, start, end)


def test_a_date_is_also_a_span_of_calendar_days():
    span = search.parse_date("1985-03", LONDON)
    assert (span.first_day, span.after_day) == (dt.date(1985, 3, 1), dt.date(1985, 4, 1))
    span = search.parse_date("1985-12-31", LONDON)
    assert (span.first_day, span.after_day) == (dt.date(1985, 12, 31), dt.date(1986, 1, 1))


@pytest.mark.parametrize(
    "raw",
    [
        "garbage",
        "",
        "ge",
        "27-01-01",
        "2027-1-1",
        "2027-02-30",
        "2027-00",
        "2027-01-01T24:00",
        "2027-01-01T10:60",
        "2027-01-01T10",
        "1899-12-31",
        "3000-01-01",
        "0001-01-01",
        "9999-12-31T23:59:59-12:00",
        "2027-01-01T10:00:00+15:00",
        "ap2027",
        "2027-01-01T10:00:00Q",
    ],
)
def test_a_date_it_cannot_read_is_refused_with_words(raw):
    with pytest.raises(ValueError, match=r"\w+"):
        search.parse_date(raw, LONDON)


@pytest.mark.parametrize(
    ("raw", "found"),
    [
        ("abc", "abc"),
        ("Patient/abc", "abc"),
        ("https://clinic.example.com/fhir/Patient/abc", "abc"),
        ("Patient/abc/", "abc"),
    ],
)
def test_a_reference_is_read_to_its_id(raw, found):
    assert search.parse_reference(raw, "Patient") == found


@pytest.mark.parametrize("raw", ["Practitioner/1", "a/b", "xPatient/abc"])
def test_a_reference_to_something_else_is_refused(raw):
    with pytest.raises(ValueError):
        search.parse_reference(raw, "Patient")


def test_unknown_parameters_and_modifiers_are_named_in_the_error():
    params = {"name": search.Param("name", "string", ""), "date": search.Param("date", "date", "")}
    with pytest.raises(search.SearchError) as caught:
        search.parse(
            {"nme": ["x"], "date:exact": ["2027"], "_count": ["0"], "name": ["ok"]},
            params,
            zone=LONDON,
            read_value=lambda p, m, t: t,
        )
    assert set(caught.value.fields) == {"nme", "date:exact", "_count"}


def test_commas_are_or_and_repeats_are_and():
    params = {"name": search.Param("name", "string", "")}
    criteria = search.parse(
        {"name": ["a,b\\,c", "d"], "_count": ["10"], "_offset": ["20"]},
        params,
        zone=LONDON,
        read_value=lambda p, m, t: t,
    )
    assert criteria.params["name"] == [("", ["a", "b,c"]), ("", ["d"])]
    assert (criteria.count, criteria.offset) == (10, 20)
