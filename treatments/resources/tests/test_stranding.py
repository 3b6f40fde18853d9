"""Changes that would strand booked sessions: refused with the list; on confirmation each is
moved (through the reschedule service, so its reminders follow) to its next free time, all or
nothing (issue 11)."""

import datetime as dt

import pytest

from clinic.models import AuditEvent
from treatments.resources import services
from treatments.resources.stranding import Stranded, Unmovable
from treatments.scheduling import services as scheduling
from treatments.scheduling.models import Device, DeviceOutage, Room, Session, TimeOff
from treatments.scheduling.tests.check_in_helpers import check_in
from treatments.scheduling.tests.factories import DeviceFactory

from .conftest import local

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("now")]

TUESDAY = (local(2026, 3, 10), local(2026, 3, 11))  # all of Tuesday 10 March


def _reload(session):
    return Session.objects.select_related("room", "device").get(pk=session.pk)


def _due(session) -> dict:
    return dict(session.messages.values_list("kind", "due_at"))


# --- Time off --------------------------------------------------------------------------------


def test_time_off_over_a_booked_session_is_refused_with_the_session_listed(
    clinic, book, manager_user
):
    [session] = book(local(2026, 3, 10, 10), first_name="Ann")
    book(local(2026, 3, 12, 10), first_name="Bea")  # Thursday: not in the time off

    with pytest.raises(Stranded) as refused:
        services.time_off_create(
            practitioner=clinic.practitioner,
            starts_at=TUESDAY[0],
            ends_at=TUESDAY[1],
            by=manager_user,
        )

    assert refused.value.status == 409
    assert refused.value.code == "strands_sessions"
    assert refused.value.sessions == [session]
    [line] = refused.value.fields["move_affected"]
    assert line.startswith("Ann Doe, Tue 10 Mar 2026, 10:00")
    assert not TimeOff.objects.exists()
    assert _reload(session).starts_at == local(2026, 3, 10, 10)


def test_confirmed_time_off_moves_the_session_to_its_next_free_time_with_its_reminders(
    clinic, book, manager_user
):
    [session] = book(local(2026, 3, 10, 10))
    before = _due(session)

    change = services.time_off_create(
        practitioner=clinic.practitioner,
        starts_at=TUESDAY[0],
        ends_at=TUESDAY[1],
        reason="Training",
        move_affected=True,
        by=manager_user,
    )

    moved = _reload(session)
    assert moved.starts_at == local(2026, 3, 11, 9)  # Wednesday, first thing
    assert moved.ends_at == local(2026, 3, 11, 11)
    assert moved.room == clinic.rooms[0]  # its own room, free then
    assert [m.session.pk for m in change.moved] == [session.pk]
    assert change.moved[0].moved_from == local(2026, 3, 10, 10)
    assert TimeOff.objects.get().reason == "Training"
    after = _due(moved)
    assert after["reminder_24h"] == moved.starts_at - dt.timedelta(hours=24)
    assert after["reminder_24h"] != before["reminder_24h"]
    assert AuditEvent.objects.filter(
        object_type="treatments.session", object_id=str(session.pk), action="update"
    ).exists()  # the reschedule service's own audit row


def test_one_session_that_cannot_be_moved_refuses_the_whole_change(clinic, book, manager_user):
    """Ann's session could move to Wednesday, but Bea's first session cannot move later than
    Tuesday without coming closer than 14 days to her second: nothing changes at all."""
    [ann] = book(local(2026, 3, 10, 10), first_name="Ann")
    bea, bea_second = book(
        local(2026, 3, 10, 13), local(2026, 3, 24, 13), first_name="Bea", interval_days=14
    )
    ann_due = _due(ann)

    with pytest.raises(Unmovable) as refused:
        services.time_off_create(
            practitioner=clinic.practitioner,
            starts_at=TUESDAY[0],
            ends_at=TUESDAY[1],
            move_affected=True,
            by=manager_user,
        )

    assert refused.value.code == "cannot_move"
    assert refused.value.sessions == [bea]
    assert "Bea Doe's session on Tue 10 Mar 2026, 13:00 could not be moved" in str(
        refused.value.message
    )
    assert _reload(ann).starts_at == local(2026, 3, 10, 10)  # moved, then rolled back
    assert _due(ann) == ann_due
    assert _reload(bea).starts_at == local(2026, 3, 10, 13)
    assert _reload(bea_second).starts_at == local(2026, 3, 24, 13)
    assert not TimeOff.objects.exists()


def test_leave_over_two_sessions_of_a_course_moves_both_after_it_in_order(
    clinic, book, manager_user
):
    """Four weeks off over both sessions of a course: the first goes after the leave, at least
    14 days (the protocol's minimum) from where the second still is; then the second, at
    least 14 days after the first. The course keeps its order and spacing."""
    first, second = book(local(2026, 3, 10, 10), local(2026, 4, 7, 10))
    services.time_off_create(
        practitioner=clinic.practitioner,
        starts_at=local(2026, 3, 9),
        ends_at=local(2026, 4, 8),
        move_affected=True,
        by=manager_user,
    )
    first, second = _reload(first), _reload(second)
    assert first.starts_at == local(2026, 4, 21, 9)  # 14 days after 7 April
    assert second.starts_at == local(2026, 5, 5, 9)  # 14 days after that
    assert first.starts_at < second.starts_at


def test_a_checked_in_session_cannot_be_moved(clinic, book, manager_user, front_desk_user):
    [session] = book(local(2026, 3, 2, 11))
    check_in(session, by=front_desk_user)

    with pytest.raises(Unmovable) as refused:
        services.time_off_create(
            practitioner=clinic.practitioner,
            starts_at=local(2026, 3, 2, 10),
            ends_at=local(2026, 3, 2, 17),
            move_affected=True,
            by=manager_user,
        )
    assert "is checked in, so it cannot be moved" in refused.value.message
    assert not TimeOff.objects.exists()


def test_time_off_that_strands_nothing_is_saved_at_once(clinic, book, manager_user):
    book(local(2026, 3, 10, 14))
    change = services.time_off_create(
        practitioner=clinic.practitioner,
        starts_at=local(2026, 3, 10, 9),
        ends_at=local(2026, 3, 10, 14),  # the session starts as it ends: back to back
        by=manager_user,
    )
    assert change.moved == []
    assert TimeOff.objects.filter(pk=change.obj.pk).exists()


def test_sessions_that_are_over_or_cancelled_are_never_stranded(
    clinic, book, manager_user, front_desk_user
):
    [cancelled] = book(local(2026, 3, 10, 10))
    scheduling.session_cancel(session=cancelled, reason="Unwell", by=front_desk_user)
    change = services.time_off_create(
        practitioner=clinic.practitioner,
        starts_at=TUESDAY[0],
        ends_at=TUESDAY[1],
        by=manager_user,
    )
    assert change.moved == []


def test_lengthening_time_off_over_a_session_strands_it(clinic, book, manager_user):
    [session] = book(local(2026, 3, 10, 14))
    off = services.time_off_create(
        practitioner=clinic.practitioner,
        starts_at=local(2026, 3, 10, 9),
        ends_at=local(2026, 3, 10, 12),
        by=manager_user,
    ).obj
    with pytest.raises(Stranded) as refused:
        services.time_off_update(
            time_off=off, starts_at=off.starts_at, ends_at=local(2026, 3, 10, 17), by=manager_user
        )
    assert refused.value.sessions == [session]
    off.refresh_from_db()
    assert off.ends_at == local(2026, 3, 10, 12)


# --- Working hours ---------------------------------------------------------------------------


def _tuesday(clinic):
    return clinic.practitioner.working_hours.get(weekday=1)


def test_hours_shrunk_under_a_session_strand_it_and_only_it(clinic, book, manager_user):
    [morning] = book(local(2026, 3, 10, 9), first_name="Ann")
    [afternoon] = book(local(2026, 3, 10, 14), first_name="Bea")

    with pytest.raises(Stranded) as refused:
        services.working_hours_update(
            hours=_tuesday(clinic),
            weekday=1,
            start=dt.time(9),
            end=dt.time(12),
            by=manager_user,
        )
    assert refused.value.sessions == [afternoon]
    assert _tuesday(clinic).end == dt.time(17)

    change = services.working_hours_update(
        hours=_tuesday(clinic),
        weekday=1,
        start=dt.time(9),
        end=dt.time(12),
        move_affected=True,
        by=manager_user,
    )
    assert _tuesday(clinic).end == dt.time(12)
    assert [m.session.pk for m in change.moved] == [afternoon.pk]
    assert _reload(afternoon).starts_at == local(2026, 3, 11, 9)
    assert _reload(morning).starts_at == local(2026, 3, 10, 9)


def test_removing_a_day_strands_its_sessions(clinic, book, manager_user):
    [session] = book(local(2026, 3, 10, 10))
    with pytest.raises(Stranded):
        services.working_hours_delete(hours=_tuesday(clinic), by=manager_user)
    assert clinic.practitioner.working_hours.filter(weekday=1).exists()

    services.working_hours_delete(hours=_tuesday(clinic), move_affected=True, by=manager_user)
    assert not clinic.practitioner.working_hours.filter(weekday=1).exists()
    assert _reload(session).starts_at == local(2026, 3, 11, 9)


def test_a_lost_weekday_moves_each_session_of_a_course_a_day_not_weeks(clinic, book, manager_user):
    """Both sessions of a course fall on Tuesdays. Moved latest first, each goes to the
    Wednesday after it and the course keeps its 14 days; earliest first would push the first
    four weeks out to clear the second's old day. The order that moves them less wins."""
    [ann] = book(local(2026, 3, 10, 10), first_name="Ann")
    first, second = book(
        local(2026, 3, 10, 13), local(2026, 3, 24, 13), first_name="Bea", interval_days=14
    )
    services.working_hours_delete(hours=_tuesday(clinic), move_affected=True, by=manager_user)
    assert _reload(first).starts_at == local(2026, 3, 11, 9)
    assert _reload(second).starts_at == local(2026, 3, 25, 9)
    assert _reload(ann).starts_at == local(2026, 3, 11, 11)  # after Bea's, the same day
    assert Session.objects.filter(status="booked").count() == 3
    # Tried and rolled back: only the kept order's moves are recorded.
    assert AuditEvent.objects.filter(object_type="treatments.session", action="update").count() == 3


def test_changing_another_day_strands_nothing(clinic, book, manager_user):
    book(local(2026, 3, 10, 14))
    monday = clinic.practitioner.working_hours.get(weekday=0)
    change = services.working_hours_update(
        hours=monday, weekday=0, start=dt.time(9), end=dt.time(12), by=manager_user
    )
    assert change.moved == []


# --- Rooms, devices, outages ------------------------------------------------------------------


def test_a_room_taken_out_of_use_moves_its_sessions_to_another_room_at_the_same_time(
    clinic, book, manager_user
):
    room_a, room_b = clinic.rooms
    [session] = book(local(2026, 3, 10, 10))
    before = _due(session)

    with pytest.raises(Stranded) as refused:
        services.room_update(room=room_a, name=room_a.name, active=False, by=manager_user)
    assert refused.value.sessions == [session]
    assert Room.objects.get(pk=room_a.pk).active

    change = services.room_update(
        room=room_a, name=room_a.name, active=False, move_affected=True, by=manager_user
    )
    assert not change.obj.active
    moved = _reload(session)
    assert (moved.starts_at, moved.room) == (local(2026, 3, 10, 10), room_b)
    assert _due(moved) == before


def test_renaming_a_room_strands_nothing(clinic, book, manager_user):
    book(local(2026, 3, 10, 10))
    change = services.room_update(
        room=clinic.rooms[0], name="Treatment room 1", active=True, by=manager_user
    )
    assert change.moved == []
    assert Room.objects.get(pk=clinic.rooms[0].pk).name == "Treatment room 1"


def test_a_device_taken_out_of_use_hands_its_sessions_to_a_free_device(clinic, book, manager_user):
    spare = DeviceFactory(name="Pen 2")
    [session] = book(local(2026, 3, 10, 10), device=clinic.device)

    with pytest.raises(Stranded):
        services.device_update(
            device=clinic.device,
            name="Pen 1",
            model=clinic.device.model,
            serial=clinic.device.serial,
            active=False,
            by=manager_user,
        )
    services.device_update(
        device=clinic.device,
        name="Pen 1",
        model=clinic.device.model,
        serial=clinic.device.serial,
        active=False,
        move_affected=True,
        by=manager_user,
    )
    moved = _reload(session)
    assert (moved.starts_at, moved.device) == (local(2026, 3, 10, 10), spare)
    assert not Device.objects.get(pk=clinic.device.pk).active


def test_an_outage_of_the_only_device_moves_its_sessions_past_it(clinic, book, manager_user):
    [session] = book(local(2026, 3, 10, 10))
    assert session.device == clinic.device

    with pytest.raises(Stranded) as refused:
        services.outage_create(
            device=clinic.device, starts_at=TUESDAY[0], ends_at=TUESDAY[1], by=manager_user
        )
    assert refused.value.sessions == [session]
    assert not DeviceOutage.objects.exists()

    change = services.outage_create(
        device=clinic.device,
        starts_at=TUESDAY[0],
        ends_at=TUESDAY[1],
        reason="Annual service",
        move_affected=True,
        by=manager_user,
    )
    moved = _reload(session)
    assert (moved.starts_at, moved.device) == (local(2026, 3, 11, 9), clinic.device)
    assert change.moved[0].session.pk == session.pk


def test_an_outage_strands_only_the_sessions_that_need_that_device(clinic, book, manager_user):
    other = DeviceFactory(name="Pen 2")
    book(local(2026, 3, 10, 10), device=other, first_name="Ann")
    change = services.outage_create(
        device=clinic.device, starts_at=TUESDAY[0], ends_at=TUESDAY[1], by=manager_user
    )
    assert change.moved == []


def test_a_practitioner_with_sessions_ahead_stays_on_the_rota(clinic, book, manager_user):
    [session] = book(local(2026, 3, 10, 10))
    with pytest.raises(Unmovable) as refused:
        services.practitioner_update(
            practitioner=clinic.practitioner,
            display_name="Priya Shah",
            active=False,
            by=manager_user,
        )
    assert refused.value.sessions == [session]
    assert "another practitioner or cancel them" in refused.value.message
    clinic.practitioner.refresh_from_db()
    assert clinic.practitioner.active
