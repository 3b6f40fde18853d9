"""The calendar pages: a practitioner's week, the front desk's day and a session's page.

Blocks are placed by the local wall clock in Europe/London (pytest.ini): `top` is minutes below
the grid's first hour (07:00) and `length` is minutes tall.
"""

import datetime as dt
import re
from datetime import UTC

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import AuditEvent
from treatments.scheduling.models import Practitioner, Session, WorkingHours
from treatments.scheduling.views import Column, place

from .factories import DeviceFactory, PractitionerFactory, RoomFactory, session_at

pytestmark = pytest.mark.django_db

CALENDAR = "/calendar/"
DAY = "/day/"


@pytest.fixture
def practitioner(practitioner_user):
    practitioner = PractitionerFactory(user=practitioner_user, display_name="Priya Shah")
    for weekday in range(5):
        WorkingHours.objects.create(
            practitioner=practitioner, weekday=weekday, start=dt.time(9), end=dt.time(17)
        )
    return practitioner


def at(year, month, day, hour, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def placed(response) -> list[tuple[str, str, int, int]]:
    """(column title, patient, top, length) for every block on the page's grid."""
    return [
        (column.title, p.session.patient.first_name, p.top, p.length)
        for column in response.context["grid"].columns
        for p in column.items
    ]


# --- The week ----------------------------------------------------------------------------------


def test_a_practitioner_sees_their_own_week(practitioner_client, practitioner):
    session = session_at(practitioner, at(2026, 3, 3, 10), first_name="Ada", last_name="Byron")

    response = practitioner_client.get(CALENDAR, {"week": "2026-03-03"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ada Byron" in html
    assert "10:00–11:30" in html
    assert f"Session {session.number}" in html
    assert 'class="status-booked"' in html
    assert f'href="/sessions/{session.public_id}/"' in html


def test_a_session_is_placed_by_its_local_start_and_sized_by_its_length(
    practitioner_client, practitioner
):
    session_at(practitioner, at(2026, 3, 3, 10), minutes=90, first_name="Ada")
    session_at(practitioner, at(2026, 3, 5, 14, 15), minutes=30, first_name="Bea")

    response = practitioner_client.get(CALENDAR, {"week": "2026-03-03"})

    assert placed(response) == [("Tue", "Ada", 180, 90), ("Thu", "Bea", 435, 30)]
    assert "--top: 180; --len: 90;" in response.content.decode()


def test_the_week_runs_monday_to_sunday_around_any_day_given(practitioner_client, practitioner):
    response = practitioner_client.get(CALENDAR, {"week": "2026-03-05"})

    columns = response.context["grid"].columns
    assert [c.title for c in columns] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert [c.subtitle for c in columns] == [f"{d} Mar" for d in range(2, 9)]
    assert response.context["week_start"] == dt.date(2026, 3, 2)


def test_a_10_00_session_stays_at_10_00_when_the_clocks_go_back(practitioner_client, practitioner):
    # Clocks go back at 02:00 BST on Sunday 25 October 2026 (a 25-hour day).
    session_at(practitioner, at(2026, 10, 24, 9), first_name="Sat")  # 10:00 BST
    session_at(practitioner, at(2026, 10, 25, 10), first_name="Sun")  # 10:00 GMT
    session_at(practitioner, at(2026, 10, 26, 10), first_name="Mon")  # 10:00 GMT

    week = practitioner_client.get(CALENDAR, {"week": "2026-10-25"})
    next_week = practitioner_client.get(CALENDAR, {"week": "2026-10-26"})

    assert placed(week) == [("Sat", "Sat", 180, 90), ("Sun", "Sun", 180, 90)]
    assert placed(next_week) == [("Mon", "Mon", 180, 90)]
    assert week.content.decode().count("10:00–11:30") == 2
    assert "10:00–11:30" in next_week.content.decode()


def test_a_10_00_session_stays_at_10_00_when_the_clocks_go_forward(
    practitioner_client, practitioner
):
    # Clocks go forward at 01:00 GMT on Sunday 29 March 2026 (a 23-hour day).
    session_at(practitioner, at(2026, 3, 28, 10), first_name="Sat")  # 10:00 GMT
    session_at(practitioner, at(2026, 3, 29, 9), first_name="Sun")  # 10:00 BST
    session_at(practitioner, at(2026, 3, 30, 9), first_name="Mon")  # 10:00 BST

    week = practitioner_client.get(CALENDAR, {"week": "2026-03-29"})
    next_week = practitioner_client.get(CALENDAR, {"week": "2026-03-30"})

    assert placed(week) == [("Sat", "Sat", 180, 90), ("Sun", "Sun", 180, 90)]
    assert placed(next_week) == [("Mon", "Mon", 180, 90)]


def test_a_session_across_the_clocks_going_back_is_drawn_by_its_wall_clock(
    practitioner_client, practitioner
):
    # 00:30 BST to 01:30 GMT: two hours of real time, 00:30-01:30 on the wall clock.
    session_at(practitioner, at(2026, 10, 24, 23, 30), minutes=120, first_name="Night")

    response = practitioner_client.get(CALENDAR, {"week": "2026-10-25"})

    grid = response.context["grid"]
    assert grid.first_hour == 0  # the grid grows to show it
    assert placed(response) == [("Sun", "Night", 30, 60)]
    assert "00:30–01:30" in response.content.decode()


def test_the_grid_spans_7_to_21_and_grows_for_earlier_or_later_sessions(
    practitioner_client, practitioner
):
    usual = practitioner_client.get(CALENDAR, {"week": "2026-03-02"}).context["grid"]
    session_at(practitioner, at(2026, 3, 3, 6, 30), minutes=60)
    session_at(practitioner, at(2026, 3, 4, 20, 30), minutes=60)
    grown = practitioner_client.get(CALENDAR, {"week": "2026-03-02"}).context["grid"]

    assert (usual.first_hour, usual.last_hour) == (7, 21)
    assert usual.hours[0] == "07:00" and usual.hours[-1] == "20:00"
    assert (grown.first_hour, grown.last_hour) == (6, 22)


def test_overlapping_blocks_share_the_column_side_by_side(practitioner_client, practitioner):
    session_at(practitioner, at(2026, 3, 3, 10), status=Session.Status.NO_SHOW, first_name="A")
    session_at(practitioner, at(2026, 3, 3, 10, 30), first_name="B")  # took the slot
    session_at(practitioner, at(2026, 3, 3, 14), first_name="C")

    grid = practitioner_client.get(CALENDAR, {"week": "2026-03-03"}).context["grid"]

    lanes = {p.session.patient.first_name: (p.lane, p.lanes) for p in grid.columns[1].items}
    assert lanes == {"A": (0, 2), "B": (1, 2), "C": (0, 1)}


def test_blocks_are_coloured_by_status(practitioner_client, practitioner):
    session_at(practitioner, at(2026, 3, 2, 10), status=Session.Status.COMPLETED)
    session_at(practitioner, at(2026, 3, 3, 10), status=Session.Status.CHECKED_IN)

    html = practitioner_client.get(CALENDAR, {"week": "2026-03-02"}).content.decode()

    assert 'class="status-completed"' in html
    assert 'class="status-checked_in"' in html


def test_cancelled_sessions_are_hidden_unless_asked_for(practitioner_client, practitioner):
    session_at(
        practitioner,
        at(2026, 3, 3, 10),
        status=Session.Status.CANCELLED,
        cancel_reason="Unwell",
        first_name="Gone",
    )

    hidden = practitioner_client.get(CALENDAR, {"week": "2026-03-03"})
    shown = practitioner_client.get(CALENDAR, {"week": "2026-03-03", "cancelled": "on"})

    assert "Gone" not in hidden.content.decode()
    assert 'class="status-cancelled"' in shown.content.decode()


def test_week_links_work_as_plain_links_and_with_htmx(practitioner_client, practitioner):
    html = practitioner_client.get(CALENDAR, {"week": "2026-03-04"}).content.decode()

    for week in ("2026-02-23", "2026-03-09"):
        url = f"/calendar/?week={week}"
        assert f'href="{url}" hx-get="{url}" hx-target="#calendar"' in html
    assert 'hx-push-url="true"' in html


def test_an_htmx_request_gets_only_the_calendar(practitioner_client, practitioner):
    session_at(practitioner, at(2026, 3, 10, 10), first_name="Ada")

    response = practitioner_client.get(
        CALENDAR, {"week": "2026-03-09"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="calendar"')
    assert "<html" not in html
    assert "Ada" in html
    assert "HX-Request" in response["Vary"]


def test_an_htmx_history_restore_gets_the_whole_page(practitioner_client, practitioner):
    response = practitioner_client.get(
        CALENDAR,
        {"week": "2026-03-09"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert "<html" in response.content.decode()


def test_day_headings_open_that_day_for_everyone(practitioner_client, practitioner):
    html = practitioner_client.get(CALENDAR, {"week": "2026-03-02"}).content.decode()

    assert 'href="/day/?date=2026-03-04"' in html


def test_the_front_desk_looks_at_any_practitioners_week(front_desk_client, practitioner):
    session_at(practitioner, at(2026, 3, 3, 10), first_name="Ada")

    response = front_desk_client.get(
        CALENDAR, {"practitioner": practitioner.pk, "week": "2026-03-03"}
    )

    assert response.status_code == 200
    assert "Ada" in response.content.decode()
    assert f'<option value="{practitioner.pk}" selected>' in response.content.decode()
    # navigation keeps the practitioner
    assert f"practitioner={practitioner.pk}" in response.context["next_url"]


def test_the_front_desk_is_asked_to_choose_a_practitioner(front_desk_client, practitioner):
    response = front_desk_client.get(CALENDAR)

    assert response.status_code == 200
    assert "Choose a practitioner" in response.content.decode()
    assert response.context["grid"].sessions == []


def test_a_practitioner_cannot_look_at_a_colleagues_week(practitioner_client, practitioner):
    colleague = PractitionerFactory(display_name="Sam Lee")

    response = practitioner_client.get(CALENDAR, {"practitioner": colleague.pk})

    assert response.status_code == 403


def test_a_practitioner_naming_themselves_sees_their_own_week(practitioner_client, practitioner):
    response = practitioner_client.get(CALENDAR, {"practitioner": practitioner.pk})

    assert response.status_code == 200
    assert response.context["practitioner"] == practitioner


def test_an_unknown_practitioner_is_a_404(front_desk_client):
    assert front_desk_client.get(CALENDAR, {"practitioner": 999999}).status_code == 404


def test_a_staff_account_without_a_practitioner_profile_is_told_so(practitioner_client):
    response = practitioner_client.get(CALENDAR)

    assert response.status_code == 200
    assert "No practitioner calendar is linked" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [{"week": "next"}, {"week": "2026-02-30"}, {"week": "0001-01-01"}, {"practitioner": "x"}],
)
def test_a_malformed_address_is_a_400(front_desk_client, params):
    response = front_desk_client.get(CALENDAR, params)

    assert response.status_code == 400
    assert "Check the address" in response.content.decode()


def test_patient_accounts_are_refused_the_calendar(patient_client):
    assert patient_client.get(CALENDAR).status_code == 403
    assert patient_client.get(DAY).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(anon_client):
    for url in (CALENDAR, DAY):
        response = anon_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_the_week_audits_each_session_shown(practitioner_client, practitioner_user, practitioner):
    shown = session_at(practitioner, at(2026, 3, 3, 10))
    session_at(practitioner, at(2026, 3, 10, 10))  # next week

    practitioner_client.get(CALENDAR, {"week": "2026-03-03"})

    events = AuditEvent.objects.filter(action="list", object_type="treatments.session")
    assert [(e.object_id, e.patient_id, e.actor_id) for e in events] == [
        (str(shown.pk), shown.patient.public_id, practitioner_user.pk)
    ]


def test_the_week_takes_the_same_queries_for_one_session_or_sixty(
    front_desk_client, practitioner, django_assert_max_num_queries
):
    params = {"practitioner": practitioner.pk, "week": "2026-03-02"}
    session_at(practitioner, at(2026, 3, 2, 7), minutes=30)
    with CaptureQueriesContext(connection) as one:
        front_desk_client.get(CALENDAR, params)
    # login session, user, roles, own practitioner profile, the chosen practitioner, the week's
    # sessions (patient, room, course... joined), practitioners for the chooser, one audit
    # INSERT, and the idle-timeout save of the login session (savepoint, update, release)
    assert len(one) <= 11, [q["sql"] for q in one.captured_queries]

    first = at(2026, 3, 3, 7)
    for n in range(59):  # 12 half-hour sessions a day, Tuesday to Saturday
        day, slot = divmod(n, 12)
        session_at(practitioner, first + dt.timedelta(days=day, minutes=30 * slot), minutes=30)
    with django_assert_max_num_queries(len(one)):
        response = front_desk_client.get(CALENDAR, params)
    assert len(response.context["grid"].sessions) == 60


def test_the_feed_address_is_shown_to_its_practitioner(practitioner_client, practitioner):
    html = practitioner_client.get(CALENDAR).content.decode()

    assert f"http://testserver/calendar/{practitioner.calendar_token}.ics" in html
    assert 'action="/calendar/rotate-feed/"' in html


def test_the_front_desk_never_sees_a_practitioners_feed_address(front_desk_client, practitioner):
    html = front_desk_client.get(CALENDAR, {"practitioner": practitioner.pk}).content.decode()

    assert practitioner.calendar_token not in html


def test_the_manager_sees_a_practitioners_feed_address(manager_client, practitioner):
    html = manager_client.get(CALENDAR, {"practitioner": practitioner.pk}).content.decode()

    assert practitioner.calendar_token in html


# --- The day -----------------------------------------------------------------------------------


def test_the_day_shows_every_active_practitioner_side_by_side(front_desk_client, practitioner):
    colleague = PractitionerFactory(display_name="Sam Lee")
    PractitionerFactory(display_name="Left Last Year", active=False)
    session_at(practitioner, at(2026, 3, 3, 10), first_name="Ada")
    session_at(colleague, at(2026, 3, 3, 11), first_name="Bea", room=RoomFactory(name="Room B"))
    session_at(colleague, at(2026, 3, 4, 11), first_name="Tomorrow")

    response = front_desk_client.get(DAY, {"date": "2026-03-03"})

    assert response.status_code == 200
    assert placed(response) == [("Priya Shah", "Ada", 180, 90), ("Sam Lee", "Bea", 240, 90)]
    assert "Left Last Year" not in response.content.decode()


def test_the_day_keeps_an_inactive_practitioner_who_still_has_sessions(
    front_desk_client, practitioner
):
    session_at(practitioner, at(2026, 3, 3, 10), first_name="Ada")
    Practitioner.objects.filter(pk=practitioner.pk).update(active=False)

    response = front_desk_client.get(DAY, {"date": "2026-03-03"})

    assert placed(response) == [("Priya Shah", "Ada", 180, 90)]
    assert "inactive" in response.content.decode()


def test_a_10_00_session_the_day_after_the_clocks_go_back_is_at_10_00_on_the_day(
    front_desk_client, practitioner
):
    session_at(practitioner, at(2026, 10, 26, 10), first_name="Mon")  # 10:00 GMT
    session_at(practitioner, at(2026, 10, 24, 9), first_name="Sat")  # 10:00 BST

    monday = front_desk_client.get(DAY, {"date": "2026-10-26"})
    saturday = front_desk_client.get(DAY, {"date": "2026-10-24"})
    sunday = front_desk_client.get(DAY, {"date": "2026-10-25"})

    assert placed(monday) == [("Priya Shah", "Mon", 180, 90)]
    assert placed(saturday) == [("Priya Shah", "Sat", 180, 90)]
    assert placed(sunday) == []


def test_day_links_work_as_plain_links_and_with_htmx(front_desk_client, practitioner):
    html = front_desk_client.get(DAY, {"date": "2026-03-01"}).content.decode()

    for day in ("2026-02-28", "2026-03-02"):
        url = f"/day/?date={day}"
        assert f'href="{url}" hx-get="{url}" hx-target="#calendar"' in html
    partial = front_desk_client.get(DAY, {"date": "2026-03-02"}, headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<section id="calendar"')


def test_column_headings_open_that_practitioners_week(front_desk_client, practitioner):
    html = front_desk_client.get(DAY, {"date": "2026-03-03"}).content.decode()

    assert f'href="/calendar/?practitioner={practitioner.pk}&amp;week=2026-03-03"' in html


def test_the_day_defaults_to_today_in_the_clinic(front_desk_client, practitioner):
    # 23:30 UTC on 31 May is already 1 June in London.
    with time_machine.travel(at(2026, 5, 31, 23, 30), tick=False):
        response = front_desk_client.get(DAY)

    assert response.context["the_day"] == dt.date(2026, 6, 1)
    assert response.context["is_today"] is True


def test_a_malformed_date_is_a_400(front_desk_client):
    assert front_desk_client.get(DAY, {"date": "01/03/2026"}).status_code == 400


def test_the_day_audits_each_session_shown(front_desk_client, practitioner):
    session = session_at(practitioner, at(2026, 3, 3, 10))

    front_desk_client.get(DAY, {"date": "2026-03-03"})

    events = AuditEvent.objects.filter(action="list", object_type="treatments.session")
    assert [e.object_id for e in events] == [str(session.pk)]


def test_the_day_takes_the_same_queries_for_one_session_or_sixty(
    front_desk_client, practitioner, django_assert_max_num_queries
):
    session_at(practitioner, at(2026, 3, 3, 7), minutes=15)
    with CaptureQueriesContext(connection) as one:
        front_desk_client.get(DAY, {"date": "2026-03-03"})
    # login session, user, roles, own practitioner profile, the day's sessions, the
    # practitioners, one audit INSERT, the login session's save (savepoint, update, release)
    assert len(one) <= 10, [q["sql"] for q in one.captured_queries]

    for n in range(4):
        colleague = PractitionerFactory(display_name=f"Colleague {n}")
        room = RoomFactory(name=f"Room {n}")
        for slot in range(15):
            start = at(2026, 3, 3, 8) + dt.timedelta(minutes=30 * slot)
            session_at(colleague, start, room=room, minutes=30)
    with django_assert_max_num_queries(len(one)):
        response = front_desk_client.get(DAY, {"date": "2026-03-03"})
    assert len(response.context["grid"].sessions) == 61
    assert len(response.context["grid"].columns) == 5


# --- One session -------------------------------------------------------------------------------


def test_the_session_page_shows_the_session_in_local_time(front_desk_client, practitioner):
    device = DeviceFactory(name="Pen 7", serial="SN-77")
    session = session_at(
        practitioner,
        at(2026, 6, 2, 9),  # 10:00 BST
        first_name="Ada",
        last_name="Byron",
        device=device,
        room=RoomFactory(name="Room C"),
    )

    response = front_desk_client.get(f"/sessions/{session.public_id}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/patients/{session.patient.public_id}/">Ada Byron</a>' in html
    assert "Tuesday 2 June 2026, 10:00–11:30" in html
    assert "BST" in html and "Europe/London" in html
    assert "Atrophic acne scars" in html
    assert "cheeks, forehead" in html
    assert "Room C" in html
    assert "Pen 7" in html and "SN-77" in html
    assert 'class="badge status-booked"' in html
    assert f'href="/sessions/{session.public_id}.ics"' in html
    assert f"/calendar/?practitioner={practitioner.pk}&amp;week=2026-06-02" in html


def test_the_session_page_shows_why_a_session_was_cancelled(front_desk_client, practitioner):
    session = session_at(
        practitioner,
        at(2026, 6, 2, 9),
        status=Session.Status.CANCELLED,
        cancel_reason="Patient unwell",
    )

    html = front_desk_client.get(f"/sessions/{session.public_id}/").content.decode()

    assert "Patient unwell" in html
    assert "Cancelled" in html


def test_viewing_a_session_is_audited(front_desk_client, front_desk_user, practitioner):
    session = session_at(practitioner, at(2026, 6, 2, 9))

    front_desk_client.get(f"/sessions/{session.public_id}/")

    event = AuditEvent.objects.get(action="view")
    assert (event.object_type, event.object_id) == ("treatments.session", str(session.pk))
    assert event.patient_id == session.patient.public_id
    assert event.actor_id == front_desk_user.pk


def test_an_unknown_session_is_a_404(front_desk_client):
    response = front_desk_client.get("/sessions/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404


def test_the_session_page_is_for_staff_only(patient_client, anon_client, practitioner):
    session = session_at(practitioner, at(2026, 6, 2, 9))
    url = f"/sessions/{session.public_id}/"

    assert patient_client.get(url).status_code == 403
    assert anon_client.get(url).status_code == 302


# --- Placement, without the database -----------------------------------------------------------


def test_a_session_running_past_midnight_is_cut_at_the_end_of_its_day():
    class FakeSession:
        starts_at = at(2026, 3, 3, 23)
        ends_at = at(2026, 3, 4, 1)

    columns = {dt.date(2026, 3, 3): Column(title="Tue")}

    grid = place([FakeSession()], columns, lambda s, local_start: local_start.date())

    [block] = grid.columns[0].items
    assert (block.top, block.length) == (23 * 60 - 7 * 60, 60)
    assert (grid.first_hour, grid.last_hour) == (7, 24)


def test_hour_labels_match_the_grid_rows():
    grid = place([], {"x": Column(title="x")}, lambda s, local_start: "x")

    assert grid.rows == 14
    assert len(grid.hours) == grid.rows
    assert re.fullmatch(r"\d\d:00", grid.hours[3])


# --- In a browser ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_practitioner_pages_through_weeks_on_a_tablet(live_server, login, page):
    from playwright.sync_api import expect

    from clinic.models import Role
    from clinic.tests.factories import UserFactory

    user = UserFactory(username="priya", role=Role.PRACTITIONER, first_name="Priya")
    practitioner = PractitionerFactory(user=user, display_name="Priya Shah")
    session_at(practitioner, at(2026, 3, 10, 10), first_name="Ada", last_name="Byron")
    page.set_viewport_size({"width": 768, "height": 1024})
    login(user)
    page.goto(f"{live_server.url}/calendar/?week=2026-03-03")
    page.evaluate("window.notReloaded = true")

    page.get_by_role("link", name="Next week ›").click()

    expect(page.get_by_text("Ada Byron")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/calendar/\?week=2026-03-09$"))
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the grid in place
    # The block's top edge sits on the 10:00 line: three hours below 07:00.
    block = page.locator(".cal-event").bounding_box()
    column = page.locator(".cal-col").nth(1).bounding_box()
    hour = page.locator(".cal-hour").first.bounding_box()["height"]
    assert abs(block["y"] - column["y"] - 3 * hour) < 2
    assert abs(block["height"] - 1.5 * hour) < 2
    # Narrow screen: the week scrolls sideways inside its box; the page itself does not.
    assert page.locator(".cal-scroll").evaluate("e => e.scrollWidth > e.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.go_back()
    expect(page).to_have_url(re.compile(r"week=2026-03-03$"))
    page.get_by_role("link", name="Next week ›").click()
    page.get_by_text("Ada Byron").click()
    expect(page.get_by_role("heading", name=re.compile("Session"))).to_be_visible()
    expect(page.get_by_text("Tuesday 10 March 2026, 10:00–11:30")).to_be_visible()
