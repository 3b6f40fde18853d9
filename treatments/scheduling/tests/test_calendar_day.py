"""The front desk's day calendar, a session's page, block placement and the calendar in a
browser.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import AuditEvent
from treatments.scheduling.models import Practitioner, Session
from treatments.scheduling.views import Column, place

from .calendar_helpers import DAY, at, placed
from .factories import DeviceFactory, PractitionerFactory, RoomFactory, session_at

pytestmark = pytest.mark.django_db


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
    assert [e.object_ids for e in events] == [[str(session.pk)]]


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
    # The block's place comes from static/js/clinic.js once htmx has swapped it in: wait for
    # it (on a busy machine the text shows a moment before) rather than measure too soon.
    # (A locator's expectation, not page.wait_for_function: the CSP refuses string eval.)
    expect(page.locator(".cal-event")).to_have_attribute("style", re.compile(r"--top:"))
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
