import re

import pytest
from playwright.sync_api import Page, expect

from clinic.models import Role
from clinic.tests.factories import UserFactory
from patients import vocabulary
from patients.forms import question_text

NO = {"bool": "No", "int": "No, never"}


def answer_intake(page: Page, **answers: str) -> None:
    """Tick cheeks and every question, as a receptionist would: `answers` names the choice's
    label for the questions that are not a plain "no"."""
    page.get_by_role("group", name="Where do we plan to treat?").get_by_label(
        "Cheeks", exact=True
    ).check()
    for key, question in vocabulary.QUESTIONS.items():
        if question.kind == "date":
            continue
        label = answers.get(key) or NO.get(question.kind) or question.choices[0][1]
        group = page.get_by_role("group", name=question_text(question), exact=True)
        group.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Save answers and screen").click()


@pytest.mark.browser
def test_front_desk_screens_a_patient_and_a_practitioner_signs_off_the_review(
    transactional_db, login, page, live_server
):
    front_desk = UserFactory(username="frances", role=Role.FRONT_DESK, first_name="Frances")
    practitioner = UserFactory(
        username="priya", role=Role.PRACTITIONER, first_name="Priya", last_name="Shah"
    )

    login(front_desk)
    page.get_by_role("link", name="Register a new patient").click()
    page.get_by_label("First name").fill("Alice")
    page.get_by_label("Last name").fill("Morgan")
    page.get_by_label("Date of birth").fill("1988-04-12")
    page.get_by_label("E-mail address").fill("alice@example.com")
    page.get_by_label("Mobile phone").fill("07400 123456")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", name="Alice Morgan")).to_be_visible()
    expect(page.get_by_text("+447400123456")).to_be_visible()

    # Pregnant: blocked, with the reason in its colour.
    page.get_by_role("link", name="Take intake questionnaire").click()
    expect(page.get_by_role("heading", name="Pregnancy and medication")).to_be_visible()
    stopped_on = page.get_by_label(question_text(vocabulary.QUESTIONS["isotretinoin_stopped_on"]))
    expect(stopped_on).to_be_hidden()  # shown only when isotretinoin was stopped
    page.get_by_label("Yes, but I have stopped").check()
    stopped_on.fill("2026-01-05")
    # answering "No, never" hides the date again, and it is not sent with the answers
    answer_intake(page, pregnant_or_breastfeeding="Yes")
    verdict = page.locator("#screening .verdict")
    expect(verdict.locator(".outcome-blocked")).to_have_text("Blocked")
    expect(page.locator("#screening li.finding-blocked")).to_contain_text(
        "Pregnant or breastfeeding"
    )

    # Only a keloid history: a review, which front desk cannot sign off.
    page.get_by_role("link", name="Take intake questionnaire").click()
    answer_intake(page, keloid_history="Yes")
    expect(verdict.locator(".outcome-review")).to_have_text("Needs review")
    expect(page.locator("#screening li.finding-review")).to_contain_text("keloid")
    expect(page.get_by_role("button", name="Sign off")).to_have_count(0)
    record = page.url.split("#")[0]
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    login(practitioner)
    page.get_by_role("link", name="Patients waiting for your sign-off").click()
    page.get_by_role("link", name="Morgan, Alice").click()
    assert page.url.split("#")[0] == record
    page.get_by_label("Clinical reason for signing off").fill("Test spot healed flat at 4 weeks.")
    page.get_by_role("button", name="Sign off").click()
    expect(verdict).to_contain_text("Signed off by Priya Shah")
    expect(page.locator("#screening .sign-off")).to_contain_text(
        re.compile(r"By Priya Shah on .*Test spot healed flat at 4 weeks\.")
    )
    expect(page.get_by_role("button", name="Sign off")).to_have_count(0)
