"""Rooms, devices and outages: each rule, every problem in one answer, audit rows."""

import pytest

from clinic.errors import Invalid
from clinic.models import AuditEvent
from treatments.resources import services
from treatments.scheduling.models import Device, DeviceOutage, Room
from treatments.scheduling.tests.factories import DeviceFactory, RoomFactory

from .conftest import local

pytestmark = pytest.mark.django_db


def test_a_room_is_added_and_renamed_with_audit_rows(manager_user):
    room = services.room_create(name=" Room C ", by=manager_user)
    assert (room.name, room.active) == ("Room C", True)
    services.room_update(room=room, name="Quiet room", active=True, by=manager_user)
    rows = AuditEvent.objects.filter(object_type="treatments.room").order_by("pk")
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[1].detail == {"name": ["Room C", "Quiet room"]}


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "room a", "ROOM A", None, 5])
def test_a_room_needs_a_name_of_its_own(manager_user, name):
    RoomFactory(name="Room A")
    with pytest.raises(Invalid) as refused:
        services.room_create(name=name, by=manager_user)
    assert set(refused.value.fields) == {"name"}
    assert Room.objects.count() == 1


def test_a_room_out_of_use_is_not_offered_for_booking(manager_user):
    room = RoomFactory(name="Room Z")
    services.room_update(room=room, name="Room Z", active=False, by=manager_user)
    room.refresh_from_db()
    assert not room.active
    services.room_update(room=room, name="Room Z", active=True, by=manager_user)
    room.refresh_from_db()
    assert room.active


def test_a_device_records_what_traceability_needs(manager_user):
    device = services.device_create(
        name="Pen 3",
        manufacturer="Crown Aesthetics",
        model="SkinPen Precision",
        serial="SP-0003",
        regulatory_status="FDA DEN160029",
        by=manager_user,
    )
    assert Device.objects.get(pk=device.pk).regulatory_status == "FDA DEN160029"
    assert AuditEvent.objects.filter(object_type="treatments.device", action="create").exists()


def test_every_problem_with_a_device_comes_at_once(manager_user):
    DeviceFactory(serial="SP-0001")
    with pytest.raises(Invalid) as refused:
        services.device_create(
            name="", model="", serial="sp-0001", manufacturer="m" * 101, by=manager_user
        )
    assert set(refused.value.fields) == {"name", "model", "serial", "manufacturer"}


def test_an_outage_needs_a_real_window_that_does_not_overlap_another(manager_user):
    device = DeviceFactory()
    services.outage_create(
        device=device, starts_at=local(2026, 6, 1), ends_at=local(2026, 6, 2), by=manager_user
    )
    for starts_at, ends_at in [
        (local(2026, 6, 1, 12), local(2026, 6, 3)),  # overlaps
        (local(2026, 6, 5), local(2026, 6, 4)),  # ends before it starts
        (local(2026, 6, 5).replace(tzinfo=None), local(2026, 6, 6)),  # names no instant
    ]:
        with pytest.raises(Invalid):
            services.outage_create(
                device=device, starts_at=starts_at, ends_at=ends_at, by=manager_user
            )
    assert DeviceOutage.objects.count() == 1


def test_an_outage_is_changed_and_removed(manager_user):
    device = DeviceFactory()
    outage = services.outage_create(
        device=device, starts_at=local(2026, 6, 1), ends_at=local(2026, 6, 2), by=manager_user
    ).obj
    services.outage_update(
        outage=outage,
        starts_at=local(2026, 6, 1),
        ends_at=local(2026, 6, 3),
        reason="Repair",
        by=manager_user,
    )
    outage.refresh_from_db()
    assert (outage.ends_at, outage.reason) == (local(2026, 6, 3), "Repair")
    services.outage_delete(outage=outage, by=manager_user)
    assert not DeviceOutage.objects.exists()
    assert AuditEvent.objects.filter(object_type="treatments.deviceoutage").count() == 3
