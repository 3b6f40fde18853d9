"""The portal on a phone (390×844) in Debian's Chromium: the patient's journey from the
invitation to a check-in that flags the practitioner, and an axe-core accessibility check of
every portal page on the way (no serious or critical violations)."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clinic.clock import to_local
from clinic.tests.factories import PASSWORD
from patients.tests.factories import PatientFactory
from treatments.portal.models import AftercareAcknowledgement, ReactionFlag
from treatments.scheduling.tests.factories import CourseFactory, PractitionerFactory

from .helpers import booked_session, completed_session, sent_link

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def assert_accessible(page) -> None:
    """axe-core on the page as shown: no serious or critical violations (this includes colour
    contrast, labels on form fields and landmark and heading rules)."""
    # Evaluated through the browser's devtools, which the page's CSP does not govern (an
    # added <script> tag is inline script, which it refuses).
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{page.url}: {json.dumps(bad, indent=1)}"
    headings = page.eval_on_selector_all(
        "main h1, main h2, main h3, main h4", "els => els.map(e => Number(e.tagName[1]))"
    )
    assert headings and headings[0] == 1, f"{page.url}: the page starts with its h1"
    for before, after in zip(headings, headings[1:], strict=False):
        assert after <= before + 1, f"{page.url}: heading levels skip ({headings})"


def earlier_today() -> dt.datetime:
    """A session start earlier today on the clinic's clock (so today's step is day 0)."""
    now = timezone.now()
    local = to_local(now)
    since_midnight = local - local.replace(hour=0, minute=0, second=0, microsecond=0)
    return now - min(dt.timedelta(hours=2), since_midnight)


def assert_fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} scrolls sideways ({width}px wide)"


def test_a_patient_sets_a_password_reads_aftercare_checks_in_and_the_practitioner_sees_it(
    transactional_db, live_server, mobile_page, front_desk_user, practitioner_user
):
    page = mobile_page
    practitioner = PractitionerFactory(user=practitioner_user, display_name="Priya Shah")
    patient = PatientFactory(first_name="Maya", last_name="Okafor", email="maya@example.com")
    completed_session(patient, at=earlier_today(), practitioner=practitioner)
    _, token = sent_link(patient, by=front_desk_user)

    # The invitation link: choose a password, and the portal opens.
    page.goto(f"{live_server.url}/portal/invite/{token}/")
    expect(page.get_by_role("heading", name="Welcome, Maya")).to_be_visible()
    assert_accessible(page)
    assert_fits_the_phone(page)
    page.get_by_label("New password", exact=True).fill("maya-chooses-a-long-one")
    page.get_by_label("New password again").fill("maya-chooses-a-long-one")
    page.get_by_role("button", name="Set password and continue").click()
    expect(page.get_by_role("heading", name="Hello, Maya")).to_be_visible()
    assert_accessible(page)
    assert_fits_the_phone(page)

    # Today's aftercare step, first on the page; acknowledge it.
    page.get_by_role("link", name="Read today's aftercare").click()
    today = page.locator("#today")
    expect(today.get_by_role("heading", level=2)).to_contain_text("Today")
    expect(today).to_contain_text("like a moderate sunburn")
    expect(page.get_by_role("heading", name=re.compile("Call 999"))).to_be_visible()
    assert_accessible(page)
    assert_fits_the_phone(page)
    page.get_by_role("button", name="I have read this").click()
    expect(page.get_by_text("You confirmed reading this on")).to_be_visible()
    assert AftercareAcknowledgement.objects.filter(stage="day_0").exists()

    # The check-in, with a warning sign.
    page.get_by_role("link", name="Answer the check-in").click()
    expect(page.get_by_role("heading", name="How is your skin?", level=1)).to_be_visible()
    assert_accessible(page)
    assert_fits_the_phone(page)
    page.get_by_label("Still red, dry or flaky, but getting better").check()
    page.get_by_label(re.compile("Tingling or burning")).check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("We have told your practitioner")).to_be_visible()
    assert ReactionFlag.objects.get().warning_signs == ["cold_sore"]

    # The practitioner logs in and sees the flag on the dashboard, then the details.
    page.get_by_role("button", name="Log out").click()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(practitioner_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    tile = page.locator("section", has=page.get_by_role("heading", name="Reported by patients"))
    expect(tile).to_contain_text("1 reaction to review")
    page.get_by_role("link", name="Open portal alerts").click()
    expect(page.get_by_role("heading", name="Maya Okafor")).to_be_visible()
    expect(page.get_by_text("Tingling or burning")).to_be_visible()
    assert_accessible(page)


def test_every_other_portal_page_is_accessible_on_a_phone(
    transactional_db, live_server, mobile_page, front_desk_user
):
    page = mobile_page
    patient = PatientFactory(first_name="Sam", email="sam@example.com")
    course = CourseFactory(patient=patient)
    completed_session(patient, at=timezone.now() - dt.timedelta(days=3), course=course)
    booked = booked_session(patient, at=timezone.now() + dt.timedelta(days=3), course=course)
    _, token = sent_link(patient, by=front_desk_user)

    for path in ("/portal/login/", "/portal/reset/", "/portal/invite/not-a-token/"):
        page.goto(live_server.url + path)
        assert_accessible(page)
        assert_fits_the_phone(page)
    page.goto(f"{live_server.url}/portal/invite/{token}/")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password again").fill("different")
    page.get_by_role("button", name="Set password and continue").click()
    expect(page.get_by_role("alert")).to_be_visible()  # errors are announced
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill("sam-chooses-a-long-one")
    page.get_by_label("New password again").fill("sam-chooses-a-long-one")
    page.get_by_role("button", name="Set password and continue").click()

    for path in (
        "/portal/sessions/",
        "/portal/preferences/",
        f"/portal/pre-session-check/{booked.public_id}/",
        f"/portal/sessions/{booked.public_id}/change/",
        "/portal/aftercare/",
    ):
        page.goto(live_server.url + path)
        assert_accessible(page)
        assert_fits_the_phone(page)
    page.goto(f"{live_server.url}/portal/pre-session-check/{booked.public_id}/")
    page.get_by_role("button", name="Send my answers").click()  # nothing answered
    expect(page.get_by_role("alert")).to_contain_text("Please check your answers")
    assert_accessible(page)
