"""The setup API: managers only, writes through the services, a 409 that lists the sessions a
change would strand, and lists whose queries do not grow with the rows (issue 11)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from clinic.models import Role
from clinic.tests.factories import UserFactory
from treatments.scheduling.models import Device, Protocol, Room, Session, TimeOff
from treatments.scheduling.tests.factories import (
    DeviceFactory,
    PractitionerFactory,
    RoomFactory,
    WorkingHoursFactory,
)

from .conftest import at, local
from .factories import OutageFactory, TimeOffFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


def _endpoints(clinic) -> list[tuple[str, str]]:
    """Every setup endpoint and method, with ids that exist."""
    hours = clinic.practitioner.working_hours.first()
    off = TimeOffFactory(practitioner=clinic.practitioner)
    outage = OutageFactory(device=clinic.device)
    protocol = Protocol.objects.current().first()
    p, d = clinic.practitioner.pk, clinic.device.pk
    return [
        ("get", "/api/setup/practitioners/"),
        ("post", "/api/setup/practitioners/"),
        ("get", f"/api/setup/practitioners/{p}/"),
        ("patch", f"/api/setup/practitioners/{p}/"),
        ("post", f"/api/setup/practitioners/{p}/working-hours/"),
        ("patch", f"/api/setup/working-hours/{hours.pk}/"),
        ("delete", f"/api/setup/working-hours/{hours.pk}/"),
        ("get", f"/api/setup/practitioners/{p}/time-off/"),
        ("post", f"/api/setup/practitioners/{p}/time-off/"),
        ("patch", f"/api/setup/time-off/{off.pk}/"),
        ("delete", f"/api/setup/time-off/{off.pk}/"),
        ("get", "/api/setup/rooms/"),
        ("post", "/api/setup/rooms/"),
        ("get", f"/api/setup/rooms/{clinic.rooms[0].pk}/"),
        ("patch", f"/api/setup/rooms/{clinic.rooms[0].pk}/"),
        ("get", "/api/setup/devices/"),
        ("post", "/api/setup/devices/"),
        ("get", f"/api/setup/devices/{d}/"),
        ("patch", f"/api/setup/devices/{d}/"),
        ("get", f"/api/setup/devices/{d}/outages/"),
        ("post", f"/api/setup/devices/{d}/outages/"),
        ("patch", f"/api/setup/outages/{outage.pk}/"),
        ("delete", f"/api/setup/outages/{outage.pk}/"),
        ("get", "/api/setup/protocols/"),
        ("get", f"/api/setup/protocols/{protocol.pk}/"),
        ("post", f"/api/setup/protocols/{protocol.pk}/versions/"),
    ]


@pytest.mark.parametrize(("role", "status"), [
    ("front_desk_client", 403), ("practitioner_client", 403), ("patient_client", 404),
    ("anon_client", 401),
])  # fmt: skip
def test_only_managers_reach_the_setup_api(clinic, request, role, status):
    client = request.getfixturevalue(role)
    endpoints = _endpoints(clinic)
    before = TimeOff.objects.count(), Room.objects.count()
    for method, url in endpoints:
        response = getattr(client, method)(url, {"name": "X", "active": False}, format="json")
        assert response.status_code == status, (method, url, response.status_code)
        assert response.json()["error"]["status"] == status
    assert (TimeOff.objects.count(), Room.objects.count()) == before


def test_a_manager_reaches_every_setup_endpoint(clinic, manager_client):
    for method, url in _endpoints(clinic):
        if method == "get":
            assert manager_client.get(url).status_code == 200, url


# --- Rooms, devices, outages -----------------------------------------------------------------


def test_rooms_are_created_listed_and_renamed(manager_client):
    created = manager_client.post("/api/setup/rooms/", {"name": "Room C"}, format="json")
    assert created.status_code == 201, created.json()
    room = created.json()
    assert room == {"id": room["id"], "name": "Room C", "active": True, "upcoming_sessions": 0}
    changed = manager_client.patch(
        f"/api/setup/rooms/{room['id']}/", {"name": "Quiet room"}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "Quiet room"
    assert changed.json()["moved_sessions"] == []
    names = [r["name"] for r in manager_client.get("/api/setup/rooms/").json()["results"]]
    assert "Quiet room" in names


def test_input_is_strict_and_every_problem_comes_back(manager_client):
    DeviceFactory(serial="SP-1")
    response = manager_client.post(
        "/api/setup/devices/", {"name": " ", "model": "M", "serial": "sp-1"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"name", "serial"}
    response = manager_client.post(
        "/api/setup/rooms/", {"name": "Room Z", "active": "false"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"active": ["Must be true or false."]}


def test_an_outage_needs_times_with_their_offset(manager_client):
    device = DeviceFactory()
    url = f"/api/setup/devices/{device.pk}/outages/"
    naive = manager_client.post(
        url, {"starts_at": "2026-06-01T09:00", "ends_at": "2026-06-02T09:00"}, format="json"
    )
    assert naive.status_code == 400
    assert set(naive.json()["error"]["fields"]) == {"starts_at", "ends_at"}
    ok = manager_client.post(
        url,
        {"starts_at": "2026-06-01T09:00+01:00", "ends_at": "2026-06-02T09:00+01:00"},
        format="json",
    )
    assert ok.status_code == 201, ok.json()
    assert ok.json()["starts_at"] == "2026-06-01T08:00:00Z"
    listed = manager_client.get(url).json()["results"]
    assert [o["id"] for o in listed] == [ok.json()["id"]]


# --- Stranding -------------------------------------------------------------------------------


def test_a_stranding_change_is_a_409_with_the_sessions_then_moves_them_when_confirmed(
    clinic, book, manager_client
):
    [session] = book(local(2026, 3, 10, 10), first_name="Ann")
    url = f"/api/setup/practitioners/{clinic.practitioner.pk}/time-off/"
    body = {"starts_at": "2026-03-10T00:00:00Z", "ends_at": "2026-03-11T00:00:00Z"}
    with at(NOW):
        refused = manager_client.post(url, body, format="json")
        assert refused.status_code == 409
        error = refused.json()["error"]
        assert error["code"] == "strands_sessions"
        [listed] = error["sessions"]
        assert listed["id"] == str(session.public_id)
        assert listed["patient_name"] == "Ann Doe"
        assert listed["starts_at"] == "2026-03-10T10:00:00Z"
        assert listed["url"] == f"/sessions/{session.public_id}/"
        assert not TimeOff.objects.exists()

        moved = manager_client.post(url, {**body, "move_affected": True}, format="json")
    assert moved.status_code == 201, moved.json()
    [entry] = moved.json()["moved_sessions"]
    assert entry["moved_from"] == "2026-03-10T10:00:00Z"
    assert entry["session"]["starts_at"] == "2026-03-11T09:00:00Z"
    assert Session.objects.get(pk=session.pk).starts_at == local(2026, 3, 11, 9)


def test_a_session_that_cannot_be_moved_is_a_409_and_changes_nothing(clinic, book, manager_client):
    book(local(2026, 3, 10, 10), first_name="Ann")
    bea, _ = book(
        local(2026, 3, 10, 13), local(2026, 3, 24, 13), first_name="Bea", interval_days=14
    )
    url = f"/api/setup/practitioners/{clinic.practitioner.pk}/time-off/"
    body = {
        "starts_at": "2026-03-10T00:00:00Z",
        "ends_at": "2026-03-11T00:00:00Z",
        "move_affected": True,
    }
    with at(NOW):
        response = manager_client.post(url, body, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "cannot_move"
    assert [s["id"] for s in error["sessions"]] == [str(bea.public_id)]
    assert not TimeOff.objects.exists()
    assert Session.objects.get(patient__first_name="Ann").starts_at == local(2026, 3, 10, 10)


def test_hours_removed_with_move_affected_in_the_query_string(clinic, book, manager_client):
    [session] = book(local(2026, 3, 10, 10))
    tuesday = clinic.practitioner.working_hours.get(weekday=1)
    url = f"/api/setup/working-hours/{tuesday.pk}/"
    with at(NOW):
        assert manager_client.delete(url).status_code == 409
        assert manager_client.delete(f"{url}?move_affected=yes").status_code == 400
        response = manager_client.delete(f"{url}?move_affected=true")
    assert response.status_code == 200
    [entry] = response.json()["moved_sessions"]
    assert entry["session"]["id"] == str(session.public_id)
    assert not clinic.practitioner.working_hours.filter(weekday=1).exists()


def test_a_device_out_of_use_hands_its_sessions_over_when_confirmed(clinic, book, manager_client):
    spare = DeviceFactory(name="Pen 2")
    [session] = book(local(2026, 3, 10, 10), device=clinic.device)
    url = f"/api/setup/devices/{clinic.device.pk}/"
    with at(NOW):
        assert manager_client.patch(url, {"active": False}, format="json").status_code == 409
        response = manager_client.patch(
            url, {"active": False, "move_affected": True}, format="json"
        )
    assert response.status_code == 200, response.json()
    assert response.json()["active"] is False
    assert response.json()["moved_sessions"][0]["session"]["device"] == spare.pk
    assert not Device.objects.get(pk=clinic.device.pk).active


# --- Practitioners and hours -----------------------------------------------------------------


def test_a_practitioner_is_linked_and_given_hours(manager_client):
    account = UserFactory(username="ada", role=Role.PRACTITIONER)
    created = manager_client.post(
        "/api/setup/practitioners/",
        {"user": account.pk, "display_name": "Dr Ada"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert "calendar_token" not in created.json()
    hours = manager_client.post(
        f"/api/setup/practitioners/{pk}/working-hours/",
        {"weekday": 2, "start": "09:00", "end": "13:00"},
        format="json",
    )
    assert hours.status_code == 201, hours.json()
    clash = manager_client.post(
        f"/api/setup/practitioners/{pk}/working-hours/",
        {"weekday": 2, "start": "12:00", "end": "11:00"},
        format="json",
    )
    assert clash.status_code == 400
    assert set(clash.json()["error"]["fields"]) == {"end"}
    unknown = manager_client.post(
        "/api/setup/practitioners/", {"user": 2**62, "display_name": "X"}, format="json"
    )
    assert unknown.status_code == 400
    detail = manager_client.get(f"/api/setup/practitioners/{pk}/").json()
    assert detail["working_hours"] == [
        {"id": hours.json()["id"], "practitioner": pk, "weekday": 2,
         "start": "09:00", "end": "13:00"}
    ]  # fmt: skip


# --- Protocols -------------------------------------------------------------------------------


def test_a_protocol_version_is_made_and_the_old_one_cannot_be_edited(manager_client):
    first = Protocol.objects.current().get(indication="fine_lines")
    url = f"/api/setup/protocols/{first.pk}/versions/"
    made = manager_client.post(url, {"session_minutes": 90}, format="json")
    assert made.status_code == 201, made.json()
    assert (made.json()["version"], made.json()["is_current"]) == (2, True)
    assert made.json()["created_by"] == "boss"
    assert manager_client.post(url, {"session_minutes": 60}, format="json").status_code == 409
    bad = manager_client.post(
        f"/api/setup/protocols/{made.json()['id']}/versions/",
        {"depth_ranges": {"cheeks": {"flag_above": 3, "max": 3}}, "default_sessions": 0},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"depth_ranges", "default_sessions"}
    history = manager_client.get("/api/setup/protocols/").json()["results"]
    assert [
        (p["version"], p["is_current"]) for p in history if p["indication"] == "fine_lines"
    ] == [
        (2, True),
        (1, False),
    ]
    current = manager_client.get("/api/setup/protocols/?current=true").json()["results"]
    assert len(current) == 5


# --- Queries ---------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_setup_lists_cost_the_same_queries_for_one_row_or_many(clinic, manager_client):
    urls = [
        "/api/setup/practitioners/",
        "/api/setup/rooms/",
        "/api/setup/devices/",
        "/api/setup/protocols/",
        f"/api/setup/practitioners/{clinic.practitioner.pk}/time-off/",
        f"/api/setup/devices/{clinic.device.pk}/outages/",
    ]
    TimeOffFactory(practitioner=clinic.practitioner)
    OutageFactory(device=clinic.device)
    few = [_queries(manager_client, url) for url in urls]
    for n in range(4):
        practitioner = PractitionerFactory()
        WorkingHoursFactory(practitioner=practitioner)
        TimeOffFactory(practitioner=practitioner, starts_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
        TimeOffFactory(
            practitioner=clinic.practitioner,
            starts_at=dt.datetime(2099, 2, 1 + 3 * n, tzinfo=dt.UTC),
        )
        RoomFactory(name=f"Extra {n}")
        device = DeviceFactory()
        OutageFactory(device=device, starts_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
        OutageFactory(
            device=clinic.device, starts_at=dt.datetime(2099, 2, 1 + 3 * n, tzinfo=dt.UTC)
        )
    many = [_queries(manager_client, url) for url in urls]
    assert many == few


def test_working_hours_times_are_wall_clock_strings_as_the_schema_says():
    """Issue 12: the schema said RFC 3339 `time` (which needs an offset) for "09:00:00"."""
    schema = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for name in ("SetupWorkingHours", "WorkingHoursInputRequest"):
        start = schema[name]["properties"]["start"]
        assert "format" not in start, name
        assert re.fullmatch(start["pattern"], "09:00") and re.fullmatch(start["pattern"], "17:30")
        assert not re.fullmatch(start["pattern"], "24:00")
