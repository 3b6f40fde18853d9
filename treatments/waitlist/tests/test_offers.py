"""The waitlist's rules, through its services: who is offered a freed slot, when, in which
order, and what happens next (issue 15 item 2)."""

import datetime as dt

import pytest

from patients.models import Hold
from treatments.messaging.models import Message
from treatments.scheduling import repair
from treatments.scheduling.models import Session
from treatments.scheduling.tests.factories import PractitionerFactory
from treatments.waitlist import selectors, services, tasks
from treatments.waitlist.models import FreedSlot, SlotOffer, WaitlistEntry

from .factories import NOW, cancelled_session, local, wait, waiting_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]
SLOT = local(2026, 3, 9, 10)  # Monday 9 March, 10:00


@pytest.fixture
def freed(clinic, front_desk_user, acne_protocol):
    def make(starts_at=SLOT, **kwargs):
        session = cancelled_session(
            clinic, front_desk_user, starts_at=starts_at, protocol=acne_protocol, **kwargs
        )
        return FreedSlot.objects.get(freed_by=session)

    return make


@pytest.fixture
def waiting(clinic, front_desk_user, acne_protocol):
    def make(**kwargs):
        return wait(clinic, front_desk_user, protocol=acne_protocol, **kwargs)

    return make


def offered(slot):
    return list(slot.offers.order_by("pk").values_list("entry__patient__first_name", "status"))


def test_a_cancelled_session_frees_its_time_for_the_sweep(freed, clinic):
    slot = freed()
    assert slot.status == FreedSlot.Status.OPEN
    assert (slot.starts_at, slot.room, slot.practitioner) == (
        SLOT,
        clinic.rooms[0],
        clinic.practitioner,
    )
    assert slot.next_check_at == NOW
    assert services.due_slots(NOW) == [slot.pk]


def test_the_sweep_offers_the_slot_to_the_longest_waiting_patient_by_their_channel(
    freed, waiting, time_machine
):
    first = waiting(patient_fields={"first_name": "Bea", "preferred_channel": "sms"})
    time_machine.shift(dt.timedelta(minutes=5))
    waiting(patient_fields={"first_name": "Cai"})
    slot = freed()
    assert tasks.sweep() == 1
    (offer,) = slot.offers.all()
    assert offer.entry == first
    assert offer.opens_at == NOW + dt.timedelta(minutes=5)
    assert offer.expires_at == offer.opens_at + dt.timedelta(minutes=60)
    message = Message.objects.get(ref=str(offer.public_id))
    assert (message.kind, message.channel, message.due_at, message.patient_id) == (
        "waitlist_offer",
        "sms",
        offer.opens_at,
        first.patient_id,
    )
    slot.refresh_from_db()
    assert slot.next_check_at == offer.expires_at


def test_a_tie_in_waiting_time_goes_to_the_course_due_first(freed, waiting):
    later = waiting(patient_fields={"first_name": "Late"}, last=local(2026, 2, 20, 10))
    sooner = waiting(patient_fields={"first_name": "Soon"}, last=local(2026, 2, 16, 10))
    WaitlistEntry.objects.update(created_at=NOW)
    slot = freed()
    finding = selectors.candidates(slot=slot, now=NOW)
    assert [c.entry for c in finding.candidates] == [sooner, later]


def test_a_patient_who_is_not_cleared_is_never_offered(freed, waiting, practitioner_user):
    held = waiting(patient_fields={"first_name": "Held"})
    Hold.objects.create(
        patient=held.patient, reason="Reported swelling after the last session.", placed_by=None
    )
    unconsented = waiting(patient_fields={"first_name": "Nocon"})
    unconsented.patient.consents.all().delete()
    slot = freed()
    finding = selectors.candidates(slot=slot, now=NOW)
    assert finding.candidates == []
    assert "swelling" in finding.left_out[held.pk]
    assert "consent" in finding.left_out[unconsented.pk]
    services.slot_advance(slot_id=slot.pk, now=NOW)
    slot.refresh_from_db()
    assert slot.status == FreedSlot.Status.UNFILLED
    assert slot.outcome == "No one on the waitlist can take it."
    assert not SlotOffer.objects.exists()


def test_spacing_holds_to_the_session_before_and_the_session_after(
    freed, waiting, clinic, front_desk_user, acne_protocol
):
    # 3 days after the last session: closer than the protocol's 14-day minimum.
    too_soon = waiting(patient_fields={"first_name": "Soon"}, last=local(2026, 3, 6, 10))
    # A course whose next session is booked 5 days after the slot.
    course = waiting_course(
        clinic, front_desk_user, protocol=acne_protocol, planned=3, first_name="Next"
    )
    Session.objects.create(
        course=course,
        patient=course.patient,
        practitioner=clinic.practitioner,
        room=clinic.rooms[1],
        number=2,
        starts_at=local(2026, 3, 16, 14),
        ends_at=local(2026, 3, 16, 16),
    )
    before_next = services.entry_add(
        course=course, by=front_desk_user, earliest=dt.date(2026, 3, 3), latest=dt.date(2026, 3, 31)
    )
    fine = waiting(patient_fields={"first_name": "Fine"})
    slot = freed()
    finding = selectors.candidates(slot=slot, now=NOW)
    assert [c.entry for c in finding.candidates] == [fine]
    assert "14 days" in finding.left_out[before_next.pk]
    assert too_soon.pk not in {c.entry.pk for c in finding.candidates}


def test_the_window_weekdays_times_and_practitioner_of_the_entry_are_kept(
    freed, waiting, practitioner_user
):
    other = PractitionerFactory()
    waiting(patient_fields={"first_name": "Late"}, earliest=dt.date(2026, 3, 10))
    waiting(patient_fields={"first_name": "Tue"}, weekdays=[1])
    waiting(patient_fields={"first_name": "Aft"}, not_before=dt.time(13))
    waiting(patient_fields={"first_name": "Early"}, not_after=dt.time(11))
    waiting(patient_fields={"first_name": "Other"}, practitioner=other)
    fits = waiting(patient_fields={"first_name": "Fits"}, weekdays=[0], not_after=dt.time(12))
    slot = freed()
    finding = selectors.candidates(slot=slot, now=NOW)
    assert [c.entry for c in finding.candidates] == [fits]
    reasons = sorted(finding.left_out.values())
    assert reasons == ["Ends after 11:00.", "Not on a preferred day.", "Starts before 13:00."]


def test_the_default_window_follows_the_course_spacing(waiting):
    entry = waiting()  # last session Monday 16 February; acne: minimum 14 days, usual 28
    assert (entry.earliest, entry.due_on, entry.latest) == (
        dt.date(2026, 3, 3),  # from tomorrow (16 Feb + 14 has passed)
        dt.date(2026, 3, 16),
        dt.date(2026, 3, 30),
    )


def test_an_offer_window_never_runs_in_sms_quiet_hours(freed, waiting, time_machine):
    assert services.offer_window(local(2026, 3, 2, 18, 30)) == (
        local(2026, 3, 2, 18, 30),
        local(2026, 3, 2, 19, 30),
    )
    # Too late to close before 20:00: it opens when quiet hours end.
    assert services.offer_window(local(2026, 3, 2, 19, 30)) == (
        local(2026, 3, 3, 9),
        local(2026, 3, 3, 10),
    )
    assert services.offer_window(local(2026, 3, 3, 2)) == (
        local(2026, 3, 3, 9),
        local(2026, 3, 3, 10),
    )
    waiting(patient_fields={"preferred_channel": "sms"})
    time_machine.move_to(local(2026, 3, 2, 21), tick=False)
    slot = freed()
    services.slot_advance(slot_id=slot.pk)
    offer = slot.offers.get()
    assert (offer.opens_at, offer.expires_at) == (local(2026, 3, 3, 9), local(2026, 3, 3, 10))
    assert Message.objects.get(ref=str(offer.public_id)).due_at == local(2026, 3, 3, 9)


def test_a_slot_too_close_to_its_start_for_an_offer_is_left_unfilled(freed, waiting, time_machine):
    waiting()
    slot = freed(starts_at=local(2026, 3, 3, 9, 30))
    time_machine.move_to(local(2026, 3, 2, 19, 30), tick=False)
    services.slot_advance(slot_id=slot.pk)
    slot.refresh_from_db()
    assert slot.status == FreedSlot.Status.UNFILLED
    assert slot.outcome == "Too close to its start to offer."


def test_an_expired_offer_moves_on_to_the_next_patient_then_the_slot_is_unfilled(
    freed, waiting, time_machine
):
    waiting(patient_fields={"first_name": "Ann"})
    waiting(patient_fields={"first_name": "Ben"})
    slot = freed()
    tasks.sweep()
    assert offered(slot) == [("Ann", "offered")]
    time_machine.shift(dt.timedelta(minutes=59))
    assert tasks.sweep() == 0  # not yet due
    time_machine.shift(dt.timedelta(minutes=1))
    assert tasks.sweep() == 1
    assert offered(slot) == [("Ann", "expired"), ("Ben", "offered")]
    time_machine.shift(dt.timedelta(minutes=60))
    tasks.sweep()
    assert offered(slot) == [("Ann", "expired"), ("Ben", "expired")]
    slot.refresh_from_db()
    assert (slot.status, slot.outcome) == ("unfilled", "No one on the waitlist took it.")
    # Both stay on the waitlist.
    assert WaitlistEntry.objects.filter(status="waiting").count() == 2


def test_a_few_at_a_time_when_the_batch_is_larger(freed, waiting, settings):
    settings.WAITLIST_OFFER_BATCH = 2
    for name in ("Ann", "Ben", "Cas"):
        waiting(patient_fields={"first_name": name})
    slot = freed()
    tasks.sweep()
    assert offered(slot) == [("Ann", "offered"), ("Ben", "offered")]


def test_removal_withdraws_the_offer_and_the_slot_moves_on(freed, waiting, front_desk_user):
    ann = waiting(patient_fields={"first_name": "Ann"})
    waiting(patient_fields={"first_name": "Ben"})
    slot = freed()
    tasks.sweep()
    offer = slot.offers.get()
    services.entry_remove(entry=ann, reason="Booked by phone", by=front_desk_user)
    ann.refresh_from_db()
    offer.refresh_from_db()
    assert (ann.status, offer.status) == ("removed", "withdrawn")
    assert Message.objects.get(ref=str(offer.public_id)).status == "cancelled"
    tasks.sweep()
    assert offered(slot) == [("Ann", "withdrawn"), ("Ben", "offered")]
    with pytest.raises(services.Conflict):
        services.entry_remove(entry=ann, reason="again", by=front_desk_user)


def _token(offer) -> str:
    return services.offer_mint(str(offer.public_id))


def test_the_first_to_accept_gets_the_session_and_the_next_is_told_it_is_taken(
    freed, waiting, settings
):
    settings.WAITLIST_OFFER_BATCH = 2
    ann = waiting(patient_fields={"first_name": "Ann"})
    ben = waiting(patient_fields={"first_name": "Ben"})
    slot = freed()
    tasks.sweep()
    first, second = slot.offers.order_by("pk")
    tokens = _token(first), _token(second)
    answer = services.offer_accept(token=tokens[1])
    assert answer.session is not None
    session = answer.session
    assert (session.course, session.starts_at, session.room, session.status) == (
        ben.course,
        SLOT,
        slot.room,
        "booked",
    )
    slot.refresh_from_db()
    ben.refresh_from_db()
    assert (slot.status, slot.session, ben.status, ben.session) == (
        "filled",
        session,
        "booked",
        session,
    )
    late = services.offer_accept(token=tokens[0])
    assert late.session is None
    assert late.message == services.TAKEN
    ann.refresh_from_db()
    assert ann.status == "waiting"
    assert offered(slot) == [("Ann", "taken"), ("Ben", "accepted")]
    assert Session.objects.filter(starts_at=SLOT, status="booked").count() == 1
    # The booking confirmation goes out through the outbox like any booking's.
    assert Message.objects.filter(session=session, kind="booking_confirmation").exists()


def test_an_offer_accepted_after_its_time_is_expired(freed, waiting, time_machine):
    waiting()
    slot = freed()
    tasks.sweep()
    offer = slot.offers.get()
    token = _token(offer)
    time_machine.shift(dt.timedelta(minutes=61))
    answer = services.offer_accept(token=token)
    assert (answer.session, answer.message) == (None, services.EXPIRED)
    assert not Session.objects.filter(starts_at=SLOT, status="booked").exists()


def test_a_booking_refused_at_accept_moves_the_slot_on(freed, waiting, time_machine):
    ann = waiting(patient_fields={"first_name": "Ann"})
    waiting(patient_fields={"first_name": "Ben"})
    slot = freed()
    tasks.sweep()
    token = _token(slot.offers.get())
    Hold.objects.create(patient=ann.patient, reason="A reaction to review.", placed_by=None)
    answer = services.offer_accept(token=token)
    assert answer.session is None
    assert offered(slot) == [("Ann", "refused")]
    tasks.sweep()
    assert offered(slot) == [("Ann", "refused"), ("Ben", "offered")]


def test_a_manual_offer_checks_the_same_rules(freed, waiting, front_desk_user):
    ann = waiting(patient_fields={"first_name": "Ann"})
    ben = waiting(patient_fields={"first_name": "Ben"}, weekdays=[2])
    slot = freed()
    with pytest.raises(services.Conflict, match="preferred day"):
        services.offer_make(slot=slot, entry=ben, by=front_desk_user)
    offer = services.offer_make(slot=slot, entry=ann, by=front_desk_user)
    assert (offer.made_by, offer.status) == (front_desk_user, "offered")
    with pytest.raises(services.Conflict, match="already been offered"):
        services.offer_make(slot=slot, entry=ann, by=front_desk_user)


def test_finding_candidates_costs_the_same_queries_for_one_or_many(
    freed, waiting, django_assert_max_num_queries
):
    waiting()
    slot = FreedSlot.objects.select_related("room", "device").get(pk=freed().pk)
    with django_assert_max_num_queries(7):
        assert len(selectors.candidates(slot=slot, now=NOW).candidates) == 1
    for n in range(15):
        waiting(patient_fields={"first_name": f"P{n}"})
    slot = FreedSlot.objects.select_related("room", "device").get(pk=slot.pk)
    with django_assert_max_num_queries(7):
        assert len(selectors.candidates(slot=slot, now=NOW).candidates) == 16


def test_cancelling_the_course_takes_it_off_the_waitlist(freed, waiting, front_desk_user):
    ann = waiting(patient_fields={"first_name": "Ann"})
    slot = freed()
    tasks.sweep()
    repair.course_cancel(
        course=ann.course, reason="Moving away", initiated_by="patient", by=front_desk_user
    )
    ann.refresh_from_db()
    assert (ann.status, ann.remove_reason) == ("removed", "The course was cancelled.")
    assert offered(slot) == [("Ann", "withdrawn")]
