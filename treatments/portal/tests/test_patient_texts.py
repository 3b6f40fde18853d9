"""What patients read must not say anything untrue (issue 10 items 7 and 8, clinical
reference §3–§4).

Every message kind, by e-mail and (unless it is e-mail only) by SMS, is rendered from a real
`Message` row through `render.render_email` / `render.render_sms`; the portal's aftercare and
pre-session pages are read, and the printable aftercare sheet's PDF is read back as text, for
a face course and a body course. Each text is checked against phrases it must not contain and
facts it must state.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pypdf
import pytest
from django.conf import settings
from django.urls import reverse

from clinic.contact import emergency_number
from patients.vocabulary import AREA_LABELS, ON_THE_DAY_KEYS
from treatments.messaging import render, sms
from treatments.messaging.models import SESSION_KINDS, Message, channels_for
from treatments.messaging.outbox import AFTER_SESSION
from treatments.messaging.outbox import REVIEWS as REVIEW_KINDS
from treatments.messaging.tests.helpers import book, complete, delivered_sms
from treatments.portal import aftercare, aftercare_sheet, pre_session, services
from treatments.portal.forms import PreSessionForm
from treatments.scheduling.tests.factories import CourseFactory

from .helpers import MONDAY, booked_session, completed_session, main, travel, work_outbox

pytestmark = pytest.mark.django_db

COURSES = {
    "face": ("cheeks", "forehead"),
    "body": ("hands", "arms"),  # neither face nor neck: no make-up or pillowcase lines
}
PLANNED = {"face": "forehead and cheeks", "body": "hands and arms"}  # vocabulary order
# Kinds about the coming session; the rest are about the one just done.
BEFORE = {
    Message.Kind.BOOKING_CONFIRMATION,
    Message.Kind.PRE_SESSION_CHECK,
    Message.Kind.REMINDER_48H,
    Message.Kind.REMINDER_24H,
}
NEXT = MONDAY + dt.timedelta(days=28)

FORBIDDEN = [
    "book your review in your portal",
    "book it here",
    "safe for you today",
    "closest to the truth",
]
NOT_FACE = ["make-up", "makeup", "pillowcase"]
# What must never sit under "for the rest of today": these last longer than a day.
LONGER_THAN_TODAY = re.compile(r"retinoid|acids?\b|vitamin c|exercis|sauna|hot tub|swim", re.I)


def flat(s: str) -> str:
    return re.sub(r"\s+", " ", s)


def rest_of_today_sections(s: str) -> list[str]:
    """The text under each "for the rest of today" heading, up to the next heading or list end."""
    sections = []
    for m in re.finditer(r"for the rest of today", s, re.I):
        tail = s[m.end() :]
        end = re.search(r"\n\n|</ul>", tail)
        sections.append(tail[: end.start() if end else len(tail)])
    return sections


def near(s: str, a: str, b: str, window: int = 250) -> bool:
    """`b` within `window` characters after some `a` (case-insensitive, whitespace folded)."""
    s = flat(s).lower()
    return any(b.lower() in s[m.start() : m.start() + window] for m in re.finditer(a, s))


@pytest.fixture(params=sorted(COURSES))
def course(request, patient, practitioner):
    areas = COURSES[request.param]
    course = CourseFactory(patient=patient, practitioner=practitioner, areas=list(areas))
    done = completed_session(patient, at=MONDAY, course=course, areas=areas, number=1)
    coming = booked_session(patient, at=NEXT, course=course, number=2)
    return request.param, done, coming


def messages_for(done, coming) -> list[Message]:
    return Message.objects.bulk_create(
        Message(
            patient=done.patient,
            session=coming if kind in BEFORE else done,
            kind=kind,
            channel=channel,
            due_at=MONDAY,
        )
        for kind in SESSION_KINDS
        for channel in channels_for(kind)
    )


# The essentials every after-session SMS carries in its own words (issue 10 item 7): what to
# avoid and for how long, the warning signs in short, the clinic's phone, the emergency number.
AFTER_SESSION_SMS_FACTS = [
    ("actives", r"retinoids, acids, benzoyl peroxide or vitamin c"),
    ("actives for about a week, until calm", r"about a week.{0,40}until your skin is calm"),
    ("SPF", r"spf 30\+"),
    ("warning signs", r"redness|swelling"),
    ("emergency", r"trouble breathing or throat swelling: call EMERGENCY now"),
    ("clinic phone", r"call us on PHONE"),
]
# Exercise: kept off for 72 hours in the first texts, allowed again from the 72-hour one on.
EXERCISE_OFF = r"no exercise, sauna, hot tub or swimming"


def sms_facts(kind: str) -> list[tuple[str, str]]:
    phone = re.escape(settings.CLINIC_PHONE.lower())
    facts = [
        (name, p.replace("EMERGENCY", emergency_number()).replace("PHONE", phone))
        for name, p in AFTER_SESSION_SMS_FACTS
    ]
    if kind == Message.Kind.CHECKIN_7D:  # a week on: actives may come back once calm
        facts = [(n, p) for n, p in facts if not n.startswith("actives")]
        facts.append(("actives back once calm", r"if it is calm.{0,60}retinoids"))
    elif kind == Message.Kind.CHECKIN_72H:
        facts.append(("exercise again", r"exercise, sauna and swimming are fine again"))
    else:
        facts.append(("exercise 72 hours", r"(?:for|until) 72 hours: " + EXERCISE_OFF))
    return facts


def sheet_text(session) -> str:
    """The aftercare sheet's PDF read back as text, lines joined as one would read them."""
    pdf = aftercare_sheet.sheet_pdf(session)
    assert pdf.startswith(b"%PDF-")
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    text = "\n".join(page.extract_text() for page in pages)
    return flat(re.sub(r"-\n", "-", text))


def texts_of(message: Message) -> list[str]:
    if message.channel == Message.Channel.SMS:
        return [render.render_sms(message)]
    rendered = render.render_email(message)
    return [rendered.subject, rendered.text, rendered.html]


def test_the_e_mails_face_rule_is_the_portals():
    assert render.FACE_AND_NECK == aftercare.FACE_AND_NECK


def test_every_message_kind_says_only_what_is_true(course):
    which, done, coming = course
    with travel(MONDAY + dt.timedelta(hours=3)):
        messages = messages_for(done, coming)
        kinds = {m.kind for m in messages}
        assert kinds == set(SESSION_KINDS)
        assert not [m for m in messages if m.channel not in channels_for(m.kind)]
        for message in messages:
            label = f"{which} {message.kind} {message.channel}"
            for part in texts_of(message):
                lowered = flat(part).lower()
                for phrase in FORBIDDEN:
                    assert phrase not in lowered, f"{label}: {phrase!r}"
                if which == "body":
                    for phrase in NOT_FACE:
                        assert phrase not in lowered, f"{label}: {phrase!r}"
                for section in rest_of_today_sections(part):
                    assert not LONGER_THAN_TODAY.search(section), f"{label}: {section!r}"
            if message.channel != Message.Channel.EMAIL:
                continue
            _subject, body, html = texts_of(message)
            for part in (body, html):
                assert settings.CLINIC_PHONE in part, label
            if message.kind in REVIEW_KINDS:
                for part in (body, html):
                    assert near(part, "to book your review", settings.CLINIC_PHONE), label
            if message.kind == Message.Kind.AFTERCARE:
                for part in (body, html):
                    assert emergency_number() in part, label
                    assert near(part, "no exercise", "72 hours"), label
                    assert near(part, "retinoids", "about a week", window=400), label
                    assert ("pillowcase" in part) == (which == "face"), label
                    assert ("make-up" in part.lower()) == (which == "face"), label


def test_every_after_session_sms_carries_the_essentials_and_no_patient_data(course):
    which, done, coming = course
    own_areas = [AREA_LABELS[a].lower() for a in COURSES[which]]
    with travel(MONDAY + dt.timedelta(hours=3)):
        for message in messages_for(done, coming):
            if message.channel != Message.Channel.SMS:
                continue
            body = render.render_sms(message)
            lowered = body.lower()
            label = f"{which} {message.kind}"
            assert done.patient.last_name.lower() not in lowered, label
            for area in own_areas:
                assert not re.search(rf"\b{re.escape(area)}\b", lowered), (label, area)
            assert sms.gsm7_length(body) is not None, label
            assert sms.segments(body) <= sms.MAX_SEGMENTS, (label, len(body))
            if message.kind not in AFTER_SESSION:
                continue
            for name, pattern in sms_facts(message.kind):
                assert re.search(pattern, lowered), (label, name, body)
            # The portal link comes last, as an extra: the essentials are in the text.
            assert lowered.rstrip().endswith(render.portal_link(message.kind).lower()), label


def test_an_sms_patient_without_an_account_gets_the_essentials_on_their_phone(
    clinic, acne_protocol, front_desk_user, practitioner_user, settings, tmp_path
):
    """Booked and completed through the services, sent by the worker through the SMS
    backend: what reaches the phone of a patient who has no portal account."""
    settings.SMS_FILE_PATH = tmp_path
    start = dt.datetime(2026, 3, 30, 9, tzinfo=dt.UTC)
    (session,) = book(
        clinic, by=front_desk_user, practitioner_user=practitioner_user, protocol=acne_protocol,
        starts=[start], booked_at=start - dt.timedelta(days=14), preferred_channel="sms",
        first_name="Nia", last_name="Quartermaine-Odu",
    )  # fmt: skip
    assert session.patient.portal_user is None
    done_at = start + dt.timedelta(minutes=95)
    complete(session, by=front_desk_user, practitioner_user=practitioner_user, when=done_at)
    with travel(done_at + dt.timedelta(minutes=1)):
        work_outbox()
    sent = Message.objects.get(session=session, kind=Message.Kind.AFTERCARE)
    assert (sent.channel, sent.status) == ("sms", "sent"), sent.last_error
    body = delivered_sms(tmp_path)[sent.provider_id].split("\n\n", 1)[1].strip().lower()
    assert body.startswith("hi nia, your aftercare from")
    assert "quartermaine" not in body and "cheek" not in body
    for name, pattern in sms_facts(Message.Kind.AFTERCARE):
        assert re.search(pattern, body), (name, body)


def test_the_before_session_sms_say_what_the_reference_s_cadence_says(course):
    _which, done, coming = course
    texts = {
        m.kind: render.render_sms(m).lower()
        for m in messages_for(done, coming)
        if m.channel == Message.Channel.SMS
    }
    # T-48 h: self-tanner, sunburn, cold sore or breakout: reschedule rather than attend.
    two_days = texts[Message.Kind.REMINDER_48H]
    for word in ("self-tanner", "sunburn", "cold sore", "breakout", "rather than coming in"):
        assert word in two_days, word
    assert settings.CLINIC_PHONE.lower() in two_days
    # T-24 h: stop retinoids; numbing cream as instructed.
    one_day = texts[Message.Kind.REMINDER_24H]
    assert "stop retinoids" in one_day and "numbing cream" in one_day
    # T-7 days: sun and tan, actives, antiviral if prescribed; the questions, or a call.
    week = texts[Message.Kind.PRE_SESSION_CHECK]
    for word in ("spf", "tanning", "self-tanner", "stop retinoids", "antiviral"):
        assert word in week, word
    assert settings.CLINIC_PHONE.lower() in week


def test_the_aftercare_sheet_says_what_the_portal_says(course):
    which, done, _coming = course
    text = sheet_text(done)
    lowered = text.lower()
    for phrase in FORBIDDEN:
        assert phrase not in lowered, phrase
    for phrase in NOT_FACE:
        assert (phrase in lowered) == (which == "face" and phrase != "makeup"), phrase
    assert settings.CLINIC_NAME in text and settings.CLINIC_PHONE in text
    assert f"call {emergency_number()} straight away" in lowered
    for sign in (*aftercare.WARNING_SIGNS, *aftercare.URGENT_SIGNS):
        assert flat(getattr(sign, "text", sign)) in text, sign
    assert near(text, "no exercise", "72 hours")
    assert lowered.count("about a week, until your skin is calm") >= 3
    # Line for line the portal's timeline, from the day of the session on.
    timeline = services.aftercare_timeline(session=done, today=services.completed_on(done))
    for stage in timeline.stages:
        assert stage.heading in text, stage.heading
        for line in (*stage.expect, *stage.do):
            assert flat(line) in text, line


def test_the_review_sms_says_to_call_rather_than_book_online(course):
    _which, done, coming = course
    messages = messages_for(done, coming)
    for message in messages:
        if message.kind in REVIEW_KINDS:
            if message.channel == Message.Channel.SMS:
                assert "call us to book" in render.render_sms(message)


def test_the_aftercare_page_says_only_what_is_true(course, ada):
    which, done, _coming = course
    with travel(MONDAY + dt.timedelta(hours=3)):
        response = ada.get(reverse("portal:aftercare", args=[done.public_id]))
    assert response.status_code == 200
    page = main(response)
    lowered = page.lower()
    for phrase in FORBIDDEN:
        assert phrase not in lowered, phrase
    for phrase in NOT_FACE:
        assert (phrase in lowered) == (which == "face" and phrase != "makeup"), phrase
    assert emergency_number() in page
    assert near(page, "no exercise", "72 hours")
    # Every stage before the one-week mark repeats that actives stay off for about a week.
    assert lowered.count("about a week, until your skin is calm") >= 3


def test_the_pre_session_page_shows_the_planned_areas_and_says_to_answer_yes(course, ada):
    which, _done, coming = course
    with travel(NEXT - dt.timedelta(days=3)):
        response = ada.get(reverse("portal:pre_session", args=[coming.public_id]))
    assert response.status_code == 200
    page = main(response)
    lowered = page.lower()
    for phrase in FORBIDDEN:
        assert phrase not in lowered, phrase
    assert f"areas planned for treatment: {PLANNED[which]}" in lowered, page[:500]
    assert "answer &ldquo;yes&rdquo;" in lowered or "answer “yes”" in lowered
    assert settings.CLINIC_PHONE in page
    # Issue 10 items 6 and 8: only what check-in does. The front desk read back the answers
    # that can change quickly (vocabulary.ON_THE_DAY_KEYS), not every question asked here.
    assert "on the day, we go through the ones that can change quickly with you again" in page
    assert set(ON_THE_DAY_KEYS) <= set(pre_session.pre_session_questions(coming))


@pytest.mark.parametrize(
    ("answer", "days", "valid"),
    [("no", "", True), ("no", "12", False), ("yes", "12", True), ("yes", "", False)],
)
def test_a_days_ago_question_refuses_a_number_beside_no(answer, days, valid):
    key = "recent_injectables_in_area_days"
    data = {key: answer, f"{key}__days": days}
    form = PreSessionForm(data, today=MONDAY.date(), keys=[key])
    assert form.is_valid() is valid, form.errors
    if answer == "no" and days:
        assert f"{key}__days" in form.errors
