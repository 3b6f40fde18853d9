"""What patients read must not say anything untrue (issue 10 item 8, clinical reference §3–§4).

Every message kind, e-mail and SMS, is rendered from a real `Message` row through
`render.render_email` / `render.render_sms`, and the portal's aftercare and pre-session pages
are read, for a face course and a body course. Each text is checked against phrases it must
not contain and facts it must state.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse

from clinic.contact import emergency_number
from patients.vocabulary import ON_THE_DAY_KEYS
from treatments.messaging import render
from treatments.messaging.models import SESSION_KINDS, Message
from treatments.messaging.outbox import REVIEWS as REVIEW_KINDS
from treatments.portal import aftercare, pre_session
from treatments.portal.forms import PreSessionForm
from treatments.scheduling.tests.factories import CourseFactory

from .helpers import MONDAY, booked_session, completed_session, main, travel

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
        for channel in Message.Channel.values
    )


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
