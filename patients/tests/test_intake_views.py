"""The staff pages that change what we know of a patient: intake, consent, sign-off,
and who may open them."""

import re

import pytest

from clinic.models import AuditEvent
from patients import vocabulary
from patients.models import Consent, IntakeSubmission, Patient, ScreeningResult
from patients.tests.helpers import clear_answers
from patients.tests.view_helpers import NEW_PATIENT, archive_url, form_data, screen, text, url

pytestmark = pytest.mark.django_db


# --- Intake ------------------------------------------------------------------------------------


def test_the_questionnaire_asks_every_question_in_the_receptionists_order_with_no_default(
    front_desk_client, patient
):
    html = front_desk_client.get(url("intake", patient)).content.decode()
    headings = re.findall(r'<h2 id="group-\w+">([^<]+)</h2>', html)
    assert headings == [title for _, title in vocabulary.GROUPS]
    for question in vocabulary.QUESTIONS.values():
        assert f'id="field-{question.key}"' in html
    assert "Are you pregnant or breastfeeding?" in html
    assert not re.search(r"<input[^>]*\bchecked\b", html)  # nothing answered for them
    assert 'data-show-when="isotretinoin=stopped"' in html
    assert "Only if stopped." in html


def test_an_intake_answering_pregnant_shows_blocked_in_colour_with_the_reason(
    front_desk_client, patient
):
    response = front_desk_client.post(
        url("intake", patient),
        form_data(clear_answers(pregnant_or_breastfeeding=True)),
        follow=True,
    )
    html = response.content.decode()
    submission = IntakeSubmission.objects.get(patient=patient)
    assert submission.answers["pregnant_or_breastfeeding"] is True
    assert submission.areas == ["cheeks"]
    assert response.redirect_chain[-1][0] == url("detail", patient) + "#screening"
    assert '<span class="outcome outcome-blocked">Blocked</span>' in html
    finding = submission.screening.findings[0]
    assert '<li class="finding-blocked">' in html
    assert finding["message"] in html
    assert "Cleared for treatment" in html and '<strong class="no">No</strong>' in html


def test_an_unanswered_question_is_a_field_error_and_nothing_is_saved(front_desk_client, patient):
    data = form_data(clear_answers())
    del data["keloid_history"]
    response = front_desk_client.post(url("intake", patient), data)
    assert response.status_code == 200
    assert response.context["form"].errors["keloid_history"] == ["This question must be answered."]
    assert "There is a problem" in response.content.decode()
    assert not IntakeSubmission.objects.exists()
    assert not ScreeningResult.objects.exists()


def test_isotretinoin_stopped_without_a_date_is_a_field_error(front_desk_client, patient):
    data = form_data(clear_answers(isotretinoin="stopped"))
    response = front_desk_client.post(url("intake", patient), data)
    assert response.status_code == 200
    assert "date of the last dose" in str(
        response.context["form"].errors["isotretinoin_stopped_on"]
    )
    assert not IntakeSubmission.objects.exists()


def test_a_recent_procedure_is_a_yes_with_a_number_of_days(front_desk_client, patient):
    data = form_data(clear_answers())
    data["recent_procedure_in_area_days"] = "yes"
    response = front_desk_client.post(url("intake", patient), data)
    assert "Enter how many days ago" in str(
        response.context["form"].errors["recent_procedure_in_area_days__days"]
    )
    assert not IntakeSubmission.objects.exists()

    data["recent_procedure_in_area_days__days"] = "5"
    front_desk_client.post(url("intake", patient), data)
    submission = IntakeSubmission.objects.get()
    assert submission.answers["recent_procedure_in_area_days"] == 5
    assert submission.answers["recent_injectables_in_area_days"] is None
    assert submission.screening.outcome == "defer"


def test_no_area_chosen_is_a_field_error(front_desk_client, patient):
    response = front_desk_client.post(url("intake", patient), form_data(clear_answers(), areas=()))
    assert response.context["form"].errors["areas"] == ["Choose at least one area to treat."]
    assert not IntakeSubmission.objects.exists()


def test_a_practitioner_can_take_an_intake(practitioner_client, patient):
    response = practitioner_client.post(url("intake", patient), form_data(clear_answers()))
    assert response.status_code == 302
    assert IntakeSubmission.objects.get().screening.outcome == "cleared"


# --- Consent -----------------------------------------------------------------------------------


def test_the_treatment_consent_shows_its_text_and_is_signed_with_name_and_box(
    front_desk_client, patient
):
    page = front_desk_client.get(url("consent", patient, kind="treatment")).content.decode()
    assert "Consent to microneedling treatment" in page
    assert "Version 2026.11" in page

    response = front_desk_client.post(
        url("consent", patient, kind="treatment"),
        {"signed_name": "alice  morgan", "agreed": "on"},
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert (consent.kind, consent.template_version) == ("treatment", "2026.11")
    detail = text(front_desk_client.get(url("detail", patient)))
    assert "Treatment consent: signed (current version)" in detail


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"signed_name": "Someone Else", "agreed": "on"}, "signed_name"),
        ({"signed_name": "Alice Morgan"}, "agreed"),
    ],
    ids=["wrong-name", "box-not-ticked"],
)
def test_an_incomplete_consent_is_an_error_and_nothing_is_saved(
    front_desk_client, patient, data, field
):
    response = front_desk_client.post(url("consent", patient, kind="treatment"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Consent.objects.exists()


def test_photo_and_marketing_consents_are_separate_and_optional(front_desk_client, patient):
    front_desk_client.post(
        url("consent", patient, kind="marketing"), {"signed_name": "Alice Morgan", "agreed": "on"}
    )
    assert Consent.objects.get().kind == "marketing"
    detail = text(front_desk_client.get(url("detail", patient)))
    assert "Treatment consent: not signed" in detail
    assert "Clinical photographs (optional) Not signed (optional)" in detail


def test_an_unknown_consent_kind_is_a_404(front_desk_client, patient):
    assert front_desk_client.get(url("consent", patient, kind="tattoo")).status_code == 404


# --- Sign-off ----------------------------------------------------------------------------------


def test_the_sign_off_button_is_shown_only_to_practitioners(
    front_desk_client, practitioner_client, front_desk_user, patient
):
    screen(patient, front_desk_user, keloid_history=True)
    as_practitioner = practitioner_client.get(url("detail", patient)).content.decode()
    as_front_desk = front_desk_client.get(url("detail", patient)).content.decode()
    assert ">Sign off</button>" in as_practitioner
    assert ">Sign off</button>" not in as_front_desk
    assert "Waiting for a practitioner" in as_front_desk


def test_a_practitioner_signs_off_a_review_and_the_record_shows_who_when_and_why(
    practitioner_client, front_desk_user, patient
):
    result = screen(patient, front_desk_user, keloid_history=True)
    response = practitioner_client.post(
        url("sign_off", public_id=result.public_id),
        {"reason": "Test spot at the jawline healed flat."},
        follow=True,
    )
    result.refresh_from_db()
    assert result.is_signed_off and result.signed_off_by.username == "prac"
    page = text(response)
    assert "By Priya Shah on" in page
    assert "“Test spot at the jawline healed flat.”" in page
    assert ">Sign off</button>" not in response.content.decode()
    assert "Cleared for treatment Yes" in page


def test_a_practitioner_overrides_an_acne_deferral_from_the_record(
    practitioner_client, front_desk_user, patient
):
    result = screen(patient, front_desk_user, active_acne_in_area=True)
    page = practitioner_client.get(url("detail", patient)).content.decode()
    assert "Override the acne deferral" in page and ">Override and record</button>" in page
    response = practitioner_client.post(
        url("sign_off", public_id=result.public_id),
        {"reason": "Two mild spots on the chin, outside the area.", "override_defer": "on"},
        follow=True,
    )
    result.refresh_from_db()
    assert result.defer_overridden and result.cleared_for_treatment
    assert "the acne deferral is overridden" in text(response)


def test_front_desk_cannot_sign_off_and_nothing_changes(
    front_desk_client, front_desk_user, patient
):
    result = screen(patient, front_desk_user, keloid_history=True)
    response = front_desk_client.post(url("sign_off", public_id=result.public_id), {"reason": "OK"})
    assert response.status_code == 403
    result.refresh_from_db()
    assert not result.is_signed_off


@pytest.mark.parametrize(
    ("answers", "reason", "message"),
    [
        ({"keloid_history": True}, "  ", "A reason is required."),
        ({"pregnant_or_breastfeeding": True}, "Fine", "A blocked result cannot be signed off"),
    ],
    ids=["no-reason", "blocked"],
)
def test_a_refused_sign_off_is_explained_on_the_record(
    practitioner_client, front_desk_user, patient, answers, reason, message
):
    result = screen(patient, front_desk_user, **answers)
    response = practitioner_client.post(
        url("sign_off", public_id=result.public_id), {"reason": reason}, follow=True
    )
    assert message in response.content.decode()
    result.refresh_from_db()
    assert not result.is_signed_off


def test_a_sign_off_without_a_reason_says_so_beside_the_reason_and_at_the_top(
    practitioner_client, front_desk_user, patient
):
    result = screen(patient, front_desk_user, keloid_history=True)
    response = practitioner_client.post(url("sign_off", public_id=result.public_id), {})
    assert response.status_code == 400
    html = response.content.decode()
    summary = html.index('class="error-summary"')
    assert summary < html.index("<h1>")  # at the top, where the page opens
    assert '<a href="#field-reason">Clinical reason for signing off — Give the clinical' in html
    field = html[html.index('id="field-reason"') :]
    field = field[: field.index("</div>")]
    assert (
        "has-error" in html[html.index('id="field-reason"') - 40 : html.index('id="field-reason"')]
    )
    assert "Give the clinical reason." in field  # beside the box to type it in
    assert "autofocus" in field
    result.refresh_from_db()
    assert not result.is_signed_off


# --- Archive and restore: treatments/scheduling/tests/test_archive_pages.py ------------------


# --- Access ------------------------------------------------------------------------------------


def every_page(patient, result):
    return [
        ("get", url("list")),
        ("get", url("create")),
        ("post", url("create")),
        ("get", url("detail", patient)),
        ("get", url("edit", patient)),
        ("post", url("edit", patient)),
        ("get", archive_url(patient)),
        ("post", archive_url(patient)),
        ("post", url("restore", patient)),
        ("get", url("intake", patient)),
        ("post", url("intake", patient)),
        ("get", url("consent", patient, kind="treatment")),
        ("post", url("consent", patient, kind="treatment")),
        ("post", url("sign_off", public_id=result.public_id)),
    ]


def test_every_page_is_403_for_a_patient_account(patient_client, front_desk_user, patient):
    result = screen(patient, front_desk_user, keloid_history=True)
    for method, address in every_page(patient, result):
        response = getattr(patient_client, method)(address)
        assert response.status_code == 403, (method, address)
    assert not Patient.objects.get().is_archived
    assert IntakeSubmission.objects.count() == 1


def test_every_page_sends_an_anonymous_visitor_to_log_in(anon_client, front_desk_user, patient):
    result = screen(patient, front_desk_user, keloid_history=True)
    for method, address in every_page(patient, result):
        response = getattr(anon_client, method)(address)
        assert response.status_code == 302, (method, address)
        assert response["Location"].startswith("/login/?next="), (method, address)


def test_the_navigation_and_dashboard_link_to_patients(front_desk_client, practitioner_client):
    front_desk = front_desk_client.get("/").content.decode()
    assert f'href="{url("list")}">Patients</a>' in front_desk
    assert f'href="{url("create")}"' in front_desk
    practitioner = practitioner_client.get("/").content.decode()
    assert f'href="{url("list")}?needs_review=1"' in practitioner


def test_a_manager_can_use_the_front_desk_pages(manager_client):
    assert manager_client.get(url("create")).status_code == 200
    assert manager_client.post(url("create"), NEW_PATIENT).status_code == 302


def test_an_empty_registration_names_every_missing_field(front_desk_client):
    response = front_desk_client.post(url("create"), {})
    errors = response.context["form"].errors
    assert {"first_name", "last_name", "date_of_birth", "preferred_channel"} <= set(errors)
    assert not Patient.objects.exists()


# --- Skin type at intake (reference §1.2 row 30) ------------------------------------------


def test_the_intake_records_the_skin_type_and_audits_the_change(front_desk_client, patient):
    page = front_desk_client.get(url("intake", patient)).content.decode()
    assert "Skin type (Fitzpatrick)" in page
    response = front_desk_client.post(
        url("intake", patient), {**form_data(clear_answers()), "fitzpatrick": "V"}
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.fitzpatrick == "V"
    assert AuditEvent.objects.filter(action="update", detail={"fields": ["fitzpatrick"]}).exists()
    findings = {f["rule"] for f in patient.screenings.get().findings}
    assert "fitzpatrick_iv_vi" in findings  # screened with the type just recorded


def test_an_intake_without_a_skin_type_keeps_the_one_on_record(front_desk_client, patient):
    patient.fitzpatrick = "II"
    patient.save()
    response = front_desk_client.post(url("intake", patient), form_data(clear_answers()))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.fitzpatrick == "II"
