"""Issue 10 in Debian's Chromium: a patient names pus and a fever in the check-in's free text
(no box ticked), the practitioner finds it in the triage list, and the next session cannot be
checked in until the practitioner has released the hold with a note.

The dates are built around the real clock (the live server and the browser both use it): the
session done three days ago makes this the 72-hour check-in, at which skin "getting better"
raises nothing by itself, so the flag can only come from the note; the next session starts
later today on the clinic's clock (`later_today`), so the check-in happens on its day. The
spacing between the two is shorter than a course allows, which nothing here depends on (the
rows are made directly, not booked).
"""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from clinic.tests.clock import later_today
from clinic.tests.factories import PASSWORD
from patients import services as patient_services
from patients.forms import question_text
from patients.models import Hold
from patients.vocabulary import ON_THE_DAY_KEYS, QUESTIONS
from treatments.portal.models import CheckInAnswer, ReactionFlag
from treatments.scheduling.models import Session
from treatments.scheduling.tests.factories import CourseFactory, PractitionerFactory

from .helpers import booked_session, completed_session, intake, portal_patient

pytestmark = pytest.mark.browser

NOTE = "There is yellow pus on my cheek and I have a fever"
RELEASE_NOTE = "Seen in clinic: infection treated with antibiotics, now healed."
INFECTION = re.compile(r"^Redness, warmth or swelling that gets worse after day 2")


@pytest.fixture
def desk_page(browser):
    """A second desktop page for the front desk, logged in apart from the practitioner."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def staff_login(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def confirm_every_answer_and_check_in(page) -> None:
    """Front desk opens the check-in and confirms every answer read back, unchanged."""
    page.get_by_role("link", name="Check in").click()
    expect(page.get_by_role("heading", name="Check in Nia Adeyemi", level=1)).to_be_visible()
    for key in ON_THE_DAY_KEYS:
        if key == "isotretinoin_stopped_on":  # asked together with isotretinoin
            continue
        group = page.get_by_role("group", name=question_text(QUESTIONS[key]), exact=True)
        group.get_by_label("Confirmed (unchanged)").check()
    page.get_by_role("button", name="Check in").click()


def flash(page):
    """The messages after an action (a status region holding a list; the portal's notices are
    status paragraphs of their own)."""
    return page.get_by_role("status").filter(has=page.get_by_role("list"))


def test_pus_and_fever_in_the_note_reach_triage_and_hold_the_next_session_until_released(
    transactional_db,
    live_server,
    mobile_page,
    page,
    desk_page,
    front_desk_user,
    practitioner_user,
    check_in_opens_at_midnight,
):
    practitioner = PractitionerFactory(user=practitioner_user, display_name="Priya Shah")
    patient = portal_patient(first_name="Nia", last_name="Adeyemi", email="nia@example.com")
    now = timezone.now()
    course = CourseFactory(patient=patient, practitioner=practitioner, areas=["cheeks", "forehead"])
    completed_session(patient, at=now - dt.timedelta(days=3), course=course, number=1)
    second = booked_session(patient, at=later_today(now), course=course, number=2)
    # Everything else check-in asks for is in place: answers from today that clear the
    # course's areas, and the treatment consent. Only the hold can stop it.
    intake(patient, front_desk_user)
    patient_services.consent_sign(
        patient=patient, kind="treatment", signed_name=patient.full_name, agreed=True,
        by=front_desk_user,
    )  # fmt: skip

    # 1. The patient, on a phone, answers the check-in in her own words, no box ticked.
    phone = mobile_page
    phone.goto(f"{live_server.url}/portal/login/")
    phone.get_by_label("E-mail address").fill(patient.portal_user.username)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_role("heading", name="Hello, Nia", level=1)).to_be_visible()
    phone.get_by_role("link", name="Tell us how your skin is").click()
    expect(phone.get_by_role("heading", name="How is your skin?", level=1)).to_be_visible()
    phone.get_by_label("Still red, dry or flaky, but getting better").check()
    boxes = phone.get_by_role("group", name="Do you have any of these?").get_by_role("checkbox")
    expect(boxes).to_have_count(8)
    for box in boxes.all():
        expect(box).not_to_be_checked()
    phone.get_by_label("Anything else you want us to know? (optional)").fill(NOTE)
    phone.get_by_role("button", name="Send").click()

    expect(phone.get_by_role("heading", name="Your aftercare", level=1)).to_be_visible()
    expect(flash(phone)).to_contain_text(
        "Thank you. We have told your practitioner, who will contact you. "
        f"If it gets worse, call us on {settings.CLINIC_PHONE}."
    )
    expect(flash(phone)).not_to_contain_text("now if you have trouble breathing")  # not urgent
    expect(phone.get_by_text("You told us about a reaction.")).to_be_visible()
    answer = CheckInAnswer.objects.get()
    assert answer.kind == CheckInAnswer.Kind.HOURS_72
    assert (answer.warning_signs, answer.note_signs, answer.urgent) == ([], ["infection"], False)
    flag = ReactionFlag.objects.get(check_in=answer)
    hold = Hold.objects.get(patient=patient)
    assert hold.is_open and hold.source == Hold.Source.REACTION
    assert hold.source_ref == str(flag.public_id)

    # 2. The practitioner's dashboard counts it; the triage list shows it, flag and note.
    staff_login(page, live_server, practitioner_user)
    tile = page.locator("section", has=page.get_by_role("heading", name="Reported by patients"))
    expect(tile).to_contain_text("1 reaction to review")
    tile.get_by_role("link", name="1 check-in to read").click()
    expect(page.get_by_role("heading", name="Check-ins to read (1)", level=1)).to_be_visible()
    item = page.get_by_role("article").filter(has=page.get_by_role("heading", name="Nia Adeyemi"))
    expect(item.get_by_role("heading", level=3)).to_have_text("Nia Adeyemi Your patient")
    expect(item).to_contain_text("Check-in (72 hours)")
    expect(item).to_contain_text(re.compile(r"sent (just now|\d+ minutes? ago)\."))
    expect(item).to_contain_text("After session 1 on")
    expect(item).to_contain_text("Skin: Still red, dry or flaky, but getting better.")
    sign = item.get_by_role("listitem").filter(has_text=INFECTION)
    expect(sign).to_contain_text("pus, yellow crusts or oozing, or a fever (named in the note)")
    expect(item).to_contain_text(f"Note: “{NOTE}”")
    expect(item).to_contain_text("Raised a flag: open, review and clear it.")
    expect(item).not_to_contain_text("Urgent")

    # 3. Front desk tries to check her in for the next session: refused, the hold named.
    desk = desk_page
    staff_login(desk, live_server, front_desk_user)
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    desk.get_by_label("Search by name, phone, e-mail or date of birth").fill("Adeyemi")
    desk.get_by_role("button", name="Search").click()
    desk.get_by_role("link", name="Adeyemi, Nia").click()
    desk.get_by_role("link", name="Session 2").click()
    expect(desk.get_by_role("heading", name="Session 2 of 4", level=1)).to_be_visible()
    expect(desk.get_by_text("Booked", exact=True)).to_be_visible()
    confirm_every_answer_and_check_in(desk)
    expect(flash(desk)).to_contain_text("The patient reported a reaction after the session on")
    expect(flash(desk)).to_contain_text("A practitioner must release the hold before treatment.")
    expect(desk.get_by_text("Booked", exact=True)).to_be_visible()
    expect(desk.get_by_role("link", name="Check in")).to_be_visible()
    second.refresh_from_db()
    assert second.status == Session.Status.BOOKED

    # 4. The practitioner reviews it, releases the hold with a note, and marks it read.
    item.get_by_role("link", name="review and clear it").click()
    expect(page.get_by_role("heading", name="Portal alerts", level=1)).to_be_visible()
    reaction = page.locator(f"#flag-{flag.public_id}")
    expect(reaction).to_contain_text(f"Note: “{NOTE}”")
    reaction.get_by_label("What you found or did").fill(RELEASE_NOTE)
    reaction.get_by_role("button", name="Clear this reaction").click()
    expect(flash(page)).to_contain_text("Cleared: the patient's next session can be checked in.")
    expect(page.get_by_role("heading", name="Reactions to review (0)")).to_be_visible()
    hold.refresh_from_db()
    assert not hold.is_open
    assert (hold.released_by, hold.release_note) == (practitioner_user, RELEASE_NOTE)

    page.get_by_role("link", name="Check-ins to read").click()
    item = page.get_by_role("article").filter(has_text="Nia Adeyemi")
    expect(item).to_contain_text("Raised a flag: cleared.")
    item.get_by_role("button", name="Mark as read").click()
    expect(flash(page)).to_contain_text("Marked as read.")
    expect(page.get_by_role("heading", name="Check-ins to read (0)", level=1)).to_be_visible()
    expect(page.get_by_text("Nothing to read: every check-in has been read.")).to_be_visible()
    answer.refresh_from_db()
    assert answer.read_by == practitioner_user

    # 5. Nothing else stood in the way: the same button now checks her in.
    desk.reload()
    confirm_every_answer_and_check_in(desk)
    expect(flash(desk)).to_contain_text("Checked in: every answer confirmed.")
    expect(desk.get_by_text("Checked in", exact=True)).to_be_visible()
    second.refresh_from_db()
    assert second.status == Session.Status.CHECKED_IN
