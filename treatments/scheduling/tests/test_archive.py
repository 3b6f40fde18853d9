"""Archiving a patient with sessions still to come, restoring them, and the archived record
being read-only (issue 11 item 4): the service and the API."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinic.errors import Conflict
from clinic.models import AuditEvent
from patients import services as patient_services
from patients.models import Patient
from patients.signals import patient_archiving
from treatments.scheduling import archive
from treatments.scheduling.models import Session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("long_sessions")]
LONDON = ZoneInfo("Europe/London")
SERIES = [
    dt.datetime(2026, 3, 9, 10, tzinfo=LONDON),
    dt.datetime(2026, 4, 6, 10, tzinfo=LONDON),
]
TUESDAY = dt.datetime(2026, 3, 3, 8, tzinfo=dt.UTC)  # after booking, before either session


@pytest.fixture
def booked(clinic, front_desk_user, practitioner_user, acne_protocol):
    """A 2-session course booked on 2 March 2026, with its reminders queued."""
    return clinic.book(
        starts=SERIES, protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def archive_url(patient) -> str:
    return f"/api/patients/{patient.public_id}/archive/"


def statuses(sessions) -> list[str]:
    return [Session.objects.get(pk=s.pk).status for s in sessions]


def pending_messages(sessions) -> int:
    return sum(s.messages.filter(status="pending").count() for s in sessions)


# --- Sessions to come ----------------------------------------------------------------------


def test_sessions_to_come_refuse_the_archive_listing_each_with_id_and_start(
    booked, tuesday, front_desk_client
):
    patient = booked[0].patient
    reminders = pending_messages(booked)
    response = front_desk_client.post(archive_url(patient), {"reason": "Moved away."}, "json")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "future_sessions"
    assert error["fields"]["sessions"] == [
        {"id": str(booked[0].public_id), "starts_at": "2026-03-09T10:00:00Z"},
        {"id": str(booked[1].public_id), "starts_at": "2026-04-06T09:00:00Z"},  # BST
    ]
    # staff read the times on the clinic's clock, with the practitioner
    assert error["fields"]["cancel_future_sessions"][1].startswith("Mon 6 Apr 2026, 10:00 with ")
    assert "Priya Shah" in error["fields"]["cancel_future_sessions"][1]
    # nothing changed
    assert not Patient.objects.get(pk=patient.pk).is_archived
    assert statuses(booked) == ["booked", "booked"]
    assert pending_messages(booked) == reminders > 0
    assert not AuditEvent.objects.filter(action__in=["archive", "transition"]).exists()


def test_confirming_cancels_each_session_to_come_and_its_reminders_then_archives(
    booked, tuesday, front_desk_client, front_desk_user
):
    patient = booked[0].patient
    response = front_desk_client.post(
        archive_url(patient),
        {"reason": "Moved to Leeds.", "cancel_future_sessions": True},
        "json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["archived"] is True
    assert body["archive_reason"] == "Moved to Leeds."
    assert statuses(booked) == ["cancelled", "cancelled"]
    assert Session.objects.get(pk=booked[0].pk).cancel_reason == (
        "The patient's record was archived: Moved to Leeds."
    )
    # The slots are free and no reminder goes out; what is left is telling the patient, once
    # for the course, listing both times (not a message per session).
    course = booked[0].course
    course.refresh_from_db()
    assert course.status == "cancelled" and course.cancel_initiated_by == "patient"
    assert [m.kind for s in booked for m in s.messages.filter(status="pending")] == [
        "course_cancelled"
    ]
    patient.refresh_from_db()
    assert patient.archived_by == front_desk_user
    assert patient.archived_at == TUESDAY
    # one audit row per cancelled session and the course, and the archive, by the one who did it
    rows = AuditEvent.objects.filter(patient_id=patient.public_id, actor=front_desk_user)
    assert rows.filter(action="transition", detail__to="cancelled").count() == 3
    assert rows.filter(action="archive").count() == 1


def test_a_session_checked_in_refuses_the_archive_and_nothing_changes(
    booked, tuesday, front_desk_user
):
    Session.objects.filter(pk=booked[0].pk).update(status=Session.Status.CHECKED_IN)
    with pytest.raises(Conflict, match="checked in"):
        archive.patient_archive(
            patient=booked[0].patient,
            reason="Moved away.",
            cancel_future_sessions=True,
            by=front_desk_user,
        )
    assert statuses(booked) == ["checked_in", "booked"]
    assert not Patient.objects.get(pk=booked[0].patient_id).is_archived


def test_a_session_that_has_ended_or_is_done_is_not_to_come(booked, front_desk_user):
    # the first session's time is over but nobody marked it: only the second holds a slot
    with time_machine.travel(SERIES[0] + dt.timedelta(hours=3), tick=False):
        assert archive.future_sessions(booked[0].patient) == [booked[1]]


def test_one_refusal_after_the_cancellations_leaves_everything_as_it_was(
    booked, tuesday, front_desk_user
):
    """All or nothing: a listener refusing the archive itself undoes the cancellations."""

    def refuse(sender, **kwargs):
        raise Conflict("Something else still needs this record.")

    patient_archiving.connect(refuse, dispatch_uid="test.refuse")
    reminders = pending_messages(booked)
    try:
        with pytest.raises(Conflict, match="Something else"):
            archive.patient_archive(
                patient=booked[0].patient,
                reason="Moved away.",
                cancel_future_sessions=True,
                by=front_desk_user,
            )
    finally:
        patient_archiving.disconnect(dispatch_uid="test.refuse")
    assert statuses(booked) == ["booked", "booked"]
    assert pending_messages(booked) == reminders
    assert not Patient.objects.get(pk=booked[0].patient_id).is_archived


def test_the_patients_service_alone_cannot_archive_over_sessions_to_come(
    booked, tuesday, front_desk_user
):
    with pytest.raises(archive.FutureSessions):
        patient_services.patient_archive(
            patient=booked[0].patient, reason="Moved away.", by=front_desk_user
        )
    assert not Patient.objects.get(pk=booked[0].patient_id).is_archived


def test_a_reason_is_required_and_archiving_twice_is_a_conflict(
    clinic, front_desk_client, front_desk_user
):
    patient = clinic.screened_patient(front_desk_user)
    missing = front_desk_client.post(archive_url(patient), {"reason": "  "}, "json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["error"]["fields"]

    done = front_desk_client.post(archive_url(patient), {"reason": "Asked us to."}, "json")
    assert done.status_code == 200
    again = front_desk_client.post(archive_url(patient), {"reason": "Again."}, "json")
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "This patient's record is archived already."


def test_only_front_office_may_archive_or_restore(clinic, practitioner_client, front_desk_user):
    patient = clinic.screened_patient(front_desk_user)
    body = {"reason": "Moved away."}
    assert practitioner_client.post(archive_url(patient), body, "json").status_code == 403
    restore = f"/api/patients/{patient.public_id}/restore/"
    assert practitioner_client.post(restore).status_code == 403
    assert not Patient.objects.get(pk=patient.pk).is_archived


# --- Restore -------------------------------------------------------------------------------


def test_restoring_brings_the_record_back_and_is_audited(
    clinic, front_desk_client, manager_client, front_desk_user, manager_user
):
    patient = clinic.screened_patient(front_desk_user)
    patient_services.patient_archive(patient=patient, reason="Moved away.", by=front_desk_user)

    response = manager_client.post(f"/api/patients/{patient.public_id}/restore/")

    assert response.status_code == 200
    assert response.json()["archived"] is False
    assert response.json()["archive_reason"] == ""
    assert AuditEvent.objects.filter(
        action="restore", actor=manager_user, patient_id=patient.public_id
    ).exists()
    listed = front_desk_client.get("/api/patients/").json()["results"]
    assert [p["id"] for p in listed] == [str(patient.public_id)]
    # and it takes changes again
    changed = front_desk_client.patch(
        f"/api/patients/{patient.public_id}/", {"phone": "07400 123999"}, "json"
    )
    assert changed.status_code == 200


def test_restoring_a_record_that_is_not_archived_is_a_conflict(
    clinic, front_desk_client, front_desk_user
):
    patient = clinic.screened_patient(front_desk_user)
    response = front_desk_client.post(f"/api/patients/{patient.public_id}/restore/")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "This patient's record is not archived."
    assert not AuditEvent.objects.filter(action="restore").exists()


# --- Read-only while archived ----------------------------------------------------------------


def test_an_archived_record_is_readable_but_every_write_is_a_409_saying_to_restore(
    clinic, front_desk_client, practitioner_client, front_desk_user, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    patient_services.patient_archive(patient=patient, reason="Moved away.", by=front_desk_user)
    base = f"/api/patients/{patient.public_id}"

    for path in ("/", "/intakes/", "/screenings/", "/consents/"):
        assert front_desk_client.get(base + path).status_code == 200, path

    writes = [
        front_desk_client.patch(base + "/", {"phone": "07400 123999"}, "json"),
        front_desk_client.post(
            base + "/consents/",
            {"kind": "treatment", "signed_name": patient.full_name, "agreed": True},
            "json",
        ),
        practitioner_client.post(
            "/api/courses/",
            {
                "patient": str(patient.public_id),
                "practitioner": clinic.practitioner.pk,
                "protocol": acne_protocol.pk,
                "areas": ["cheeks"],
            },
            "json",
        ),
    ]
    for response in writes:
        assert response.status_code == 409, response.json()
        assert response.json()["error"]["message"] == patient_services.ARCHIVED
    assert "restore the record first" in patient_services.ARCHIVED
