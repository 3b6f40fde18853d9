"""The aftercare a patient reads in the portal, day by day (clinical reference §3).

The default wording is the reference's, in plain language; the manager edits it as
`AftercareStep` rows (seeded from `DEFAULT_STEPS` by a data migration). The warning signs are
the reference's red-flag table and stay in code: the check-in form asks about them by code,
and the urgent ones must always say to call emergency services.

Pure on purpose: `build_timeline` takes plain data (dates, areas, lines of text) and returns
plain data, so the day arithmetic is tested without a database or a clock. Nothing here may
repeat a claim the reference's §0 corrects (no "enhanced absorption", no home needling, no
"birth defects").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from patients.vocabulary import AREA_LABELS, FACE_AREAS

DAY_0: Final = "day_0"
HOURS_24: Final = "hours_24"
HOURS_48_72: Final = "hours_48_72"
WEEK_1: Final = "week_1"
BEFORE_NEXT: Final = "before_next"

EXPECT: Final = "expect"
DO: Final = "do"

ALWAYS: Final = "always"
FACE: Final = "face"
COLD_SORE: Final = "cold_sore"

# The stages in time order: (code, heading the patient reads, first local day after the
# session it applies to). "About 1 week" starts on day 6; "before the next session" on day
# 14, or earlier when the next session is 7 days away or less.
STAGES: Final[tuple[tuple[str, str, int], ...]] = (
    (DAY_0, "Today: leaving the clinic to bedtime", 0),
    (HOURS_24, "After 24 hours", 1),
    (HOURS_48_72, "Days 2 and 3", 2),
    (WEEK_1, "About 1 week", 6),
    (BEFORE_NEXT, "Before your next session", 14),
)
STAGE_HEADINGS: Final[Mapping[str, str]] = {code: heading for code, heading, _ in STAGES}
PRE_SESSION_WINDOW_DAYS: Final = 7

# Areas where make-up, pillowcases and the face-specific lines apply.
FACE_AND_NECK: Final = FACE_AREAS | {"neck", "decolletage"}


@dataclass(frozen=True)
class StepText:
    """One line of a stage: which stage, which section, when it applies, the text."""

    stage: str
    section: str
    condition: str
    text: str
    position: int = 0


def _s(stage: str, section: str, text: str, condition: str = ALWAYS) -> StepText:
    return StepText(stage=stage, section=section, condition=condition, text=text)


COLD_SORE_WATCH: Final = (
    "Because you have had cold sores, watch for tingling or burning, then small blisters, "
    "especially around the lips. Treatment can bring one on, most often 24 to 48 hours "
    "after. Call us on {clinic_phone} straight away if you notice this: it needs prompt "
    "treatment."
)

ACTIVES_STILL_OFF: Final = (
    "Still no retinoids, acids (AHA or BHA), benzoyl peroxide or vitamin C: keep them off for "
    "about a week, until your skin is calm."
)

DEFAULT_STEPS: Final[tuple[StepText, ...]] = (
    # Day 0
    _s(DAY_0, EXPECT, "Your skin will be red and flushed, like a moderate sunburn, and may "
       "feel tight and sensitive."),
    _s(DAY_0, EXPECT, "This usually settles a lot within a few hours."),
    _s(DAY_0, EXPECT, "A little pinpoint bleeding or swelling is possible."),
    _s(DAY_0, DO, "Keep the treated skin ({areas}) clean, with no cosmetics and no sunscreen "
       "for the rest of today."),
    _s(DAY_0, DO, "Use only the hydrating gel we gave you, as often as you like."),
    _s(DAY_0, DO, "Stay out of the sun completely today: there is no sunscreen on your skin."),
    _s(DAY_0, DO, "After a few hours you may rinse gently with lukewarm water. Wash your hands "
       "first and pat dry with a clean towel."),
    _s(DAY_0, DO, "Don't pick, rub or scrub."),
    _s(DAY_0, DO, "Sleep on a clean pillowcase.", FACE),
    _s(DAY_0, DO, "No active products: no retinoids, acids (AHA or BHA), benzoyl peroxide or "
       "vitamin C, and nothing we have not approved. Some products can cause a reaction in "
       "freshly treated skin. Keep them off for about a week, until your skin is calm."),
    _s(DAY_0, DO, "No exercise, sauna, hot tub or swimming for 72 hours, and avoid heavy "
       "sweating."),
    _s(DAY_0, DO, COLD_SORE_WATCH, COLD_SORE),
    # 24 hours
    _s(HOURS_24, EXPECT, "Within about a day your skin often looks back to normal. Pink or "
       "mild sunburn-like redness for 24 to 48 hours is common."),
    _s(HOURS_24, DO, "Start a gentle cleanser and a plain moisturiser."),
    _s(HOURS_24, DO, "Start a broad-spectrum sunscreen, SPF 30 or higher (a mineral one is "
       "often preferred), and reapply it during the day."),
    _s(HOURS_24, DO, "Keep out of the sun as much as you can until 72 hours."),
    _s(HOURS_24, DO, ACTIVES_STILL_OFF),
    _s(HOURS_24, DO, "Still no exercise, sauna, hot tub or swimming until 72 hours."),
    _s(HOURS_24, DO, "Make-up is usually fine from about 24 hours: use mineral make-up and "
       "clean fingers or brushes.", FACE),
    _s(HOURS_24, DO, COLD_SORE_WATCH, COLD_SORE),
    # 48-72 hours
    _s(HOURS_48_72, EXPECT, "Dryness, tightness, flaking or light peeling are normal, and you "
       "may get a few small spots."),
    _s(HOURS_48_72, EXPECT, "After three days there is rarely any sign of the treatment."),
    _s(HOURS_48_72, DO, "Keep moisturising."),
    _s(HOURS_48_72, DO, "Don't pick the flakes."),
    _s(HOURS_48_72, DO, "You can exercise, use a sauna and swim again after 72 hours."),
    _s(HOURS_48_72, DO, "Keep using sunscreen every day."),
    _s(HOURS_48_72, DO, ACTIVES_STILL_OFF),
    # About 1 week
    _s(WEEK_1, EXPECT, "Redness, swelling, soreness, dryness and flaking usually settle "
       "within 7 days."),
    _s(WEEK_1, DO, "If your skin is calm, you can go back to your usual routine, including "
       "retinoids and exfoliants."),
    _s(WEEK_1, DO, "Keep using SPF 30 or higher every day, and avoid tanning until your "
       "course is finished: a tan raises the risk of dark patches."),
    _s(WEEK_1, DO, "If your skin has not settled, say so in your check-in: a practitioner "
       "will look at it before your next session."),
    # Before the next session
    _s(BEFORE_NEXT, DO, "Use sunscreen every day. No sunburn or tanning in the 2 weeks before "
       "your session, and no self-tanner in the 48 hours before."),
    _s(BEFORE_NEXT, DO, "Stop retinoids and acid products {retinoid_stop} before your visit."),
    _s(BEFORE_NEXT, DO, "If you were prescribed an antiviral medicine to prevent cold sores, "
       "take it exactly as directed.", COLD_SORE),
    _s(BEFORE_NEXT, DO, "Tell us before your visit about: pregnancy or breastfeeding; new "
       "medicines (such as isotretinoin, blood thinners, antibiotics or medicines that affect "
       "your immune system); new procedures or injections; cold sores, breakouts or rashes; "
       "new or changing moles; and any reaction from your last session that has not "
       "settled. Your pre-session questions, 7 days before, ask about these."),
    _s(BEFORE_NEXT, DO, "Come without make-up.", FACE),
    _s(BEFORE_NEXT, DO, "If you put numbing cream on at home, apply it exactly as we "
       "instructed."),
)  # fmt: skip


@dataclass(frozen=True)
class WarningSign:
    code: str
    text: str


# "Call the clinic if..." (reference §3), in the words a patient would use.
WARNING_SIGNS: Final[tuple[WarningSign, ...]] = (
    WarningSign(
        "infection",
        "Redness, warmth or swelling that gets worse after day 2, pain that is getting worse, "
        "pus, yellow crusts or oozing, or a fever",
    ),
    WarningSign(
        "cold_sore",
        "Tingling or burning, then small blisters or sores in a cluster (often 24 to 48 hours "
        "after), especially around the lips",
    ),
    WarningSign(
        "not_improving",
        "Redness or swelling that is not improving by day 3 or 4, or that lasts more than 7 days",
    ),
    WarningSign("allergy", "An itchy rash, hives, or swelling of the face or eyes"),
    WarningSign(
        "bumps", "New red, firm or itchy bumps that appear days or weeks later, or don't go away"
    ),
    WarningSign("darkening", "Treated skin getting darker over the following weeks"),
    WarningSign("scarring", 'Lines or "tracks" in the skin, or raised or thickened scarring'),
    WarningSign("glands", "Tender, swollen glands in your neck"),
)
WARNING_CODES: Final[frozenset[str]] = frozenset(s.code for s in WARNING_SIGNS)
WARNING_TEXT: Final[Mapping[str, str]] = {s.code: s.text for s in WARNING_SIGNS}

# Urgent: call emergency services, not the clinic (reference §3, last row).
URGENT_SIGNS: Final[tuple[str, ...]] = (
    "Trouble breathing, tightness in your throat, or hives spreading over your body",
    "After numbing cream: dizziness, confusion, ringing in your ears, a metallic taste, "
    "blue-grey lips or fingertips, or shortness of breath",
)


def area_list(areas: Iterable[str]) -> str:
    """ "cheeks, forehead and neck": the treated areas in the patient's words."""
    names = [AREA_LABELS.get(a, a).lower() for a in areas]
    names = [re.sub(r"\s*\(.*\)$", "", n) for n in names]  # "chest (décolletage)" → "chest"
    if not names:
        return "the treated area"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def stage_on(*, completed_on: date, today: date, next_session_on: date | None) -> str:
    """Today's stage for a session completed on `completed_on` (local dates)."""
    days = (today - completed_on).days
    if next_session_on is not None and next_session_on > completed_on:
        if (next_session_on - today).days <= PRE_SESSION_WINDOW_DAYS and days >= 6:
            return BEFORE_NEXT
    current = DAY_0
    for code, _heading, first_day in STAGES:
        if days >= first_day:
            current = code
    return current


def fill(text: str, values: Mapping[str, str]) -> str:
    """Put `{name}` values into a manager-edited line; an unknown `{...}` stays as typed."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


@dataclass
class Stage:
    code: str
    heading: str
    expect: list[str] = field(default_factory=list)
    do: list[str] = field(default_factory=list)
    is_today: bool = False
    is_past: bool = False
    acknowledged_at: object = None  # set by the caller (a datetime) when the patient read it


@dataclass
class Timeline:
    """Today's stage first, then the ones still to come, then the earlier ones."""

    today: Stage
    upcoming: list[Stage]
    earlier: list[Stage]
    areas: str
    cold_sore: bool

    @property
    def stages(self) -> list[Stage]:
        return [self.today, *self.upcoming, *self.earlier]


def build_timeline(
    *,
    completed_on: date,
    today: date,
    areas: Sequence[str],
    cold_sore: bool,
    steps: Iterable[StepText],
    values: Mapping[str, str],
    next_session_on: date | None = None,
) -> Timeline:
    """The session's aftercare as a timeline, adjusted to what was done.

    Lines marked `face` show only when a face or neck area was treated; lines marked
    `cold_sore` only when the patient's intake or the chart mentions cold sores. A stage with
    no line given falls back to the reference's default (`DEFAULT_STEPS`).
    """
    steps = list(steps)
    given = {s.stage for s in steps}
    steps += [s for s in DEFAULT_STEPS if s.stage not in given]
    face = bool(set(areas) & FACE_AND_NECK)
    values = {**values, "areas": area_list(areas)}
    current = stage_on(completed_on=completed_on, today=today, next_session_on=next_session_on)
    order = [code for code, _h, _d in STAGES]
    stages = {code: Stage(code=code, heading=STAGE_HEADINGS[code]) for code in order}
    for step in sorted(steps, key=lambda s: s.position):
        if step.condition == FACE and not face:
            continue
        if step.condition == COLD_SORE and not cold_sore:
            continue
        stage = stages.get(step.stage)
        if stage is None:
            continue
        (stage.expect if step.section == EXPECT else stage.do).append(fill(step.text, values))
    now_index = order.index(current)
    for i, code in enumerate(order):
        stages[code].is_today = i == now_index
        stages[code].is_past = i < now_index
    return Timeline(
        today=stages[current],
        upcoming=[stages[c] for c in order[now_index + 1 :]],
        earlier=[stages[c] for c in order[:now_index]],
        areas=values["areas"],
        cold_sore=cold_sore,
    )


def mentions_cold_sore(texts: Iterable[str]) -> bool:
    """A chart note that names a cold sore (or HSV, herpes) counts as cold-sore history."""
    pattern = re.compile(r"cold[\s-]?sore|\bhsv\b|herpe", re.IGNORECASE)
    return any(pattern.search(t or "") for t in texts)
