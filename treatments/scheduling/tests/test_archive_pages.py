"""The archive page, the archived record with its Restore button, and the pages that would
change an archived record (issue 11 item 4)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from clinic.models import AuditEvent
from patients import services as patient_services
from patients.models import Patient
from treatments.scheduling.models import Session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("long_sessions")]
LONDON = ZoneInfo("Europe/London")
SERIES = [
    dt.datetime(2026, 3, 9, 10, tzinfo=LONDON),
    dt.datetime(2026, 4, 6, 10, tzinfo=LONDON),
]


@pytest.fixture
def tuesday():
    with time_machine.travel(dt.datetime(2026, 3, 3, 8, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def booked(clinic, front_desk_user, practitioner_user, acne_protocol):
    return clinic.book(
        starts=SERIES, protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )


def archive_page(patient) -> str:
    return reverse("treatments:patient_archive", kwargs={"public_id": patient.public_id})


def record(patient, name="detail", **kwargs) -> str:
    return reverse(f"patients:{name}", kwargs={"public_id": patient.public_id, **kwargs})


def html(response) -> str:
    return response.content.decode()


def test_the_page_lists_the_sessions_to_come_in_clinic_time_with_two_choices(
    booked, tuesday, front_desk_client, front_desk_user
):
    patient = booked[0].patient
    page = html(front_desk_client.get(archive_page(patient)))
    assert f"Archive {patient.full_name}?" in page
    assert "still has 2 sessions booked" in page
    assert "Mon 9 Mar 2026, 10:00–12:00" in page
    assert "Mon 6 Apr 2026, 10:00–12:00" in page  # BST on the wall clock, as booked
    assert "Priya Shah" in page
    assert "Cancel these 2 sessions and tell the patient, then archive" in page
    assert "Keep them: don't archive yet" in page
    assert AuditEvent.objects.filter(
        action="list", actor=front_desk_user, object_ids__contains=[str(booked[0].pk)]
    ).exists()


def test_keeping_them_is_refused_with_the_list_and_changes_nothing(
    booked, tuesday, front_desk_client
):
    patient = booked[0].patient
    response = front_desk_client.post(
        archive_page(patient), {"reason": "Moved away.", "sessions": "keep"}
    )
    assert response.status_code == 409
    page = html(response)
    assert "Not archived: 2 sessions are still booked." in page
    assert "Mon 9 Mar 2026, 10:00 with Priya Shah (session 1 of" in page
    assert not Patient.objects.get(pk=patient.pk).is_archived
    assert [s.status for s in Session.objects.order_by("starts_at")] == ["booked", "booked"]


def test_cancelling_them_archives_and_the_record_says_so_read_only(
    booked, tuesday, front_desk_client
):
    patient = booked[0].patient
    response = front_desk_client.post(
        archive_page(patient), {"reason": "Moved to Leeds.", "sessions": "cancel"}, follow=True
    )
    page = html(response)
    assert response.redirect_chain[-1][0] == record(patient)
    assert "2 sessions cancelled and the patient told" in page
    assert "This record is archived and read-only" in page
    assert "Archived on 3 March 2026, 08:00 by" in page
    assert "“Moved to Leeds.”" in page
    assert [s.status for s in Session.objects.all()] == ["cancelled", "cancelled"]
    # no way to change it from the record, only to restore it
    for gone in (
        record(patient, "edit"),
        record(patient, "intake"),
        archive_page(patient),
        record(patient, "consent", kind="treatment"),
        reverse("treatments:course_new", kwargs={"patient_id": patient.public_id}),
    ):
        assert gone not in page, gone
    assert record(patient, "restore") in page


def test_a_patient_with_nothing_booked_is_archived_with_one_button(
    clinic, front_desk_client, front_desk_user
):
    patient = clinic.screened_patient(front_desk_user)
    page = html(front_desk_client.get(archive_page(patient)))
    assert "has no sessions booked" in page
    assert "Yes, archive this patient" in page

    missing = front_desk_client.post(archive_page(patient), {"reason": ""})
    assert missing.status_code == 400
    assert "Say why the record is archived." in html(missing)

    done = front_desk_client.post(archive_page(patient), {"reason": "Asked us to."})
    assert done.status_code == 302
    assert Patient.objects.get(pk=patient.pk).archive_reason == "Asked us to."


def test_the_archive_page_reads_a_fixed_number_of_queries(
    clinic, tuesday, front_desk_client, front_desk_user, practitioner_user, acne_protocol,
    django_assert_max_num_queries,
):  # fmt: skip
    one = clinic.book(
        starts=SERIES[:1], protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )
    with django_assert_max_num_queries(12) as few:
        front_desk_client.get(archive_page(one[0].patient))
    many = clinic.book(
        starts=[dt.datetime(2026, 3, 2, 10, tzinfo=LONDON) + dt.timedelta(days=14 * i)
                for i in range(1, 6)],
        protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user,
    )  # fmt: skip
    assert len(many) == 5
    with django_assert_max_num_queries(len(few.captured_queries)):
        front_desk_client.get(archive_page(many[0].patient))


def test_restoring_from_the_record_brings_it_back(clinic, front_desk_client, front_desk_user):
    patient = clinic.screened_patient(front_desk_user)
    patient_services.patient_archive(patient=patient, reason="Moved away.", by=front_desk_user)

    response = front_desk_client.post(record(patient, "restore"), follow=True)

    page = html(response)
    assert f"{patient.full_name}&#x27;s record is restored" in page
    assert "read-only" not in page
    assert record(patient, "edit") in page
    assert not Patient.objects.get(pk=patient.pk).is_archived
    again = front_desk_client.post(record(patient, "restore"), follow=True)
    assert "This patient&#x27;s record is not archived." in html(again)


def test_a_practitioner_reads_an_archived_record_without_a_restore_button(
    clinic, practitioner_client, front_desk_user
):
    patient = clinic.screened_patient(front_desk_user)
    patient_services.patient_archive(patient=patient, reason="Moved away.", by=front_desk_user)
    page = html(practitioner_client.get(record(patient)))
    assert "This record is archived and read-only" in page
    assert record(patient, "restore") not in page
    assert "Front desk or a manager can restore it." in page


def test_a_page_that_would_change_an_archived_record_sends_staff_back_to_restore_it(
    clinic, front_desk_client, front_desk_user
):
    patient = clinic.screened_patient(front_desk_user)
    patient_services.patient_archive(patient=patient, reason="Moved away.", by=front_desk_user)
    for path in (
        record(patient, "edit"),
        record(patient, "intake"),
        record(patient, "consent", kind="treatment"),
    ):
        for method in ("get", "post"):
            response = getattr(front_desk_client, method)(path, follow=True)
            assert response.redirect_chain[-1][0] == record(patient), (method, path)
            assert "To change it, restore the record first" in html(response)
    assert Patient.objects.get(pk=patient.pk).is_archived
