"""Twenty patients accept the same offered time in the same second: one session, nineteen
told it has just been taken. Threads with their own database connections, against the
real PostgreSQL: nothing is mocked."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from treatments.scheduling.models import Session
from treatments.waitlist import services, tasks
from treatments.waitlist.models import FreedSlot, SlotOffer, WaitlistEntry

from .factories import cancelled_session, local, wait

ACCEPTS = 20
SLOT = local(2026, 3, 9, 10)


@pytest.mark.django_db(transaction=True)
def test_twenty_accepts_at_once_make_one_session_and_nineteen_are_told(
    frozen, clinic, front_desk_user, acne_protocol, settings
):
    settings.WAITLIST_OFFER_BATCH = ACCEPTS
    for n in range(ACCEPTS):
        wait(
            clinic, front_desk_user, protocol=acne_protocol, patient_fields={"first_name": f"P{n}"}
        )
    session = cancelled_session(clinic, front_desk_user, starts_at=SLOT, protocol=acne_protocol)
    slot = FreedSlot.objects.get(freed_by=session)
    tasks.sweep()
    offers = list(slot.offers.all())
    assert len(offers) == ACCEPTS
    tokens = [services.offer_mint(str(offer.public_id)) for offer in offers]
    start = threading.Barrier(ACCEPTS)

    def accept(token):
        try:
            start.wait(timeout=30)
            answer = services.offer_accept(token=token)
            return "booked" if answer.session else answer.message
        finally:
            connection.close()  # each thread had its own connection

    with ThreadPoolExecutor(max_workers=ACCEPTS) as pool:
        answers = list(pool.map(accept, tokens))

    assert answers.count("booked") == 1, answers
    assert answers.count(services.TAKEN) == ACCEPTS - 1, answers
    assert Session.objects.filter(starts_at=SLOT, status="booked").count() == 1
    assert SlotOffer.objects.filter(status="accepted").count() == 1
    assert SlotOffer.objects.filter(status="taken").count() == ACCEPTS - 1
    assert WaitlistEntry.objects.filter(status="waiting").count() == ACCEPTS - 1
    slot.refresh_from_db()
    assert slot.status == "filled"
