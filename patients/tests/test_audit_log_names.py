"""The audit log page names patients (issue 11 item 8): linked to their record, in one query
for the page; a manager finds a patient by a POSTed search and filters by their public id,
so a name never travels in a URL; the patient record links to its trail for managers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clinic import audit
from clinic.models import AuditEvent
from clinic.tests.factories import UserFactory
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/audit/"


def viewed(patient, by, at: dt.datetime | None = None) -> AuditEvent:
    with time_machine.travel(at or timezone.now(), tick=False):
        return audit.record(actor=by, action="view", obj=patient)


def links(html: str) -> list[str]:
    return re.findall(r'(?:href|action)="([^"]*)"', html)


def test_each_row_names_its_patient_linked_to_the_record_and_marks_an_archived_one(
    manager_client, front_desk_user
):
    ann = PatientFactory(first_name="Ann", last_name="Archer")
    old = PatientFactory(first_name="Olga", last_name="Oldham", archived_at=timezone.now())
    viewed(ann, front_desk_user)
    viewed(old, front_desk_user)
    html = manager_client.get(URL).content.decode()
    assert f'<a href="{reverse("patients:detail", args=[ann.public_id])}">Ann Archer</a>' in html
    # an archived record is readable too (read-only, with its Restore button)
    old_link = f'<a href="{reverse("patients:detail", args=[old.public_id])}">Olga Oldham</a>'
    assert f'{old_link} <span class="badge">Archived</span>' in html
    assert "Fran Desk" in html  # who


def test_the_page_costs_the_same_queries_for_one_patient_or_fifty(
    manager_client, django_assert_max_num_queries
):
    staff = [UserFactory(username=f"desk{n}", role="front_desk") for n in range(50)]
    patients = [PatientFactory() for _ in range(50)]
    viewed(patients[0], staff[0])
    with django_assert_max_num_queries(10) as one:
        manager_client.get(URL)
    for member, patient in zip(staff, patients, strict=True):
        viewed(patient, member)
    # Expected: the session, the user, their roles, the staff select, the page's rows with
    # who did it, the patients' names, and the row that records this read.
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = manager_client.get(URL)
    assert len(response.context["rows"]) == 50
    assert all(row["patient"] is not None for row in response.context["rows"])


def test_a_posted_search_finds_a_patient_and_links_their_trail_by_public_id(
    manager_client, manager_user, front_desk_user
):
    bea = PatientFactory(first_name="Beatrix", last_name="Potterton")
    gone = PatientFactory(first_name="Beatrice", last_name="Gone", archived_at=timezone.now())
    other = PatientFactory(first_name="Carl", last_name="Other")
    for patient in (bea, gone, other):
        viewed(patient, front_desk_user)

    response = manager_client.post(URL, {"q": "Beat"})
    assert response.status_code == 200
    html = response.content.decode()
    found = [p for p, _ in response.context["found"]]
    assert found == [gone, bea]  # archived patients too, by last name
    assert f"{URL}?patient={bea.public_id}" in html
    for url in links(html):
        assert "Beat" not in url and "Potterton" not in url, url
    # What the search showed is audited as a list read of those patients.
    searched = AuditEvent.objects.filter(actor=manager_user, detail__search=True)
    [results] = searched  # one row for the search's results, naming both
    assert set(results.patient_ids) == {str(bea.public_id), str(gone.public_id)}
    # The page's own read row keeps the name out of its detail.
    [read] = AuditEvent.objects.filter(actor=manager_user, object_type="clinic.auditevent")
    assert "Beat" not in str(read.detail)

    trail = manager_client.get(URL, {"patient": bea.public_id})
    # Her trail: the read by the front desk, and the search that showed her name.
    assert [row["patient"] for row in trail.context["rows"]] == [bea, bea]
    assert trail.context["patient"] == bea
    assert "Potterton" in trail.content.decode()


def test_a_search_keeps_the_other_filters_and_refuses_what_is_not_a_search(
    manager_client, front_desk_user
):
    bea = PatientFactory(first_name="Beatrix", last_name="Potterton")
    path = f"{URL}?actor={front_desk_user.pk}&action=view"
    response = manager_client.post(path, {"q": "Potterton"})
    [(_, query)] = response.context["found"]
    assert query == f"actor={front_desk_user.pk}&action=view&patient={bea.public_id}"
    for bad in ("", "\x00", "x" * 101):
        refused = manager_client.post(URL, {"q": bad})
        assert refused.status_code == 200 and refused.context["search_form"].errors
        assert refused.context["found"] == []


def test_the_patient_record_links_its_audit_trail_for_managers_only(
    manager_client, front_desk_client
):
    patient = PatientFactory()
    link = f'href="{URL}?patient={patient.public_id}"'
    detail = reverse("patients:detail", args=[patient.public_id])
    assert link in manager_client.get(detail).content.decode()
    assert link not in front_desk_client.get(detail).content.decode()


def test_the_export_names_each_patient_and_a_name_cannot_become_a_formula(
    manager_client, front_desk_user
):
    sly = PatientFactory(first_name="=1+1", last_name="Sly")
    viewed(sly, front_desk_user)
    response = manager_client.get("/audit/export.csv", {"patient": sly.public_id})
    body = b"".join(response.streaming_content).decode()
    header, *rows = list(csv.reader(io.StringIO(body)))
    [row] = [r for r in rows if r[1] == "Fran Desk"]
    assert row[5] == str(sly.public_id)
    assert row[6] == "'=1+1 Sly"
    export = AuditEvent.objects.get(action="export")
    assert export.patient_id == sly.public_id


def test_a_list_read_is_one_row_found_under_each_patient_it_showed(manager_client, front_desk_user):
    """A page of patients is audited as one row naming them all (issue 13 item 5): the
    trail of each of them holds it, the page names the records, the CSV lists every id."""
    shown = PatientFactory.create_batch(12)
    unseen = PatientFactory()
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False):
        [row] = audit.record_many(actor=front_desk_user, action="list", objects=shown)
    assert row.object_ids == [str(p.pk) for p in shown]
    assert row.patient_ids == [str(p.public_id) for p in shown]
    assert row.patient_id is None and len(row.object_ids) == 12 and row.detail == {}

    for patient in shown:
        assert AuditEvent.objects.about(patient.public_id).get() == row
    assert not AuditEvent.objects.about(unseen.public_id).exists()

    trail = manager_client.get(URL, {"patient": shown[3].public_id})
    [listed] = [r for r in trail.context["rows"] if r["event"] == row]
    assert listed["patient"] == shown[3]
    first_ten = ", ".join(str(p.pk) for p in shown[:10])
    assert listed["what"] == f"Patients {first_ten} and 2 more"
    unseen_trail = manager_client.get(URL, {"patient": unseen.public_id})
    assert row.pk not in [r["event"].pk for r in unseen_trail.context["rows"]]

    export = manager_client.get("/audit/export.csv", {"actor": front_desk_user.pk})
    body = b"".join(export.streaming_content).decode()
    [exported] = list(csv.reader(io.StringIO(body)))[1:]
    assert exported[-2].split() == row.object_ids
    assert exported[-1].split() == row.patient_ids
