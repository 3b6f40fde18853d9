"""Staff tables and the patient record fit a phone's width (issue 11 item 9): every staff
table scrolls inside a `.table-scroll` box, pages carry the viewport tag, and at 375 px the
patient list and record are no wider than the screen."""

import datetime as dt
import re
from pathlib import Path

import pytest

from clinic.models import Role
from clinic.tests.factories import UserFactory
from patients import services
from patients.tests.factories import PatientFactory
from patients.tests.helpers import clear_answers

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Not pages on a screen: printed or mailed.
NOT_ON_SCREEN = ("portal/aftercare_sheet.html", "messaging/emails/", "exchange/record.html")


def test_every_staff_table_scrolls_inside_its_own_box():
    unwrapped = []
    for path in TEMPLATES.rglob("*.html"):
        name = path.relative_to(TEMPLATES).as_posix()
        if name.startswith(NOT_ON_SCREEN):
            continue
        lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        for before, line in zip(["", *lines], lines, strict=False):
            if re.match(r"<table\b", line) and 'class="table-scroll"' not in before:
                unwrapped.append(f"{name}: {line[:60]}")
    assert not unwrapped, "\n".join(unwrapped)


@pytest.mark.django_db
def test_the_patient_pages_carry_the_viewport_tag_and_scrolling_tables(front_desk_client):
    patient = PatientFactory()
    services.intake_submit(
        patient=patient, answers=clear_answers(), areas=["cheeks"], by=UserFactory()
    )
    for url in ("/patients/", f"/patients/{patient.public_id}/"):
        html = front_desk_client.get(url).content.decode()
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert '<div class="table-scroll">' in html


@pytest.mark.browser
def test_the_patient_list_and_record_fit_a_375_pixel_phone(transactional_db, browser, live_server):
    from clinic.tests.factories import PASSWORD

    desk = UserFactory(username="frances", role=Role.FRONT_DESK)
    patient = PatientFactory(
        first_name="Maximiliana",
        last_name="Featherstonehaugh-Worthington",
        email="maximiliana.featherstonehaugh-worthington@example.com",
        date_of_birth=dt.date(1988, 4, 12),
    )
    services.intake_submit(
        patient=patient, answers=clear_answers(keloid_history=True), areas=["cheeks"], by=desk
    )
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(desk.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        for path in ("/patients/", f"/patients/{patient.public_id}/"):
            page.goto(f"{live_server.url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width} px wide on a 375 px screen"
    finally:
        context.close()
