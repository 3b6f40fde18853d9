"""The aftercare timeline (clinical reference §3) as plain data: no database, no clock."""

import datetime as dt

import pytest

from treatments.portal import aftercare
from treatments.portal.aftercare import StepText, build_timeline, stage_on

DONE = dt.date(2026, 3, 2)
VALUES = {"clinic_phone": "020 7946 0000", "retinoid_stop": "24 hours"}


def timeline(today, areas=("cheeks", "forehead"), cold_sore=False, steps=(), next_on=None):
    return build_timeline(
        completed_on=DONE,
        today=today,
        areas=list(areas),
        cold_sore=cold_sore,
        steps=steps,
        values=VALUES,
        next_session_on=next_on,
    )


def all_text(t) -> str:
    return "\n".join(line for s in t.stages for line in [*s.expect, *s.do])


@pytest.mark.parametrize(
    ("days", "stage"),
    [
        (0, "day_0"),
        (1, "hours_24"),
        (2, "hours_48_72"),
        (5, "hours_48_72"),
        (6, "week_1"),
        (13, "week_1"),
        (14, "before_next"),
        (40, "before_next"),
    ],
)
def test_todays_stage_follows_the_local_days_since_the_session(days, stage):
    today = DONE + dt.timedelta(days=days)
    assert stage_on(completed_on=DONE, today=today, next_session_on=None) == stage


def test_the_next_session_a_week_away_brings_the_before_the_next_session_stage_forward():
    today = DONE + dt.timedelta(days=8)
    assert stage_on(completed_on=DONE, today=today, next_session_on=today + dt.timedelta(7)) == (
        "before_next"
    )
    assert stage_on(completed_on=DONE, today=today, next_session_on=today + dt.timedelta(8)) == (
        "week_1"
    )


def test_todays_stage_comes_first_then_the_ones_to_come_then_the_earlier_ones():
    t = timeline(DONE + dt.timedelta(days=2))
    assert [s.code for s in t.stages] == [
        "hours_48_72",
        "week_1",
        "before_next",
        "day_0",
        "hours_24",
    ]
    assert t.today.is_today and not t.today.is_past
    assert all(s.is_past for s in t.earlier)


def test_day_0_says_what_the_reference_says_in_plain_language():
    t = timeline(DONE)
    assert t.today.heading.startswith("Today")
    assert "like a moderate sunburn" in t.today.expect[0]
    assert any("no cosmetics and no sunscreen" in line for line in t.today.do)
    assert any("cheeks and forehead" in line for line in t.today.do)
    assert any("Sleep on a clean pillowcase" in line for line in t.today.do)


def test_face_only_lines_are_left_out_when_only_the_body_was_treated():
    text = all_text(timeline(DONE, areas=("abdomen", "thighs")))
    assert "pillowcase" not in text
    assert "Make-up" not in text and "make-up" not in text
    assert "abdomen and thighs" in text


def test_cold_sore_advice_appears_only_with_a_cold_sore_history():
    without = all_text(timeline(DONE))
    with_history = all_text(timeline(DONE, cold_sore=True))
    assert "Because you have had cold sores" not in without
    assert "antiviral" not in without
    assert "Because you have had cold sores" in with_history
    assert "020 7946 0000" in with_history
    assert "antiviral medicine" in with_history


def test_no_text_repeats_a_claim_the_reference_corrects():
    text = all_text(timeline(DONE, cold_sore=True)).lower()
    for corrected in ("absorption", "birth defect", "at home microneedling", "centuries"):
        assert corrected not in text
    signs = " ".join(s.text for s in aftercare.WARNING_SIGNS).lower()
    assert "absorption" not in signs


def test_a_managers_lines_replace_the_default_for_their_stage_only():
    edited = [StepText("day_0", "do", "always", "Call {clinic_phone} if unsure ({areas}).")]
    t = timeline(DONE, steps=edited)
    assert t.today.do == ["Call 020 7946 0000 if unsure (cheeks and forehead)."]
    assert t.today.expect == []  # the manager's stage has only what the manager wrote
    assert t.upcoming[0].do  # other stages keep the reference's default


def test_an_unknown_placeholder_stays_as_typed():
    assert aftercare.fill("Hi {name} {clinic_phone}", VALUES) == "Hi {name} 020 7946 0000"


def test_the_chart_mentioning_a_cold_sore_counts_as_history():
    assert aftercare.mentions_cold_sore(["", "small HSV lesion noted"])
    assert aftercare.mentions_cold_sore(["Cold-sore history, on valaciclovir"])
    assert not aftercare.mentions_cold_sore(["mild erythema", ""])
