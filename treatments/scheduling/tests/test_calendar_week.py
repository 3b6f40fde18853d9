"""The practitioner's week calendar.

Blocks are placed by the local wall clock in Europe/London (pytest.ini): `top` is minutes below
the grid's first hour (07:00) and `length` is minutes tall.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import AuditEvent
from treatments.scheduling.models import Session

from .calendar_helpers import CALENDAR, DAY, at, placed
from .factories import PractitionerFactory, session_at

pytestmark = pytest.mark.django_db


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
    # Set as CSS custom properties by static/js/clinic.js (no inline style under the CSP).
    assert 'data-css-vars="top:180;len:90;lane:0;lanes:1"' in response.content.decode()


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
    assert [(e.object_ids, e.patient_id, e.actor_id) for e in events] == [
        ([str(shown.pk)], shown.patient.public_id, practitioner_user.pk)
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
