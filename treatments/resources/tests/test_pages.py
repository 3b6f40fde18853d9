"""The Clinic setup pages: managers only, every problem in one round, the strand list with its
links and the button that moves them, protocol versions, and queries that do not grow with the
rows (issue 11)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import AuditEvent, Role
from clinic.tests.factories import UserFactory
from treatments.scheduling.models import Protocol, Session, TimeOff
from treatments.scheduling.tests.factories import (
    DeviceFactory,
    PractitionerFactory,
    RoomFactory,
    WorkingHoursFactory,
)

from .conftest import NOW, at, local
from .factories import OutageFactory, TimeOffFactory

pytestmark = pytest.mark.django_db


def _url(name, *args):
    return reverse(f"treatments:{name}", args=args)


def _pages(clinic) -> list[str]:
    """Every setup page, with ids that exist."""
    hours = clinic.practitioner.working_hours.first()
    off = TimeOffFactory(practitioner=clinic.practitioner)
    outage = OutageFactory(device=clinic.device)
    protocol = Protocol.objects.current().first()
    p, d = clinic.practitioner.pk, clinic.device.pk
    return [
        _url("setup"),
        _url("setup_practitioner_new"),
        _url("setup_practitioner", p),
        _url("setup_hours_new", p),
        _url("setup_hours", hours.pk),
        _url("setup_hours_remove", hours.pk),
        _url("setup_time_off_new", p),
        _url("setup_time_off", off.pk),
        _url("setup_time_off_remove", off.pk),
        _url("setup_room_new"),
        _url("setup_room", clinic.rooms[0].pk),
        _url("setup_device_new"),
        _url("setup_device", d),
        _url("setup_outage_new", d),
        _url("setup_outage", outage.pk),
        _url("setup_outage_remove", outage.pk),
        _url("setup_protocol", protocol.pk),
    ]


def test_a_manager_opens_every_setup_page(clinic, manager_client):
    for url in _pages(clinic):
        response = manager_client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("role", ["front_desk_client", "practitioner_client"])
def test_other_staff_get_403_on_every_setup_page_and_change_nothing(clinic, request, role):
    client = request.getfixturevalue(role)
    pages = _pages(clinic)
    before = AuditEvent.objects.count(), TimeOff.objects.count()
    for url in pages:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"name": "X", "move_affected": "on"}).status_code == 403, url
    assert (AuditEvent.objects.count(), TimeOff.objects.count()) == before


def test_the_nav_links_to_setup_for_managers_only(manager_client, front_desk_client):
    link = f'href="{_url("setup")}"'
    assert link in manager_client.get("/").content.decode()
    assert link not in front_desk_client.get("/").content.decode()


def test_the_setup_page_lists_each_kind_of_resource(clinic, manager_client):
    TimeOffFactory(
        practitioner=clinic.practitioner,
        starts_at=dt.datetime(2099, 6, 1, 8, tzinfo=dt.UTC),
        ends_at=dt.datetime(2099, 6, 2, 8, tzinfo=dt.UTC),
    )
    body = manager_client.get(_url("setup")).content.decode()
    for text in (
        "Priya Shah",
        "Monday 09:00–17:00",
        "Mon 1 Jun 2099, 09:00",  # time off ahead, on the clinic's clock (BST)
        "Room A",
        "Pen 1",
        "Atrophic acne scars",
        "1 of 1",  # version 1 of 1
    ):
        assert text in body, text


# --- Forms -----------------------------------------------------------------------------------


def test_a_refused_form_shows_every_problem_at_once(manager_client):
    DeviceFactory(serial="SP-1")
    response = manager_client.post(
        _url("setup_device_new"), {"name": "", "model": "", "serial": "s" * 101}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "model", "serial"}
    # Rules only the service knows come back on their fields too, all at once.
    response = manager_client.post(
        _url("setup_device_new"), {"name": " ", "model": "M", "serial": "sp-1"}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "serial"}
    assert "There are 2 problems" in response.content.decode()


def test_a_new_room_is_saved_and_shown(manager_client):
    response = manager_client.post(_url("setup_room_new"), {"name": "Room C", "active": "on"})
    assert response.status_code == 302
    assert "Room C" in manager_client.get(response["Location"]).content.decode()


def test_hours_are_typed_on_the_clinics_clock(clinic, manager_client):
    response = manager_client.post(
        _url("setup_hours_new", clinic.practitioner.pk),
        {"weekday": "5", "start": "10:00", "end": "09:00"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"end": ["Must be after the start, on the same day."]}
    response = manager_client.post(
        _url("setup_hours_new", clinic.practitioner.pk),
        {"weekday": "5", "start": "10:00", "end": "14:00"},
    )
    assert response.status_code == 302
    assert clinic.practitioner.working_hours.filter(weekday=5).exists()


def test_a_practitioner_is_added_from_the_unlinked_practitioner_accounts(manager_client):
    account = UserFactory(username="ada", role=Role.PRACTITIONER, first_name="Ada")
    desk = UserFactory(username="desk2", role=Role.FRONT_DESK)
    page = manager_client.get(_url("setup_practitioner_new"))
    choices = {int(c[0].value) for c in page.context["form"].fields["user"].choices if c[0]}
    assert account.pk in choices and desk.pk not in choices
    response = manager_client.post(
        _url("setup_practitioner_new"), {"user": account.pk, "display_name": "Dr Ada"}
    )
    assert response.status_code == 302
    assert account.practitioner.display_name == "Dr Ada"


# --- The strand list -------------------------------------------------------------------------


def test_time_off_over_a_booking_lists_it_and_moves_it_when_confirmed(clinic, book, manager_client):
    [session] = book(local(2026, 3, 10, 10), first_name="Ann")
    url = _url("setup_time_off_new", clinic.practitioner.pk)
    data = {"starts_at": "2026-03-10T00:00", "ends_at": "2026-03-11T00:00", "reason": "Course"}
    with at(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)):
        refused = manager_client.post(url, data)
        assert refused.status_code == 409
        body = refused.content.decode()
        assert "This would strand 1 booked session" in body
        assert f'href="{_url("session", session.public_id)}"' in body
        assert "Ann Doe" in body and "Tue 10 Mar 2026, 10:00–12:00" in body
        assert 'name="move_affected" value="on"' in body
        assert not TimeOff.objects.exists()
        assert AuditEvent.objects.filter(
            action="list", object_ids__contains=[str(session.pk)], detail__page="strand list"
        ).exists()

        moved = manager_client.post(url, {**data, "move_affected": "on"}, follow=True)
    assert moved.status_code == 200
    text = moved.content.decode()
    assert "Moved 1 session (their reminders follow): Ann Doe to Wed 11 Mar 2026, 09:00" in text
    assert Session.objects.get(pk=session.pk).starts_at == local(2026, 3, 11, 9)
    assert TimeOff.objects.get().reason == "Course"


def test_a_session_that_cannot_be_moved_is_named_and_nothing_changes(
    clinic, book, manager_client, practitioner_user
):
    bea, _ = book(
        local(2026, 3, 10, 13), local(2026, 3, 24, 13), first_name="Bea", interval_days=14
    )
    url = _url("setup_time_off_new", clinic.practitioner.pk)
    data = {"starts_at": "2026-03-10T00:00", "ends_at": "2026-03-11T00:00", "move_affected": "on"}
    with at(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)):
        response = manager_client.post(url, data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Nothing was changed" in body
    assert "Bea Doe&#x27;s session on Tue 10 Mar 2026, 13:00 could not be moved" in body
    assert 'name="move_affected"' not in body
    assert not TimeOff.objects.exists()


def test_a_room_taken_out_of_use_asks_before_moving_its_sessions(clinic, book, manager_client):
    [session] = book(local(2026, 3, 10, 10))
    url = _url("setup_room", clinic.rooms[0].pk)
    with at(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)):
        assert manager_client.post(url, {"name": "Room A"}).status_code == 409
        assert (
            manager_client.post(url, {"name": "Room A", "move_affected": "on"}).status_code == 302
        )
    session.refresh_from_db()
    assert session.room == clinic.rooms[1]


# --- Protocols -------------------------------------------------------------------------------


def _protocol_data(protocol: Protocol, **changes) -> dict:
    from treatments.resources.forms import ProtocolForm

    data = {k: v for k, v in ProtocolForm.initial_for(protocol).items() if v is not None}
    return {**data, **changes}


def test_saving_a_protocol_makes_a_new_version_with_its_history(manager_client):
    first = Protocol.objects.current().get(indication="acne_scars")
    response = manager_client.post(
        _url("setup_protocol", first.pk),
        _protocol_data(first, session_minutes="100", **{"depth-cheeks-max": "2.2"}),
    )
    assert response.status_code == 302
    second = Protocol.objects.current().get(indication="acne_scars")
    assert response["Location"] == _url("setup_protocol", second.pk)
    assert (second.version, second.session_minutes) == (2, 100)
    assert second.depth_ranges["cheeks"]["max"] == 2.2
    assert second.depth_ranges["forehead"] == first.depth_ranges["forehead"]

    old = manager_client.get(_url("setup_protocol", first.pk))
    assert "Superseded" in old.content.decode()
    assert 'id="setup-form"' not in old.content.decode()
    assert (
        manager_client.post(_url("setup_protocol", first.pk), _protocol_data(first)).status_code
        == 409
    )
    history = manager_client.get(_url("setup_protocol", second.pk)).context["history"]
    assert [v.version for v in history] == [2, 1]


def test_a_protocol_form_shows_every_problem_at_once(manager_client):
    first = Protocol.objects.current().get(indication="acne_scars")
    data = _protocol_data(
        first,
        default_sessions="0",
        **{"depth-cheeks-max": "", "depth-nose-low": "", "depth-neck-max": "2.9"},
    )
    response = manager_client.post(_url("setup_protocol", first.pk), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"default_sessions", "depth-cheeks-max", "depth-nose-low"} <= set(errors)
    assert Protocol.objects.filter(indication="acne_scars").count() == 1


# --- Queries ---------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _more_of_everything(clinic, book):
    for n in range(4):
        practitioner = PractitionerFactory()
        WorkingHoursFactory(practitioner=practitioner)
        TimeOffFactory(
            practitioner=practitioner, starts_at=dt.datetime(2026, 5, 1 + n, tzinfo=dt.UTC)
        )
        RoomFactory(name=f"Extra {n}")
        device = DeviceFactory()
        OutageFactory(device=device, starts_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
        TimeOffFactory(
            practitioner=clinic.practitioner,
            starts_at=dt.datetime(2026, 6, 1 + 3 * n, tzinfo=dt.UTC),
        )
        OutageFactory(
            device=clinic.device, starts_at=dt.datetime(2026, 6, 1 + 3 * n, tzinfo=dt.UTC)
        )
    book(dt.datetime(2026, 4, 6, 10, tzinfo=dt.UTC))  # a Monday, within the horizon


def test_the_setup_pages_cost_the_same_queries_for_one_row_or_many(clinic, book, manager_client):
    """The setup page: the login's session and its user with their groups (2, clinic.backends);
    practitioners with their accounts, their hours, their time off ahead, rooms with their
    sessions ahead, devices with theirs, their outages ahead, the current protocols (7); the
    session is saved at most once a minute, not on these requests. A practitioner's or a
    device's page lists its rows in a fixed number of queries too."""
    urls = [
        _url("setup"),
        _url("setup_practitioner", clinic.practitioner.pk),
        _url("setup_device", clinic.device.pk),
    ]
    with at(NOW):  # the rows below are "ahead" of this clock
        manager_client.get(urls[0])  # the login, on the real clock, is renewed at NOW first
        few = [_queries(manager_client, url) for url in urls]
    _more_of_everything(clinic, book)
    with at(NOW):
        many = [_queries(manager_client, url) for url in urls]
    assert many == few
    assert few[0] == 9
