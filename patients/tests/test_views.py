"""The staff pages for patients: the list, registering and editing, and the record."""

import datetime as dt
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.clock import clinic_today
from clinic.models import AuditEvent
from patients import services, vocabulary
from patients.models import Patient
from patients.tests.factories import PatientFactory
from patients.tests.view_helpers import NEW_PATIENT, archive_url, screen, text, url

pytestmark = pytest.mark.django_db


# --- The list ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "term", ["morgan", "ALICE MOR", "alice@EXAMPLE", "07700 900101", "+44 7700 900101"]
)
def test_the_list_finds_a_patient_by_name_email_or_phone(front_desk_client, term):
    alice = PatientFactory(
        first_name="Alice", last_name="Morgan", email="alice@example.com", phone="+447700900101"
    )
    bob = PatientFactory(first_name="Bob", last_name="Stone", phone="+447700900999")
    response = front_desk_client.get(url("list"), {"q": term})
    assert response.status_code == 200
    assert url("detail", alice) in response.content.decode()
    assert url("detail", bob) not in response.content.decode()


def test_the_list_says_when_nothing_matches(front_desk_client):
    PatientFactory(last_name="Morgan")
    response = front_desk_client.get(url("list"), {"q": "Zebedee"})
    assert "No patient matches “Zebedee”" in response.content.decode()


def test_archived_patients_are_hidden_unless_asked_for(front_desk_client, front_desk_user):
    kept = PatientFactory(last_name="Kept")
    gone = PatientFactory(last_name="Gone")
    services.patient_archive(patient=gone, reason="Moved away.", by=front_desk_user)

    listed = front_desk_client.get(url("list")).content.decode()
    assert "Kept" in listed and "Gone" not in listed

    with_archived = front_desk_client.get(url("list"), {"archived": "1"}).content.decode()
    assert "Kept" in with_archived and "Gone" in with_archived
    # an archived record is readable, so it is a link, marked as archived
    assert f'{url("detail", gone)}">Gone, {gone.first_name}</a> <span class="badge">Archived' in (
        with_archived
    )
    assert url("detail", kept) in with_archived


def test_each_row_shows_the_latest_screening_outcome_in_colour(front_desk_client, front_desk_user):
    patient = PatientFactory()
    screen(patient, front_desk_user, pregnant_or_breastfeeding=True)
    screen(patient, front_desk_user, keloid_history=True)
    html = front_desk_client.get(url("list")).content.decode()
    assert '<span class="outcome outcome-review">Needs review' in html
    assert "outcome-blocked" not in html


def test_needs_review_lists_only_patients_whose_latest_result_waits_for_sign_off(
    practitioner_client, front_desk_user, practitioner_user
):
    waiting = PatientFactory(last_name="Waiting")
    signed = PatientFactory(last_name="Signed")
    moved_on = PatientFactory(last_name="Movedon")
    deferred = PatientFactory(last_name="Deferredreview")
    plain_defer = PatientFactory(last_name="Plaindefer")
    screen(waiting, front_desk_user, keloid_history=True)
    screen(deferred, front_desk_user, keloid_history=True, sunburn_or_tan_last_14_days=True)
    screen(plain_defer, front_desk_user, sunburn_or_tan_last_14_days=True)
    services.screening_sign_off(
        screening_result=screen(signed, front_desk_user, keloid_history=True),
        reason="Test spot healed well.",
        by=practitioner_user,
    )
    screen(moved_on, front_desk_user, keloid_history=True)
    screen(moved_on, front_desk_user)  # a newer, cleared result

    html = practitioner_client.get(url("list"), {"needs_review": "1"}).content.decode()
    assert "Waiting" in html
    assert "Deferredreview" in html
    assert "Plaindefer" not in html
    assert "Signed" not in html.replace("signed off", "").replace("sign-off", "")
    assert "Movedon" not in html


def test_the_list_shows_50_patients_a_page(front_desk_client):
    PatientFactory.create_batch(51)
    first = front_desk_client.get(url("list"))
    second = front_desk_client.get(url("list"), {"page": 2})
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 1
    assert "Page 1 of 2" in first.content.decode()


def test_the_list_audits_every_patient_shown_in_one_insert(front_desk_client, front_desk_user):
    PatientFactory.create_batch(3)
    with CaptureQueriesContext(connection) as queries:
        front_desk_client.get(url("list"))
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "clinic_auditevent"')]
    assert len(inserts) == 1
    [row] = AuditEvent.objects.filter(action="list", actor=front_desk_user)
    shown = {str(public_id) for public_id in Patient.objects.values_list("public_id", flat=True)}
    assert set(row.patient_ids) == shown and len(row.object_ids) == 3


def test_the_list_runs_the_same_queries_for_one_patient_or_sixty(
    front_desk_client, front_desk_user, django_assert_max_num_queries
):
    screen(PatientFactory(), front_desk_user, keloid_history=True)
    with CaptureQueriesContext(connection) as one:
        front_desk_client.get(url("list"))
    for patient in PatientFactory.create_batch(59):
        screen(patient, front_desk_user)
    # session, user, groups, count, page (latest outcome as subqueries), one audit insert,
    # session save (in a savepoint under the test transaction): 9, for 1 row or 50
    with django_assert_max_num_queries(len(one)):
        response = front_desk_client.get(url("list"))
    assert len(response.context["page"].object_list) == 50


# --- Register and edit -------------------------------------------------------------------------


def test_front_desk_registers_a_patient_with_the_phone_stored_in_e164(front_desk_client):
    response = front_desk_client.post(url("create"), NEW_PATIENT)
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", patient)
    assert patient.phone == "+447400123456"
    assert patient.date_of_birth == dt.date(1988, 4, 12)
    assert patient.sms_consent is True and patient.email_consent is False
    assert patient.fitzpatrick == ""
    assert AuditEvent.objects.filter(action="create", patient_id=patient.public_id).exists()


def test_the_registration_form_labels_every_field(front_desk_client):
    html = front_desk_client.get(url("create")).content.decode()
    for field in ("first_name", "last_name", "date_of_birth", "email", "phone", "fitzpatrick"):
        assert f'<label for="id_{field}">' in html
    assert 'type="date"' in html
    assert "register anyway" not in html  # only offered when a duplicate is flagged


@pytest.mark.parametrize(
    ("born", "message"),
    [
        (lambda today: today + dt.timedelta(days=1), "cannot be in the future"),
        (lambda today: today.replace(year=today.year - 121), "more than 120 years ago"),
    ],
    ids=["future", "121-years-ago"],
)
def test_an_impossible_date_of_birth_is_rejected_on_the_field(front_desk_client, born, message):
    day = born(clinic_today())
    response = front_desk_client.post(
        url("create"), {**NEW_PATIENT, "date_of_birth": day.isoformat()}
    )
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["date_of_birth"])
    assert 'id="id_date_of_birth_error"' in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert not Patient.objects.exists()


def test_a_bad_phone_is_rejected_on_the_field(front_desk_client):
    response = front_desk_client.post(url("create"), {**NEW_PATIENT, "phone": "12345"})
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert not Patient.objects.exists()


def test_the_example_phone_number_on_the_registration_form_is_one_it_accepts(front_desk_client):
    page = text(front_desk_client.get(url("create")))
    example = re.search(r"A UK number like ([0-9 ]+), or", page)[1]
    response = front_desk_client.post(url("create"), {**NEW_PATIENT, "phone": example})
    assert response.status_code == 302, response.context["form"].errors
    assert Patient.objects.get().phone == "+44" + example.replace(" ", "")[1:]


def test_the_registration_form_shows_all_its_problems_in_one_round(front_desk_client):
    tomorrow = clinic_today() + dt.timedelta(days=1)
    response = front_desk_client.post(
        url("create"),
        {**NEW_PATIENT, "first_name": "", "phone": "12345", "date_of_birth": tomorrow.isoformat()},
    )
    errors = response.context["form"].errors
    assert set(errors) == {"first_name", "phone", "date_of_birth"}
    assert "There are 3 problems" in text(response)
    assert not Patient.objects.exists()


def test_the_preferred_channel_without_its_address_shows_with_the_other_problems(
    front_desk_client,
):
    response = front_desk_client.post(
        url("create"),
        {**NEW_PATIENT, "last_name": "", "preferred_channel": "email", "email": ""},
    )
    errors = response.context["form"].errors
    assert set(errors) == {"last_name", "email"}
    assert "E-mail is preferred: enter an e-mail." in errors["email"]


def test_a_patient_with_neither_e_mail_nor_sms_is_warned_of_no_aftercare_check_ins(
    front_desk_client, patient
):
    blank = front_desk_client.get(url("create")).content.decode()
    marker = 'data-warn-unless-any="email_consent sms_consent"'
    assert blank[blank.index(marker) :].split(">")[0].endswith("hidden")  # nothing chosen yet
    data = {**NEW_PATIENT, "preferred_channel": "email", "sms_consent": ""}
    response = front_desk_client.post(url("edit", patient), data)
    assert response.status_code == 302  # still allowed
    page = front_desk_client.get(url("edit", patient)).content.decode()
    tag = page[page.index(marker) :].split(">")[0]
    assert "hidden" not in tag
    assert "the patient gets no appointment reminders and no aftercare check-ins" in text(
        front_desk_client.get(url("edit", patient))
    )


def test_a_likely_duplicate_is_flagged_and_saved_only_when_confirmed(front_desk_client):
    existing = PatientFactory(
        first_name="Alice", last_name="Morgan", date_of_birth=dt.date(1988, 4, 12)
    )
    flagged = front_desk_client.post(url("create"), {**NEW_PATIENT, "email": "new@example.com"})
    html = flagged.content.decode()
    assert flagged.status_code == 200
    assert "Is this someone who is already registered?" in html
    assert f'href="{url("detail", existing)}"' in html
    assert "This is a different person — register anyway" in html
    assert Patient.objects.count() == 1

    confirmed = front_desk_client.post(
        url("create"), {**NEW_PATIENT, "email": "new@example.com", "confirm_duplicate": "on"}
    )
    assert confirmed.status_code == 302
    assert Patient.objects.count() == 2


def test_editing_details_saves_through_the_service_and_flags_duplicates(front_desk_client, patient):
    other = PatientFactory(email="taken@example.com")
    page = front_desk_client.get(url("edit", patient))
    assert page.context["form"]["phone"].value() == "+447700900101"

    data = {**NEW_PATIENT, "email": "taken@example.com", "phone": "+44 7400 123457"}
    flagged = front_desk_client.post(url("edit", patient), data)
    assert f'href="{url("detail", other)}"' in flagged.content.decode()
    patient.refresh_from_db()
    assert patient.email != "taken@example.com"

    saved = front_desk_client.post(url("edit", patient), {**data, "confirm_duplicate": "on"})
    assert saved.status_code == 302
    patient.refresh_from_db()
    assert patient.email == "taken@example.com"
    assert patient.phone == "+447400123457"
    assert AuditEvent.objects.filter(action="update", patient_id=patient.public_id).exists()


def test_a_practitioner_cannot_register_edit_or_archive(practitioner_client, patient):
    assert practitioner_client.get(url("create")).status_code == 403
    assert practitioner_client.post(url("create"), NEW_PATIENT).status_code == 403
    assert practitioner_client.get(url("edit", patient)).status_code == 403
    assert practitioner_client.post(archive_url(patient), {"reason": "x"}).status_code == 403
    assert practitioner_client.post(url("restore", patient)).status_code == 403
    patient.refresh_from_db()
    assert not patient.is_archived


# --- The record --------------------------------------------------------------------------------


def test_the_record_shows_the_details_and_audits_the_view(
    front_desk_client, front_desk_user, patient
):
    response = front_desk_client.get(url("detail", patient))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Alice Morgan</h1>" in html
    assert "+447700900101" in html
    assert "No intake questionnaire yet" in html
    assert AuditEvent.objects.filter(
        action="view", actor=front_desk_user, patient_id=patient.public_id
    ).exists()


def test_an_unknown_patient_is_a_404(front_desk_client):
    assert front_desk_client.get(f"/patients/{uuid.uuid4()}/").status_code == 404
    assert front_desk_client.get(archive_url(PatientFactory.build())).status_code == 404


def test_a_deferred_result_says_from_when_treatment_is_possible(
    front_desk_client, front_desk_user, patient
):
    result = screen(patient, front_desk_user, recent_procedure_in_area_days=3)
    assert result.outcome == "defer"
    page = text(front_desk_client.get(url("detail", patient)))
    until = result.defer_until
    assert f"Treatment possible from {until.day} {until:%B %Y}" in page
    assert "finding-defer" in front_desk_client.get(url("detail", patient)).content.decode()


def test_the_record_shows_intake_answers_readably(front_desk_client, front_desk_user, patient):
    screen(
        patient,
        front_desk_user,
        isotretinoin="stopped",
        isotretinoin_stopped_on=dt.date(2020, 1, 2),
        recent_injectables_in_area_days=400,
    )
    page = text(front_desk_client.get(url("detail", patient)))
    question = vocabulary.QUESTIONS["isotretinoin"].label
    assert f"{question} Yes, but I have stopped" in page
    assert "2 January 2020" in page
    assert "Yes, 400 days ago" in page
    assert "by Fran Desk" in page
    assert "Areas: Cheeks" in page


def test_the_record_runs_the_same_queries_for_one_intake_or_twenty(
    front_desk_client, front_desk_user, practitioner_user, patient
):
    def add_history():
        result = screen(patient, front_desk_user, keloid_history=True)
        services.screening_sign_off(screening_result=result, reason="Fine.", by=practitioner_user)
        services.consent_sign(
            patient=patient,
            kind="treatment",
            signed_name="Alice Morgan",
            agreed=True,
            by=front_desk_user,
        )

    add_history()
    with CaptureQueriesContext(connection) as one:
        front_desk_client.get(url("detail", patient))
    for _ in range(19):
        add_history()
    with CaptureQueriesContext(connection) as twenty:
        response = front_desk_client.get(url("detail", patient))
    assert len(response.context["intakes"]) == 20
    assert len(response.context["consents"]) == 20
    # session, user, groups, patient, intakes (+ submitter, screening), screenings (+ signer),
    # consents (+ recorder), current treatment consent, audit insert, session save
    assert len(twenty) == len(one), "\n".join(q["sql"] for q in twenty)
