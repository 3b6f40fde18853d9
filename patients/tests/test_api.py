import datetime as dt
import uuid

import pytest

from clinic.models import AuditEvent
from patients.models import Consent, IntakeSubmission, Patient, ScreeningResult
from patients.tests.factories import PatientFactory
from patients.tests.helpers import clear_answers

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "first_name": "Alice",
    "last_name": "Morgan",
    "date_of_birth": "1988-04-12",
    "email": "Alice@Example.com",
    "phone": "07400 123456",
    "preferred_channel": "sms",
    "sms_consent": True,
}


def intake_url(patient):
    return f"/api/patients/{patient.public_id}/intakes/"


def post_intake(client, patient, answers=None, areas=("cheeks",)):
    return client.post(
        intake_url(patient),
        {"answers": answers if answers is not None else clear_answers(), "areas": list(areas)},
        format="json",
    )


# --- patients ----------------------------------------------------------------------------


def test_front_desk_registers_a_patient_with_the_phone_in_e164(front_desk_client):
    response = front_desk_client.post("/api/patients/", NEW_PATIENT, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phone"] == "+447400123456"
    assert body["email"] == "alice@example.com"
    patient = Patient.objects.get(public_id=body["id"])
    assert AuditEvent.objects.filter(patient_id=patient.public_id, action="create").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "not a phone"}, "phone"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "1890-01-01"}, "date_of_birth"),
        ({"date_of_birth": "1988-02-30"}, "date_of_birth"),
        ({"email": "not-an-email"}, "email"),
        ({"first_name": "   "}, "first_name"),
        ({"first_name": 5}, "first_name"),
        ({"sms_consent": "yes"}, "sms_consent"),
        ({"preferred_channel": "pigeon"}, "preferred_channel"),
        ({"phone": "", "preferred_channel": "sms"}, "phone"),
    ],
)
def test_bad_patient_details_are_a_400_naming_the_field(front_desk_client, change, field):
    response = front_desk_client.post("/api/patients/", {**NEW_PATIENT, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Patient.objects.exists()


def test_a_likely_duplicate_is_flagged_before_saving_and_saved_when_confirmed(
    front_desk_client,
):
    PatientFactory(first_name="alice", last_name="MORGAN", date_of_birth=dt.date(1988, 4, 12))
    response = front_desk_client.post("/api/patients/", NEW_PATIENT, format="json")
    assert response.status_code == 409
    assert "duplicate" in response.json()["error"]["fields"]
    assert Patient.objects.count() == 1
    confirmed = {**NEW_PATIENT, "confirm_duplicate": True}
    assert front_desk_client.post("/api/patients/", confirmed, format="json").status_code == 201
    assert Patient.objects.count() == 2


def test_the_same_email_is_a_likely_duplicate(front_desk_client):
    PatientFactory(email="alice@example.com")
    response = front_desk_client.post("/api/patients/", NEW_PATIENT, format="json")
    assert response.status_code == 409


def test_patients_are_searched_by_name_email_and_phone(front_desk_client):
    alice = PatientFactory(first_name="Alice", last_name="Morgan", phone="+447400123456")
    PatientFactory(first_name="Ben", last_name="Carter", email="ben@example.com")
    for term in ("alice", "morg", "Alice Morgan", "07400 123456", "+44 7400 123456"):
        results = front_desk_client.get("/api/patients/", {"search": term}).json()["results"]
        assert [r["id"] for r in results] == [str(alice.public_id)], term
    results = front_desk_client.get("/api/patients/", {"search": "ben@exa"}).json()["results"]
    assert [r["last_name"] for r in results] == ["Carter"]


def test_a_nul_in_the_search_is_a_400_naming_it_rather_than_a_500(front_desk_client):
    PatientFactory(first_name="Alice")
    for term in ("\x00", "ali\x00ce"):
        response = front_desk_client.get("/api/patients/", {"search": term})
        assert response.status_code == 400, term
        refused = response.json()["error"]["fields"]
        assert refused == {"search": ["Null characters are not allowed."]}


def test_the_patient_list_audits_each_patient_shown_in_one_row(front_desk_client):
    patients = PatientFactory.create_batch(3)
    front_desk_client.get("/api/patients/")
    read = AuditEvent.objects.get(action="list", object_type="patients.patient")
    assert sorted(read.object_ids) == sorted(str(p.pk) for p in patients)
    assert sorted(read.patient_ids) == sorted(str(p.public_id) for p in patients)
    assert read.patient_id is None  # three patients: found through patient_ids
    for patient in patients:
        assert list(AuditEvent.objects.about(patient.public_id)) == [read]


def test_the_patient_list_runs_the_same_queries_for_one_row_or_many(
    front_desk_client, django_assert_max_num_queries
):
    PatientFactory()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        front_desk_client.get("/api/patients/")
    PatientFactory.create_batch(60)
    # session, user, groups, count, page, audit insert: the same for 1 row or 50
    with django_assert_max_num_queries(len(one)):
        response = front_desk_client.get("/api/patients/")
    assert len(response.json()["results"]) == 50


def test_a_patient_is_read_by_its_public_id_and_the_read_is_audited(front_desk_client):
    patient = PatientFactory()
    response = front_desk_client.get(f"/api/patients/{patient.public_id}/")
    assert response.status_code == 200
    assert response.json()["id"] == str(patient.public_id)
    assert AuditEvent.objects.filter(patient_id=patient.public_id, action="view").count() == 1


def test_an_unknown_patient_is_a_404(front_desk_client):
    response = front_desk_client.get(f"/api/patients/{uuid.uuid4()}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_patch_edits_details_and_audits_which_fields_changed(front_desk_client):
    patient = PatientFactory(phone="+447400123400")
    response = front_desk_client.patch(
        f"/api/patients/{patient.public_id}/", {"phone": "07400 123999"}, format="json"
    )
    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.phone == "+447400123999"
    event = AuditEvent.objects.get(action="update")
    assert event.detail == {"fields": ["phone"]}  # the field, never the value


def test_archiving_hides_a_patient_but_never_deletes_it(front_desk_client):
    patient = PatientFactory()
    response = front_desk_client.post(
        f"/api/patients/{patient.public_id}/archive/", {"reason": "Moved away."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["archived"] is True
    assert response.json()["archive_reason"] == "Moved away."
    assert Patient.objects.filter(pk=patient.pk).exists()
    assert front_desk_client.get("/api/patients/").json()["results"] == []
    listed = front_desk_client.get("/api/patients/", {"archived": "true"}).json()["results"]
    assert len(listed) == 1
    # an archived record takes no new intake until it is restored
    refused = post_intake(front_desk_client, patient)
    assert refused.status_code == 409
    assert "restore the record first" in refused.json()["error"]["message"]


def test_a_patient_account_gets_403_and_anonymous_gets_401(patient_client, anon_client):
    patient = PatientFactory()
    for client, status in ((patient_client, 404), (anon_client, 401)):
        assert client.get("/api/patients/").status_code == status
        assert client.get(f"/api/patients/{patient.public_id}/").status_code == status
        assert post_intake(client, patient).status_code == status


def test_a_practitioner_reads_but_does_not_register_patients(practitioner_client):
    assert practitioner_client.get("/api/patients/").status_code == 200
    assert practitioner_client.post("/api/patients/", NEW_PATIENT, format="json").status_code == 403


# --- intakes and screening ---------------------------------------------------------------


def test_an_intake_is_screened_in_the_same_request(front_desk_client):
    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1))
    response = post_intake(
        front_desk_client, patient, clear_answers(pregnant_or_breastfeeding=True)
    )
    assert response.status_code == 201, response.json()
    screening = response.json()["screening"]
    assert screening["outcome"] == "blocked"
    assert screening["cleared_for_treatment"] is False
    assert [f["rule"] for f in screening["findings"]] == ["pregnancy"]
    assert set(screening) >= {
        "id",
        "outcome",
        "findings",
        "ruleset_version",
        "screened_at",
        "valid_until",
        "signed_off_by",
        "signed_off_at",
        "cleared_for_treatment",
    }
    assert IntakeSubmission.objects.count() == ScreeningResult.objects.count() == 1


def test_a_clear_intake_is_cleared_for_treatment(front_desk_client):
    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1), fitzpatrick="II")
    screening = post_intake(front_desk_client, patient).json()["screening"]
    assert screening["outcome"] == "cleared"
    assert screening["cleared_for_treatment"] is True


def test_a_recent_procedure_defers_with_the_date_treatment_is_possible(front_desk_client):
    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1))
    answers = clear_answers(recent_procedure_in_area_days=4)
    screening = post_intake(front_desk_client, patient, answers).json()["screening"]
    assert screening["outcome"] == "defer"
    assert screening["defer_until"] is not None


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        (
            {k: v for k, v in clear_answers().items() if k != "keloid_history"},
            "answers.keloid_history",
        ),
        (clear_answers(surprise=True), "answers.surprise"),
        (clear_answers(keloid_history="no"), "answers.keloid_history"),
        (clear_answers(keloid_history=0), "answers.keloid_history"),
        (clear_answers(isotretinoin="sometimes"), "answers.isotretinoin"),
        (clear_answers(isotretinoin="stopped"), "answers.isotretinoin_stopped_on"),
        (
            clear_answers(isotretinoin="stopped", isotretinoin_stopped_on="2999-01-01"),
            "answers.isotretinoin_stopped_on",
        ),
        (clear_answers(recent_procedure_in_area_days=1.5), "answers.recent_procedure_in_area_days"),
        (
            clear_answers(recent_procedure_in_area_days=True),
            "answers.recent_procedure_in_area_days",
        ),
        ([], "answers"),
    ],
)
def test_bad_answers_are_a_400_naming_the_field_and_nothing_is_saved(
    front_desk_client, answers, field
):
    patient = PatientFactory()
    response = post_intake(front_desk_client, patient, answers)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"], response.json()
    assert not IntakeSubmission.objects.exists()
    assert not ScreeningResult.objects.exists()


@pytest.mark.parametrize("areas", [[], ["elbow"], "cheeks", [5]])
def test_bad_areas_are_a_400(front_desk_client, areas):
    patient = PatientFactory()
    response = front_desk_client.post(
        intake_url(patient), {"answers": clear_answers(), "areas": areas}, format="json"
    )
    assert response.status_code == 400
    assert any(k.startswith("areas") for k in response.json()["error"]["fields"])


def test_every_submission_is_a_new_row_and_nothing_overwrites_an_earlier_answer(
    front_desk_client,
):
    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1))
    post_intake(front_desk_client, patient, clear_answers(pregnant_or_breastfeeding=True))
    post_intake(front_desk_client, patient)
    first, second = IntakeSubmission.objects.order_by("id")
    assert first.answers["pregnant_or_breastfeeding"] is True
    assert second.answers["pregnant_or_breastfeeding"] is False
    outcomes = front_desk_client.get(f"/api/patients/{patient.public_id}/screenings/").json()
    assert [r["outcome"] for r in outcomes["results"]] == ["cleared", "blocked"]  # newest first


def test_screenings_and_intakes_lists_run_constant_queries(
    front_desk_client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1))
    post_intake(front_desk_client, patient, clear_answers(keloid_history=True))
    urls = [f"/api/patients/{patient.public_id}/screenings/", intake_url(patient)]
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            front_desk_client.get(url)
        counts[url] = len(ctx)
    for _ in range(12):
        post_intake(front_desk_client, patient, clear_answers(keloid_history=True))
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert len(front_desk_client.get(url).json()["results"]) == 13


# --- sign-off ----------------------------------------------------------------------------


def review_screening(client):
    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1))
    body = post_intake(client, patient, clear_answers(keloid_history=True)).json()
    assert body["screening"]["outcome"] == "review"
    return body["screening"]["id"]


def test_a_practitioner_signs_off_a_review_with_a_reason(front_desk_client, practitioner_client):
    screening_id = review_screening(front_desk_client)
    response = practitioner_client.post(
        f"/api/screenings/{screening_id}/sign-off/",
        {"reason": "Test spot healed well; proceed at low depth."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["cleared_for_treatment"] is True
    assert body["signed_off_by"] == "Priya Shah"
    assert AuditEvent.objects.filter(action="sign_off").count() == 1
    again = practitioner_client.post(
        f"/api/screenings/{screening_id}/sign-off/", {"reason": "again"}, format="json"
    )
    assert again.status_code == 409


def test_front_desk_cannot_sign_off(front_desk_client):
    screening_id = review_screening(front_desk_client)
    response = front_desk_client.post(
        f"/api/screenings/{screening_id}/sign-off/", {"reason": "ok"}, format="json"
    )
    assert response.status_code == 403
    assert ScreeningResult.objects.get().signed_off_at is None


@pytest.mark.parametrize(
    "answers", [{"pregnant_or_breastfeeding": True}, {"active_acne_in_area": True}]
)
def test_blocked_and_deferred_results_cannot_be_signed_off(
    front_desk_client, practitioner_client, answers
):
    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1))
    screening_id = post_intake(front_desk_client, patient, clear_answers(**answers)).json()[
        "screening"
    ]["id"]
    response = practitioner_client.post(
        f"/api/screenings/{screening_id}/sign-off/", {"reason": "ok"}, format="json"
    )
    assert response.status_code == 409
    assert ScreeningResult.objects.get().signed_off_at is None


def test_a_practitioner_overrides_an_acne_deferral_and_the_result_says_so(
    front_desk_client, practitioner_client
):
    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1))
    body = post_intake(front_desk_client, patient, clear_answers(active_acne_in_area=True)).json()
    url = f"/api/screenings/{body['screening']['id']}/sign-off/"
    assert body["screening"]["cleared_for_treatment"] is False
    response = practitioner_client.post(
        url, {"reason": "Two mild spots, away from the cheeks.", "override_defer": True},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    assert response.json()["defer_overridden"] is True
    assert response.json()["cleared_for_treatment"] is True


def test_a_sunburn_deferral_cannot_be_overridden(front_desk_client, practitioner_client):
    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1))
    answers = clear_answers(sunburn_or_tan_last_14_days=True)
    screening_id = post_intake(front_desk_client, patient, answers).json()["screening"]["id"]
    response = practitioner_client.post(
        f"/api/screenings/{screening_id}/sign-off/",
        {"reason": "Looks fine.", "override_defer": True},
        format="json",
    )
    assert response.status_code == 409
    assert "Only a deferral for inflamed acne" in response.json()["error"]["message"]
    assert ScreeningResult.objects.get().signed_off_at is None


def test_a_sign_off_needs_a_reason(front_desk_client, practitioner_client):
    screening_id = review_screening(front_desk_client)
    response = practitioner_client.post(
        f"/api/screenings/{screening_id}/sign-off/", {"reason": "  "}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]


# --- consent -----------------------------------------------------------------------------


def test_the_treatment_consent_is_signed_with_name_agreement_and_version(front_desk_client):
    patient = PatientFactory(first_name="Alice", last_name="Morgan")
    response = front_desk_client.post(
        f"/api/patients/{patient.public_id}/consents/",
        {"kind": "treatment", "signed_name": " alice  morgan ", "agreed": True},
        format="json",
    )
    assert response.status_code == 201, response.json()
    consent = Consent.objects.get()
    assert consent.template_version == "2026.11"
    assert consent.signed_at is not None
    from patients.selectors import has_current_treatment_consent

    assert has_current_treatment_consent(patient)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "treatment", "signed_name": "Alice Morgan", "agreed": False}, "agreed"),
        ({"kind": "treatment", "signed_name": "Alice Morgan", "agreed": "true"}, "agreed"),
        ({"kind": "treatment", "signed_name": "Bob", "agreed": True}, "signed_name"),
        ({"kind": "tattoo", "signed_name": "Alice Morgan", "agreed": True}, "kind"),
    ],
)
def test_an_incomplete_consent_is_a_400_and_nothing_is_saved(front_desk_client, body, field):
    patient = PatientFactory(first_name="Alice", last_name="Morgan")
    response = front_desk_client.post(
        f"/api/patients/{patient.public_id}/consents/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Consent.objects.exists()


def test_photo_and_marketing_consents_are_separate_and_do_not_count_for_treatment(
    front_desk_client,
):
    from patients.selectors import has_current_treatment_consent

    patient = PatientFactory(first_name="Alice", last_name="Morgan")
    for kind in ("clinical_photos", "marketing"):
        response = front_desk_client.post(
            f"/api/patients/{patient.public_id}/consents/",
            {"kind": kind, "signed_name": "Alice Morgan", "agreed": True},
            format="json",
        )
        assert response.status_code == 201
    assert not has_current_treatment_consent(patient)


def test_the_intake_api_records_a_skin_type_and_refuses_an_unknown_one(front_desk_client):
    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1))
    url = intake_url(patient)
    bad = front_desk_client.post(
        url, {"answers": clear_answers(), "areas": ["cheeks"], "fitzpatrick": "VII"}, format="json"
    )
    assert bad.status_code == 400 and "fitzpatrick" in bad.json()["error"]["fields"]
    good = front_desk_client.post(
        url, {"answers": clear_answers(), "areas": ["cheeks"], "fitzpatrick": "IV"}, format="json"
    )
    assert good.status_code == 201
    patient.refresh_from_db()
    assert patient.fitzpatrick == "IV"


def test_a_page_of_patients_is_written_exactly_as_drf_would_write_it():
    """The patient list writes its rows with FastListSerializer (issue 13): same JSON."""
    from django.utils import timezone
    from rest_framework import serializers as drf

    from patients.serializers import PatientSerializer

    PatientFactory(email="", phone="", fitzpatrick="")
    PatientFactory(archived_at=timezone.now(), archive_reason="Moved away", fitzpatrick="IV")
    PatientFactory(sms_consent=True, preferred_channel="sms", phone="+447700900123")
    patients = list(Patient.objects.order_by("id"))
    fast = PatientSerializer(patients, many=True).data
    slow = drf.ListSerializer(child=PatientSerializer()).to_representation(patients)
    assert [dict(row) for row in fast] == [dict(row) for row in slow]
    assert fast[1]["archived"] is True and fast[0]["date_of_birth"].count("-") == 2
