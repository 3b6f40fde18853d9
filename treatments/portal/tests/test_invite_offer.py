"""The portal invitation offered at booking (issue 10 item 7): a patient with no active
portal account and no invitation on its way is offered one on the booked course's page, one
click sends it through the invitation service, and the offer goes once it is on its way."""

import datetime as dt

import pytest

from clinic.tests.factories import PatientUserFactory
from treatments.messaging.models import Message
from treatments.portal import invites
from treatments.portal.models import PortalInvite
from treatments.scheduling.models import Course

from .helpers import main, text, travel, work_outbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("long_sessions")]
BOOKED_AT = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
START = dt.datetime(2026, 3, 9, 10, tzinfo=dt.UTC)
OFFER = "to the portal"


@pytest.fixture
def course(clinic, acne_protocol, front_desk_user, practitioner_user):
    """A course booked for a patient who has never had a portal account."""
    (session,) = clinic.book(
        starts=[START], protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )
    return session.course


def course_page(client, course) -> str:
    return main(client.get(f"/courses/{course.public_id}/"))


def offer_url(course) -> str:
    return f"/portal/staff/courses/{course.public_id}/invite/"


def test_booking_on_the_course_page_leads_to_the_offer(
    clinic, acne_protocol, front_desk_user, practitioner_user, front_desk_client
):
    with travel(BOOKED_AT):
        patient = clinic.screened_patient(front_desk_user, first_name="Grace", last_name="Hopper")
        course = clinic.course(patient, protocol=acne_protocol, by=practitioner_user)
        assert "Invite Grace" not in course_page(front_desk_client, course)  # planned only
        page = front_desk_client.get(f"/courses/{course.public_id}/", {"start": "2026-03-09"})
        slot, *_ = page.context["proposal"]
        response = front_desk_client.post(
            f"/courses/{course.public_id}/book/",
            {"starts_at": [slot.starts_at.isoformat()], "room": [slot.room_id]},
            follow=True,
        )
    page = text(response)
    assert "Booked all 1 sessions" in page
    assert "Invite Grace Hopper to the portal" in page
    assert f'action="{offer_url(course)}"' in page


def test_one_click_sends_the_invitation_and_the_offer_goes(front_desk_client, course):
    patient = course.patient
    with travel(BOOKED_AT + dt.timedelta(hours=1)):
        assert f"Invite {patient.full_name} {OFFER}" in course_page(front_desk_client, course)
        response = front_desk_client.post(offer_url(course), follow=True)
        assert response.redirect_chain[-1][0] == f"/courses/{course.public_id}/"
        assert "The invitation will be sent by e-mail in a moment" in text(response)
        invite = PortalInvite.objects.get(patient=patient)
        assert invite.purpose == "invite" and invite.created_by.username == "fd"
        message = Message.objects.get(kind="portal_invite", ref=str(invite.public_id))
        assert message.status == "pending"
        assert f"Invite {patient.first_name}" not in course_page(front_desk_client, course)
        work_outbox()  # sent: still no offer
        assert Message.objects.get(pk=message.pk).status == "sent"
        assert f"Invite {patient.first_name}" not in course_page(front_desk_client, course)


def test_a_second_click_sends_nothing_more(front_desk_client, course):
    with travel(BOOKED_AT + dt.timedelta(hours=1)):
        front_desk_client.post(offer_url(course))
        page = text(front_desk_client.post(offer_url(course), follow=True))
    assert "already has a portal account or an invitation on its way" in page
    assert PortalInvite.objects.filter(patient=course.patient).count() == 1


def test_a_patient_with_an_active_account_is_not_offered_one(front_desk_client, course):
    patient = course.patient
    patient.portal_user = PatientUserFactory(username="grace@example.com")
    patient.save(update_fields=["portal_user"])
    assert "Invite" not in course_page(front_desk_client, course)
    # An account that was closed (inactive) is offered a new link again.
    type(patient.portal_user).objects.filter(pk=patient.portal_user_id).update(is_active=False)
    assert f"Invite {patient.full_name} {OFFER}" in course_page(front_desk_client, course)


def test_the_offer_comes_back_when_the_invitation_failed_or_expired(
    front_desk_client, front_desk_user, course
):
    patient = course.patient
    with travel(BOOKED_AT):
        invite = invites.invite_send(patient=patient, by=front_desk_user)
        assert not invites.invitation_offered(patient)
        Message.objects.filter(ref=str(invite.public_id)).update(status="failed")
        assert f"Invite {patient.full_name}" in course_page(front_desk_client, course)
        second = invites.invite_offer_accept(patient=patient, by=front_desk_user)
        work_outbox()
        assert not invites.invitation_offered(patient)
    second.refresh_from_db()
    with travel(second.expires_at + dt.timedelta(minutes=1)):  # 72 hours later, never used
        assert f"Invite {patient.full_name}" in course_page(front_desk_client, course)


def test_a_patient_with_no_e_mail_or_phone_is_told_what_to_add(front_desk_client, course):
    type(course.patient).objects.filter(pk=course.patient.pk).update(email="", phone="")
    page = course_page(front_desk_client, course)
    assert f"Invite {course.patient.full_name} {OFFER}" in page
    assert "Add an e-mail address or mobile number" in page
    assert f'action="{offer_url(course)}"' not in page


def test_no_offer_on_a_cancelled_course_or_an_archived_patient(front_desk_client, course):
    Course.objects.filter(pk=course.pk).update(status=Course.Status.CANCELLED)
    assert "Invite" not in course_page(front_desk_client, course)
    Course.objects.filter(pk=course.pk).update(status=Course.Status.BOOKED)
    type(course.patient).objects.filter(pk=course.patient.pk).update(archived_at=BOOKED_AT)
    assert "Invite" not in course_page(front_desk_client, course)


def test_a_patient_s_portal_account_cannot_use_the_offer(ada, course):
    assert ada.post(offer_url(course)).status_code == 403
    assert not PortalInvite.objects.filter(patient=course.patient).exists()
