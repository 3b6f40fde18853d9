"""The scheduling forms: what they refuse, how they read the clinic's wall clock, and the chart
page and session actions that use them (issue 9 item 5, "One way to read a form")."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import QueryDict

from clinic.errors import Invalid
from clinic.forms import ONE_VALUE
from patients import services as patient_services
from patients.tests.helpers import clear_answers
from treatments.scheduling.forms import (
    AreaChartForm,
    BookForm,
    CancelForm,
    ChartForm,
    CourseForm,
    MoveForm,
)
from treatments.scheduling.models import Session, SessionRecord
from treatments.scheduling.tests.check_in_helpers import form_data

LONDON = ZoneInfo("Europe/London")
START = dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)
UTC = dt.UTC


def chart(**values) -> AreaChartForm:
    return AreaChartForm({f"cheeks-{k}": v for k, v in values.items()}, area="cheeks")


GOOD = {"device_setting_mm": "0.5", "passes": "2", "cartridge_lot": "LOT-1"}


# --- The chart's forms (no database) -----------------------------------------------------------


@pytest.mark.parametrize(
    "setting",
    ["NaN", "nan", "Infinity", "-Infinity", "sNaN", "1e400", "-1", "3.01", "0.555", "\x00"],
)
def test_a_device_setting_that_is_not_0_to_3_mm_is_refused(setting):
    form = chart(**{**GOOD, "device_setting_mm": setting})
    assert not form.is_valid()
    assert list(form.errors) == ["device_setting_mm"]


@pytest.mark.parametrize("passes", ["0", "21", "-1", "2.5", "NaN", "\x00"])
def test_passes_are_1_to_20(passes):
    assert list(chart(**{**GOOD, "passes": passes}).errors) == ["passes"]


def test_text_longer_than_its_column_or_with_a_nul_byte_is_refused():
    assert chart(**{**GOOD, "cartridge_lot": "L" * 60}).is_valid()
    assert list(chart(**{**GOOD, "cartridge_lot": "L" * 61}).errors) == ["cartridge_lot"]
    assert list(chart(**{**GOOD, "endpoint": "e" * 101}).errors) == ["endpoint"]
    assert list(chart(**{**GOOD, "immediate_reaction": "r" * 201}).errors) == ["immediate_reaction"]
    assert list(chart(**{**GOOD, "notes": "n" * 2001}).errors) == ["notes"]
    assert list(chart(**{**GOOD, "notes": "a\x00b"}).errors) == ["notes"]


def test_a_blank_area_was_not_treated_and_a_started_one_needs_setting_passes_and_lot():
    blank = chart()
    assert blank.is_valid() and not blank.treated
    started = chart(endpoint="pinpoint bleeding")
    assert not started.is_valid()
    assert set(started.errors) == {"device_setting_mm", "passes", "cartridge_lot"}


def test_two_values_for_one_field_are_refused_not_read_as_the_last():
    data = QueryDict(mutable=True)
    data.update({"cheeks-device_setting_mm": "0.5", "cheeks-passes": "2"})
    data.update({"cheeks-passes": "3", "cheeks-cartridge_lot": "LOT-1"})
    form = AreaChartForm(data, area="cheeks")
    assert form.errors == {"passes": [ONE_VALUE]}


def _session(*areas):
    course = SimpleNamespace(areas=list(areas), protocol=SimpleNamespace(depth_ranges={}))
    return SimpleNamespace(course=course)


def test_the_services_record_errors_land_on_the_field_of_the_area_they_are_about():
    data = {"forehead-device_setting_mm": "0.5", "forehead-passes": "2",
            "forehead-cartridge_lot": "LOT-1", "chin-device_setting_mm": "0.25",
            "chin-passes": "1", "chin-cartridge_lot": "LOT-2"}  # fmt: skip
    form = ChartForm(_session("cheeks", "forehead", "chin"), data)
    assert form.is_valid()
    assert [r.area for r in form.records()] == ["forehead", "chin"]
    form.add_service_errors(
        Invalid(
            "The chart needs changes.",
            fields={"records.1.passes": ["From 1 to 20 passes."], "records": ["Chart it all."]},
        )
    )
    cheeks, forehead, chin = form.areas
    assert chin.errors == {"passes": ["From 1 to 20 passes."]}
    assert not cheeks.errors and not forehead.errors
    assert form.non_form_errors() == ["The chart needs changes.", "Chart it all."]


def test_a_chart_with_no_area_treated_is_refused():
    form = ChartForm(_session("cheeks"), {"cheeks-device_setting_mm": ""})
    assert not form.is_valid()
    assert form.non_form_errors() == ["Chart at least one area treated today."]


# --- Times -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "instant"),
    [
        ("2026-03-30T14:00", dt.datetime(2026, 3, 30, 13, tzinfo=UTC)),  # BST
        ("2026-03-02 09:30", dt.datetime(2026, 3, 2, 9, 30, tzinfo=UTC)),  # GMT
        ("2026-03-29T01:30", dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),  # in the gap: 02:30 BST
        ("2026-10-25T01:30", dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # the fold: the first
    ],
)
def test_a_move_is_typed_on_the_clinics_wall_clock(settings, typed, instant):
    settings.CLINIC_TIME_ZONE = "Europe/London"
    form = MoveForm({"starts_at": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["starts_at"] == instant


@pytest.mark.parametrize(
    "typed",
    ["", "2027-02-30T10:00", "9999-12-31T23:59", "0001-01-01T00:00", "2026-03-30T10:00+01:00",
     "NaN", "\x00", "2026-03-30T25:00"],
)  # fmt: skip
def test_a_move_to_no_real_time_is_refused(typed):
    assert list(MoveForm({"starts_at": typed}).errors) == ["starts_at"]


@pytest.mark.parametrize(
    ("starts_at", "valid"),
    [
        ("2026-03-09T10:00:00+00:00", True),
        ("2026-03-09T10:00", True),  # typed in its box: the clinic's wall clock
        ("2026-03-09T10:00:00", True),
        ("2026-02-30T10:00:00+00:00", False),
        ("9999-12-31T23:59:00-05:00", False),
        ("2026-03-09T10:00:00+25:00", False),
        ("\x00", False),
    ],
)
def test_the_proposal_is_booked_only_with_real_times(db, starts_at, valid):
    form = BookForm({"starts_at": [starts_at], "room": ["1"]})
    assert ("starts_at" not in form.errors) is valid


def test_a_proposal_needs_a_room_for_every_start(db):
    form = BookForm(
        QueryDict(
            "starts_at=2026-03-09T10:00:00%2B00:00&starts_at=2026-04-06T10:00:00%2B01:00&room=1"
        )
    )
    assert not form.is_valid()
    assert form.non_field_errors() == ["Give a start and a room for every session."]


def test_a_cancellation_reason_fits_its_column():
    max_length = Session._meta.get_field("cancel_reason").max_length
    who = {"initiated_by": "patient"}
    assert CancelForm({"reason": "r" * max_length, **who}).is_valid()
    assert list(CancelForm({"reason": "r" * (max_length + 1), **who}).errors) == ["reason"]
    assert list(CancelForm({"reason": "Unwell\x00", **who}).errors) == ["reason"]
    assert list(CancelForm({"reason": "  ", **who}).errors) == ["reason"]


def test_a_cancellation_says_who_asked_for_it():
    assert CancelForm({"reason": "Unwell"}).errors["initiated_by"] == [
        "Say who asked: the patient or the clinic."
    ]
    assert list(CancelForm({"reason": "Unwell", "initiated_by": "staff"}).errors) == [
        "initiated_by"
    ]


def test_course_numbers_refuse_nan_and_lists(db):
    data = QueryDict("sessions=NaN&interval_days=28&interval_days=7")
    form = CourseForm(data)
    assert form.errors["sessions"] and form.errors["interval_days"] == [ONE_VALUE]


# --- The pages ----------------------------------------------------------------------------------


@pytest.fixture
def checked_in(db, clinic, front_desk_user, practitioner_user, acne_protocol, front_desk_client):
    [session] = clinic.book(
        starts=[START], protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )
    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        patient_services.intake_submit(
            patient=session.patient, answers=clear_answers(), areas=["cheeks"], by=front_desk_user
        )
        front_desk_client.post(f"/sessions/{session.public_id}/check-in/", form_data())
        session.refresh_from_db()
        assert session.status == "checked_in"
        yield session


def complete(client, session, **values):
    return client.post(
        f"/sessions/{session.public_id}/complete/",
        {f"cheeks-{k}": v for k, v in {**GOOD, **values}.items()},
    )


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("cartridge_lot", "L" * 61, "at most 60 characters"),
        ("device_setting_mm", "NaN", "Enter a number."),
        ("device_setting_mm", "Infinity", "Enter a number."),
        ("notes", "swelling\x00", "Null characters are not allowed."),
    ],
)
def test_a_refused_chart_comes_back_as_a_400_with_the_message_by_the_field_and_saves_nothing(
    checked_in, practitioner_client, field, typed, message
):
    response = complete(practitioner_client, checked_in, **{field: typed})
    assert response.status_code == 400
    area = response.context["chart"].areas[0]
    assert message in " ".join(area.errors[field])
    page = response.content.decode()
    assert f'id="id_cheeks-{field}_error"' in page
    assert 'value="LOT-1"' in page or field == "cartridge_lot"  # what was typed is kept
    assert not SessionRecord.objects.exists()
    checked_in.refresh_from_db()
    assert checked_in.status == "checked_in"


def test_a_good_chart_completes_the_session(checked_in, practitioner_client):
    response = complete(practitioner_client, checked_in, endpoint="pinpoint bleeding")
    assert response.status_code == 302
    record = SessionRecord.objects.get()
    assert (record.area, record.device_setting_mm, record.passes) == ("cheeks", 0.5, 2)


def test_cancelling_with_a_nul_byte_in_the_reason_says_why_and_changes_nothing(
    checked_in, front_desk_client
):
    url = f"/sessions/{checked_in.public_id}/cancel/"
    response = front_desk_client.post(url, {"reason": "Unwell\x00"}, follow=True)
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    checked_in.refresh_from_db()
    assert checked_in.status == "checked_in" and checked_in.cancel_reason == ""


def test_a_move_to_30_february_says_why_and_changes_nothing(checked_in, front_desk_client):
    before = checked_in.starts_at
    url = f"/sessions/{checked_in.public_id}/move/"
    response = front_desk_client.post(url, {"starts_at": "2027-02-30T10:00"}, follow=True)
    assert "Enter a date and time" in response.content.decode()
    checked_in.refresh_from_db()
    assert checked_in.starts_at == before
