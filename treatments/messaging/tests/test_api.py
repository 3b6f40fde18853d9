"""The message log: `GET /api/messages/`, `POST /api/messages/{id}/resend/`, and the table
partial with its Resend button on staff pages."""

import datetime as dt
import uuid

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from clinic import panels
from clinic.models import AuditEvent
from treatments.messaging import sending
from treatments.messaging.models import Message

from .helpers import at, book, local

pytestmark = pytest.mark.django_db
Status = Message.Status
SERIES = [local(2026, 3, 30, 10), local(2026, 4, 27, 10)]
BOOKED_AT = dt.datetime(2026, 3, 16, 8, tzinfo=dt.UTC)
FIELDS = {
    "id", "patient", "session", "to", "kind", "channel", "due_at", "status", "attempts",
    "last_error", "sent_at",
}  # fmt: skip


@pytest.fixture
def booked(clinic, front_desk_user, practitioner_user, acne_protocol):
    def _book(starts=SERIES, **fields):
        return book(
            clinic,
            by=front_desk_user,
            practitioner_user=practitioner_user,
            protocol=acne_protocol,
            starts=starts,
            booked_at=BOOKED_AT,
            **fields,
        )

    return _book


def failed(message, error="The mail server refused the e-mail (SMTP 550)."):
    Message.objects.filter(pk=message.pk).update(status=Status.FAILED, attempts=5, last_error=error)
    message.refresh_from_db()
    return message


# --- GET /api/messages/ -------------------------------------------------------------------


def test_staff_list_a_patient_s_messages_and_each_one_shown_is_audited(
    booked, front_desk_client, front_desk_user
):
    sessions = booked()
    booked(starts=[local(2026, 3, 31, 10)])  # another patient's
    patient = sessions[0].patient
    response = front_desk_client.get(f"/api/messages/?patient={patient.public_id}")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == 7
    assert set(body["results"][0]) == FIELDS
    assert {r["patient"] for r in body["results"]} == {str(patient.public_id)}
    first = body["results"][0]
    assert first["kind"] == "booking_confirmation"
    assert (first["status"], first["channel"], first["attempts"]) == ("pending", "email", 0)
    assert first["due_at"] == "2026-03-16T08:00:00Z"
    [audited] = AuditEvent.objects.filter(action="list", object_type="treatments.message")
    assert len(audited.object_ids) == 7
    assert audited.patient_id == patient.public_id  # all seven are hers
    assert audited.actor_id == front_desk_user.pk


def test_the_log_filters_by_session_and_status(booked, front_desk_client):
    first, second = booked()
    response = front_desk_client.get(f"/api/messages/?session={second.public_id}")
    assert {r["session"] for r in response.json()["results"]} == {str(second.public_id)}
    assert response.json()["count"] == 3
    failed(Message.objects.filter(session=first).first())
    response = front_desk_client.get(
        f"/api/messages/?patient={first.patient.public_id}&status=failed"
    )
    assert response.json()["count"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("patient=nope", "patient"),
        ("session=12", "session"),
        ("session=", "session"),
        ("patient=e3e70682c2091caca29f6fbed82c07cd", "patient"),
        ("status=lost", "status"),
        ("status=", "status"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(front_desk_client, query, field):
    response = front_desk_client.get(f"/api/messages/?{query}")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize("name", ["patient", "session"])
def test_an_unknown_patient_or_session_is_a_404(front_desk_client, name):
    response = front_desk_client.get(f"/api/messages/?{name}={uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_log_is_for_staff_only(anon_client, patient_client):
    assert anon_client.get("/api/messages/").status_code == 401
    assert patient_client.get("/api/messages/").status_code == 404


def test_listing_takes_the_same_queries_for_one_or_many_messages(
    booked, front_desk_client, django_assert_max_num_queries
):
    (only,) = booked(starts=[local(2026, 3, 30, 10)])
    Message.objects.exclude(kind="booking_confirmation").delete()
    # session, user, groups, patient, COUNT, SELECT messages ⨝ patient ⨝ session, audit
    # INSERT (the session is saved at most once a minute, not here)
    with django_assert_max_num_queries(7):
        response = front_desk_client.get(f"/api/messages/?patient={only.patient.public_id}")
    assert response.json()["count"] == 1
    many = booked(starts=[local(2026, 3, 31, 10) + dt.timedelta(days=28 * i) for i in range(6)])
    with django_assert_max_num_queries(7):
        response = front_desk_client.get(f"/api/messages/?patient={many[0].patient.public_id}")
    assert response.json()["count"] == 19


# --- POST /api/messages/{id}/resend/ ------------------------------------------------------


@pytest.mark.parametrize("role", ["front_desk_client", "practitioner_client", "manager_client"])
def test_a_failed_message_is_resent_as_one_more_attempt(booked, request, role, mailoutbox):
    client = request.getfixturevalue(role)
    (session,) = booked(starts=[local(2026, 3, 30, 10)])
    message = failed(Message.objects.get(kind="booking_confirmation"))
    moment = dt.datetime(2026, 3, 17, 9, tzinfo=dt.UTC)
    with at(moment):
        response = client.post(f"/api/messages/{message.public_id}/resend/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["attempts"]) == ("pending", 5)
    assert body["due_at"] == "2026-03-17T09:00:00Z"
    assert AuditEvent.objects.filter(
        action="update", object_type="treatments.message", object_id=str(message.pk)
    ).exists()
    with at(moment + dt.timedelta(seconds=30)):
        assert sending.send(message.pk) == Status.SENT
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 6)
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("status", [Status.SENT, Status.PENDING, Status.SENDING, Status.SKIPPED])
def test_only_a_failed_message_can_be_resent(booked, front_desk_client, status):
    booked(starts=[local(2026, 3, 30, 10)])
    message = Message.objects.get(kind="booking_confirmation")
    Message.objects.filter(pk=message.pk).update(
        status=status, sent_at=dt.datetime(2026, 3, 16, 8, 1, tzinfo=dt.UTC)
    )
    response = front_desk_client.post(f"/api/messages/{message.public_id}/resend/")
    assert response.status_code == 409
    assert "Only a failed message" in response.json()["error"]["message"]
    message.refresh_from_db()
    assert message.status == status


def test_resending_an_unknown_message_is_a_404(front_desk_client):
    assert front_desk_client.post(f"/api/messages/{uuid.uuid4()}/resend/").status_code == 404


def test_a_patient_account_cannot_resend(booked, patient_client):
    booked(starts=[local(2026, 3, 30, 10)])
    message = failed(Message.objects.get(kind="booking_confirmation"))
    assert patient_client.post(f"/api/messages/{message.public_id}/resend/").status_code == 404


def test_both_endpoints_are_in_the_schema(front_desk_client):
    paths = front_desk_client.get("/api/schema/?format=json").json()["paths"]
    listing = paths["/api/messages/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"patient", "session", "status"}
    assert "400" in listing["responses"] and "404" in listing["responses"]
    resend = paths["/api/messages/{public_id}/resend/"]["post"]
    assert {"200", "404", "409"} <= set(resend["responses"])


# --- The partial and the Resend button ----------------------------------------------------


def _render_log(user, **filters):
    request = RequestFactory().get("/sessions/x/")
    request.user = user
    page = panels.PATIENT_RECORD if "patient" in filters else panels.SESSION_PAGE
    (panel,) = [  # collected as the page does it: read through the selector, then audited
        p
        for p in panels.collect(page, request=request, **filters)
        if p.template == "messaging/_message_log.html"
    ]
    return render_to_string(panel.template, panel.context)


def test_the_partial_shows_due_times_on_the_clinic_s_clock_and_resend_for_failed_ones(
    booked, front_desk_user
):
    (session,) = booked(starts=[local(2026, 3, 30, 10)])
    message = failed(Message.objects.get(kind="reminder_24h"))
    html = _render_log(front_desk_user, session=session)
    assert html.count("<tr id=") == 4
    assert "Sun 29 Mar 2026, 10:00" in html  # 09:00 UTC, on the clinic's summer clock
    assert "Mon 23 Mar 2026, 10:00" in html
    assert "The mail server refused the e-mail (SMTP 550)." in html
    assert html.count(">Resend</button>") == 1
    assert f'action="/messages/{message.public_id}/resend/"' in html
    assert 'name="next" value="/sessions/x/"' in html
    [listed] = AuditEvent.objects.filter(action="list", object_type="treatments.message")
    assert len(listed.object_ids) == 4


def test_the_resend_button_resends_and_returns_to_the_page(booked, client, front_desk_user):
    booked(starts=[local(2026, 3, 30, 10)])
    message = failed(Message.objects.get(kind="booking_confirmation"))
    client.force_login(front_desk_user)
    url = f"/messages/{message.public_id}/resend/"
    assert client.get(url).status_code == 405
    response = client.post(url, {"next": "/sessions/x/"})
    assert (response.status_code, response["Location"]) == (302, "/sessions/x/")
    message.refresh_from_db()
    assert message.status == Status.PENDING
    # A second press: the message is no longer failed; the page says so, nothing changes.
    response = client.post(url, {"next": "https://evil.example/"}, follow=False)
    assert (response.status_code, response["Location"]) == (302, "/")
    stored = [str(m) for m in response.wsgi_request._messages]
    assert stored[-1] == "Only a failed message can be sent again; this one is pending."


def test_the_resend_view_needs_a_staff_login(booked, client, patient_user):
    booked(starts=[local(2026, 3, 30, 10)])
    message = failed(Message.objects.get(kind="booking_confirmation"))
    url = f"/messages/{message.public_id}/resend/"
    response = client.post(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(patient_user)
    assert client.post(url).status_code == 403
    message.refresh_from_db()
    assert message.status == Status.FAILED
