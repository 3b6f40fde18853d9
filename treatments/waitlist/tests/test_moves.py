"""A moved session frees the time it leaves, as a cancelled one does (issue 15 item 2: "a
slot otherwise frees"), and a freed time that is booked by other means meanwhile is closed
rather than left to end as "no one found".

The clock stands at Monday 2 March 2026, 10:00 in London (`frozen`). Sessions last 120
minutes (the acne protocol); the practitioner works weekdays 09:00-17:00.
"""

import datetime as dt

import pytest
from django.db import transaction

from clinic.models import AuditEvent
from treatments.scheduling import repair
from treatments.scheduling import services as scheduling
from treatments.scheduling.models import Session
from treatments.scheduling.services import SlotRequest
from treatments.scheduling.tests.factories import SessionFactory
from treatments.waitlist import selectors, services, tasks
from treatments.waitlist.models import FreedSlot, SlotOffer

from .factories import NOW, cancelled_session, local, wait, waiting_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]
MONDAY = local(2026, 3, 9, 10)  # Monday 9 March, 10:00
WEDNESDAY = local(2026, 3, 11, 10)


@pytest.fixture
def booked(clinic, front_desk_user, practitioner_user, acne_protocol):
    """Another patient's course booked by the front desk at `starts`: its sessions."""

    def make(*starts):
        return clinic.book(
            starts=list(starts),
            protocol=acne_protocol,
            planner=practitioner_user,
            desk=front_desk_user,
        )

    return make


@pytest.fixture
def waiting(clinic, front_desk_user, acne_protocol):
    def make(**kwargs):
        return wait(clinic, front_desk_user, protocol=acne_protocol, **kwargs)

    return make


def move(session, to, by, **kwargs):
    return scheduling.session_reschedule(session=session, starts_at=to, by=by, **kwargs)


def test_a_moved_sessions_old_time_becomes_a_freed_slot_offered_at_the_next_sweep(
    booked, waiting, front_desk_user, clinic
):
    entry = waiting(patient_fields={"first_name": "Bea"})
    (session,) = booked(MONDAY)
    move(session, WEDNESDAY, front_desk_user)

    slot = FreedSlot.objects.get()
    assert (slot.status, slot.freed_by, slot.next_check_at) == (FreedSlot.Status.OPEN, session, NOW)
    assert (slot.starts_at, slot.ends_at) == (MONDAY, MONDAY + dt.timedelta(minutes=120))
    assert (slot.practitioner, slot.room_id, slot.device_id) == (
        clinic.practitioner,
        session.room_id,
        session.device_id,
    )
    assert tasks.sweep() == 1
    (offer,) = slot.offers.all()
    assert (offer.entry, offer.status) == (entry, SlotOffer.Status.OFFERED)


def test_a_move_of_a_few_minutes_frees_nothing(booked, front_desk_user):
    (session,) = booked(MONDAY)
    move(session, MONDAY + dt.timedelta(minutes=30), front_desk_user)
    session.refresh_from_db()
    assert session.starts_at == MONDAY + dt.timedelta(minutes=30)
    assert not FreedSlot.objects.exists()


def test_a_move_to_the_time_just_after_frees_the_old_one(booked, front_desk_user):
    # Back to back with its old time: no overlap, so the old two hours are free.
    (session,) = booked(MONDAY)
    move(session, MONDAY + dt.timedelta(minutes=120), front_desk_user)
    assert FreedSlot.objects.get().starts_at == MONDAY


def test_moving_a_session_whose_time_has_passed_frees_nothing(
    booked, front_desk_user, time_machine
):
    (session,) = booked(local(2026, 3, 3, 10))
    time_machine.move_to(local(2026, 3, 3, 11), tick=False)  # it started an hour ago
    move(session, WEDNESDAY, front_desk_user)
    session.refresh_from_db()
    assert session.starts_at == WEDNESDAY
    assert not FreedSlot.objects.exists()


def test_moving_a_session_and_the_following_frees_each_old_time(booked, front_desk_user):
    olds = [MONDAY, local(2026, 4, 6, 10), local(2026, 5, 4, 10)]
    sessions = booked(*olds)
    move(sessions[0], WEDNESDAY, front_desk_user, shift_following=True)

    moved = list(Session.objects.filter(pk__in=[s.pk for s in sessions]).order_by("starts_at"))
    # Two days later on the wall clock, across the change to summer time.
    assert [s.starts_at for s in moved] == [old + dt.timedelta(days=2) for old in olds]
    freed = FreedSlot.objects.order_by("starts_at")
    assert [(f.starts_at, f.freed_by_id) for f in freed] == [
        (old, s.pk) for old, s in zip(olds, sessions, strict=True)
    ]
    assert all(f.status == FreedSlot.Status.OPEN for f in freed)


def test_moving_a_session_and_the_following_back_onto_each_others_times_frees_only_the_last(
    booked, front_desk_user
):
    # Four weeks earlier: the first goes to 9 March, the second onto the first's old time.
    first, second = booked(local(2026, 4, 6, 10), local(2026, 5, 4, 10))
    move(first, MONDAY, front_desk_user, shift_following=True)
    freed = list(FreedSlot.objects.order_by("starts_at"))
    assert [f.starts_at for f in freed] == [local(2026, 4, 6, 10), local(2026, 5, 4, 10)]
    # The first's old time was freed before the second moved onto it: the sweep sees it
    # taken and closes it; only the second's old time is looked for.
    tasks.sweep()
    for f in freed:
        f.refresh_from_db()
    assert [f.status for f in freed] == [FreedSlot.Status.CLOSED, FreedSlot.Status.UNFILLED]
    assert freed[0].outcome == services.BOOKED_MEANWHILE


def test_a_refused_move_leaves_no_freed_slot(booked, front_desk_client, clinic):
    (session,) = booked(MONDAY)
    # Another of the practitioner's sessions stands on Wednesday: moving onto it is a 409.
    SessionFactory(
        course__practitioner=clinic.practitioner,
        room=clinic.rooms[1],
        starts_at=WEDNESDAY,
        minutes=60,
    )
    response = front_desk_client.post(
        f"/api/sessions/{session.public_id}/reschedule/",
        {"starts_at": WEDNESDAY.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 409, response.content
    session.refresh_from_db()
    assert session.starts_at == MONDAY
    assert not FreedSlot.objects.exists()


def test_a_move_rolled_back_after_it_was_made_leaves_no_freed_slot(booked, front_desk_user):
    (session,) = booked(MONDAY)

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        move(session, WEDNESDAY, front_desk_user)
        assert FreedSlot.objects.count() == 1  # made in the move's own transaction...
        raise Abandoned
    assert not FreedSlot.objects.exists()  # ...and gone with it
    session.refresh_from_db()
    assert session.starts_at == MONDAY


def test_a_freed_time_booked_by_hand_meanwhile_is_closed_not_left_unfilled(
    booked, waiting, front_desk_user, acne_protocol, clinic
):
    waiting(patient_fields={"first_name": "Bea"})
    cancelled = cancelled_session(clinic, front_desk_user, starts_at=MONDAY, protocol=acne_protocol)
    slot = FreedSlot.objects.get(freed_by=cancelled)
    # The front desk books another patient into the same time before the sweep runs.
    (taken,) = booked(MONDAY)
    assert tasks.sweep() == 1
    slot.refresh_from_db()
    assert (slot.status, slot.outcome) == (FreedSlot.Status.CLOSED, services.BOOKED_MEANWHILE)
    assert slot.next_check_at is None and slot.session is None
    assert not slot.offers.exists()
    shown, total = selectors.unfilled_slots(NOW, 10)
    assert (shown, total) == ([], 0)
    assert taken.status == Session.Status.BOOKED


def test_an_offer_in_flight_is_withdrawn_when_its_time_is_booked_by_hand(
    booked, waiting, front_desk_user, acne_protocol, clinic, time_machine
):
    waiting(patient_fields={"first_name": "Bea"})
    cancelled = cancelled_session(clinic, front_desk_user, starts_at=MONDAY, protocol=acne_protocol)
    slot = FreedSlot.objects.get(freed_by=cancelled)
    tasks.sweep()
    (offer,) = slot.offers.all()
    booked(MONDAY)
    time_machine.move_to(offer.expires_at, tick=False)
    tasks.sweep()
    slot.refresh_from_db()
    offer.refresh_from_db()
    assert slot.status == FreedSlot.Status.CLOSED
    assert offer.status == SlotOffer.Status.WITHDRAWN


# --- The session waited for, booked by other means ------------------------------------------


def book_by_hand(course, starts_at, by, room):
    """The front desk books the course's next session themselves."""
    return repair.course_add_session(
        course=course, slot=SlotRequest(starts_at=starts_at, room=room), by=by
    )


def test_a_session_booked_by_hand_ends_the_entry_at_the_next_sweep_and_withdraws_its_offer(
    booked, waiting, front_desk_user, time_machine, clinic
):
    entry = waiting(patient_fields={"first_name": "Bea"})
    (session,) = booked(MONDAY)
    scheduling.session_cancel(session=session, reason="Unwell", by=front_desk_user)
    tasks.sweep()
    offer = SlotOffer.objects.get(entry=entry)
    slot = offer.slot
    time_machine.move_to(NOW + dt.timedelta(minutes=5), tick=False)
    book_by_hand(entry.course, WEDNESDAY, front_desk_user, clinic.rooms[1])

    tasks.sweep()
    entry.refresh_from_db()
    offer.refresh_from_db()
    slot.refresh_from_db()
    assert (entry.status, entry.remove_reason) == ("removed", services.BOOKED_ELSEWHERE)
    assert (offer.status, offer.outcome) == ("withdrawn", services.BOOKED_ELSEWHERE)
    # The freed time looks for someone else: no one is left, so no one is found.
    assert slot.status == FreedSlot.Status.UNFILLED
    assert AuditEvent.objects.filter(
        object_type="treatments.waitlistentry", object_id=str(entry.pk), actor=None
    ).exists()


def test_a_session_the_waitlist_booked_leaves_the_entry_booked(booked, waiting, front_desk_user):
    entry = waiting()
    (session,) = booked(MONDAY)
    scheduling.session_cancel(session=session, reason="Unwell", by=front_desk_user)
    tasks.sweep()
    offer = SlotOffer.objects.get(entry=entry)
    answer = services.offer_accept(token=services.offer_mint(str(offer.public_id)))
    assert answer.session is not None
    tasks.sweep()
    entry.refresh_from_db()
    assert (entry.status, entry.session) == ("booked", answer.session)


def test_a_session_booked_before_the_entry_joined_does_not_end_it(
    clinic, front_desk_user, acne_protocol, time_machine
):
    """Session 2 booked, then the patient waits for session 3: the entry stays."""
    course = waiting_course(clinic, front_desk_user, protocol=acne_protocol, planned=3)
    second = book_by_hand(course, WEDNESDAY, front_desk_user, clinic.rooms[1])
    time_machine.move_to(NOW + dt.timedelta(minutes=1), tick=False)
    entry = services.entry_add(course=course, by=front_desk_user)
    tasks.sweep()
    entry.refresh_from_db()
    assert second.created_at < entry.created_at
    assert entry.status == "waiting"


def test_an_archived_patients_entry_ends_at_the_next_sweep(waiting, front_desk_user):
    from treatments.scheduling import archive

    entry = waiting()
    archive.patient_archive(patient=entry.patient, reason="Moved away.", by=front_desk_user)
    tasks.sweep()
    entry.refresh_from_db()
    assert (entry.status, entry.remove_reason) == ("removed", services.ARCHIVED)
    assert AuditEvent.objects.filter(
        object_type="treatments.waitlistentry", object_id=str(entry.pk), detail__why="archived"
    ).exists()
