"""The waitlist's staff pages, the offer link's page and the offer message's words."""

import re

import pytest
from django.core import mail

from treatments.messaging import render, sending
from treatments.messaging.models import Message
from treatments.waitlist import services, tasks
from treatments.waitlist.models import FreedSlot

from .factories import cancelled_session, local, wait, waiting_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]
SLOT = local(2026, 3, 9, 10)


@pytest.fixture
def offered(clinic, front_desk_user, acne_protocol):
    entry = wait(
        clinic,
        front_desk_user,
        protocol=acne_protocol,
        patient_fields={"first_name": "Maya", "last_name": "Okafor", "preferred_channel": "sms"},
    )
    cancelled_session(clinic, front_desk_user, starts_at=SLOT, protocol=acne_protocol)
    tasks.sweep()
    return entry


def test_the_sms_offer_carries_the_first_name_and_the_link_only(offered):
    message = Message.objects.get(kind="waitlist_offer")
    text = render.render_sms(message)
    assert text.startswith("Hi Maya, an earlier time has come free")
    assert "Okafor" not in text
    assert "10:00" not in text and "9 March" not in text  # no appointment details either
    assert re.search(r"/portal/offers/[\w-]{20,}/", text)


def test_an_offer_withdrawn_before_its_message_went_is_never_sent(offered):
    message = Message.objects.get(kind="waitlist_offer")
    services.entry_remove(entry=offered, reason="Called in", by=offered.created_by)
    message.refresh_from_db()
    assert message.status == "cancelled"
    assert sending.send(message.pk) != "sent"


def test_the_offer_e_mail_names_the_time_and_the_link_takes_it(
    client, clinic, front_desk_user, acne_protocol
):
    entry = wait(
        clinic, front_desk_user, protocol=acne_protocol, patient_fields={"first_name": "Ann"}
    )
    cancelled_session(clinic, front_desk_user, starts_at=SLOT, protocol=acne_protocol)
    tasks.sweep()
    message = Message.objects.get(kind="waitlist_offer")
    assert message.channel == "email"
    assert sending.send(message.pk) == "sent"
    body = mail.outbox[-1].body
    assert "Monday 9 March at 10:00" in body
    path = re.search(r"/portal/offers/[\w-]+/", body).group(0)
    page = client.get(path)
    assert page.status_code == 200
    assert b"Take this time" in page.content
    assert page["Cache-Control"].startswith("no-store")
    taken = client.post(path)
    assert taken.status_code == 200
    assert b"This time is yours" in taken.content
    entry.refresh_from_db()
    assert entry.status == "booked"
    again = client.post(path)  # twice: still one session, shown again
    assert b"This time is yours" in again.content
    assert entry.course.sessions.filter(status="booked").count() == 1
    assert client.get("/portal/offers/not-a-real-token/").status_code == 404


def test_the_waitlist_page_shows_the_day_and_acts(front_desk_client, offered):
    slot = FreedSlot.objects.get()
    page = front_desk_client.get("/waitlist/?day=2026-03-09")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Free times on Monday 9 March 2026" in text
    assert "Maya Okafor" in text
    assert "Offered" in text
    response = front_desk_client.post(
        f"/waitlist/{offered.public_id}/remove/",
        {"reason": "Asked to come off", "next": "/waitlist/?day=2026-03-09"},
    )
    assert response.status_code == 302
    offered.refresh_from_db()
    assert offered.status == "removed"
    response = front_desk_client.post(f"/waitlist/slots/{slot.public_id}/close/", {})
    slot.refresh_from_db()
    assert slot.status == "closed"
    # A bad day falls back to today rather than failing.
    assert front_desk_client.get("/waitlist/?day=31/31/2026").status_code == 200


def test_the_course_page_offers_the_waitlist_and_the_form_puts_the_course_on_it(
    front_desk_client, clinic, front_desk_user, acne_protocol
):
    course = waiting_course(clinic, front_desk_user, protocol=acne_protocol)
    page = front_desk_client.get(f"/courses/{course.public_id}/")
    assert "Put on the waitlist for the next session" in page.content.decode()
    form = front_desk_client.get(f"/courses/{course.public_id}/waitlist/")
    assert form.status_code == 200
    bad = front_desk_client.post(
        f"/courses/{course.public_id}/waitlist/", {"earliest": "2026-03-20", "latest": "2026-03-10"}
    )
    assert bad.status_code == 400
    done = front_desk_client.post(
        f"/courses/{course.public_id}/waitlist/",
        {"earliest": "2026-03-03", "latest": "2026-03-30", "weekdays": ["0", "1"]},
    )
    assert done.status_code == 302
    assert course.waitlist_entries.get().weekdays == [0, 1]


def test_the_dashboard_shows_freed_times_that_found_no_one(
    front_desk_client, clinic, front_desk_user, acne_protocol
):
    cancelled_session(clinic, front_desk_user, starts_at=SLOT, protocol=acne_protocol)
    tasks.sweep()
    assert FreedSlot.objects.get().status == "unfilled"
    page = front_desk_client.get("/").content.decode()
    assert "Free times no one on the waitlist took (1)" in page
    assert "No one on the waitlist can take it." in page


def test_the_waitlist_page_costs_the_same_queries_for_one_row_or_many(
    front_desk_client, clinic, front_desk_user, acne_protocol, django_assert_max_num_queries
):
    wait(clinic, front_desk_user, protocol=acne_protocol, patient_fields={"first_name": "Ann"})
    cancelled_session(clinic, front_desk_user, starts_at=SLOT, protocol=acne_protocol)
    tasks.sweep()
    with django_assert_max_num_queries(16) as one:
        assert front_desk_client.get("/waitlist/?day=2026-03-09").status_code == 200
    for n in range(5):
        wait(
            clinic, front_desk_user, protocol=acne_protocol, patient_fields={"first_name": f"P{n}"}
        )
        cancelled_session(
            clinic,
            front_desk_user,
            starts_at=local(2026, 3, 9, 12 + 2 * (n % 2)),
            protocol=acne_protocol,
            room=clinic.rooms[n % 2],
        )
    tasks.sweep()
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = front_desk_client.get("/waitlist/?day=2026-03-09")
    assert page.content.decode().count('class="card" id="slot-') >= 3
