"""The check-in page's form (each answer confirmed on the day ticked as confirmed or
changed) and how a confirmation reads on the session page afterwards.

Its own module because it is a questionnaire of its own (a tick and a new answer per
question), not one of the session page's small action forms in `forms.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django import forms

from clinic.forms import ClinicForm, DateInput
from patients import vocabulary
from patients.forms import (
    CONDITIONAL,
    NO,
    NO_YES_DAYS,
    YES,
    YES_NO,
    answer_text,
    days_field,
    question_text,
)
from patients.vocabulary.on_the_day import UNTICKED, topic

from .check_in import CheckInSheet
from .models import Session

CONFIRMED, CHANGED = "confirmed", "changed"
TICKS = ((CONFIRMED, "Confirmed (unchanged)"), (CHANGED, "Changed"))
NEW_ANSWER = "Give the new answer, or tick Confirmed."


def new_field(key: str) -> str:
    return f"{key}__new"


@dataclass
class NewInput:
    """One input of a changed answer; `show_when` ("name=value") when it is a follow-up."""

    field: forms.BoundField
    show_when: str = ""


@dataclass
class ConfirmRow:
    """One question read out (the tick's label, with the earlier answer as its hint), and
    the inputs of a new answer."""

    key: str
    topic: str
    flagged: bool
    tick: forms.BoundField
    inputs: list[NewInput] = field(default_factory=list)

    @property
    def errors(self) -> list[tuple[str, str]]:
        """`(anchor, message)` for the summary at the top of the page."""
        return [
            (f"field-{bound.name}", error)
            for bound in [self.tick, *(i.field for i in self.inputs)]
            for error in bound.errors
        ]


class CheckInForm(ClinicForm):
    """Every question of `sheet` ticked "Confirmed (unchanged)" or "Changed" with the new
    answer. A question that only follows another (isotretinoin's stop date) is asked with
    it: confirming the one confirms both, and a change gives both new answers.

    `confirmation()` gives what `session_check_in` takes; the service checks the rest
    (nothing unticked, a change that differs from the earlier answer) and its problems come
    back onto these fields (`service_field`).
    """

    screening = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, sheet: CheckInSheet, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.sheet = sheet
        if sheet.earlier is not None:
            self.fields["screening"].initial = sheet.earlier.public_id
        self.follow_up = {
            parent: key
            for key, (parent, _value, _hint) in CONDITIONAL.items()
            if key in sheet.keys and parent in sheet.keys
        }
        self.keys = [key for key in sheet.keys if key not in self.follow_up.values()]
        for key in self.keys:
            question = vocabulary.QUESTIONS[key]
            earlier, _flagged = self._earlier_text(key, sheet.answers)
            self.fields[key] = forms.ChoiceField(
                label=question_text(question),
                choices=TICKS,
                widget=forms.RadioSelect,
                error_messages={"required": UNTICKED},
                help_text=f"Answered before: {earlier}",
            )
            self._add_new(key, today)
            if key in self.follow_up:
                self._add_new(self.follow_up[key], today)

    def _add_new(self, key: str, today: date) -> None:
        question = vocabulary.QUESTIONS[key]
        if question.kind == "bool":
            self.fields[new_field(key)] = forms.ChoiceField(
                label="New answer", choices=YES_NO, widget=forms.RadioSelect, required=False
            )
        elif question.kind == "choice":
            self.fields[new_field(key)] = forms.ChoiceField(
                label="New answer",
                choices=question.choices,
                widget=forms.RadioSelect,
                required=False,
            )
        elif question.kind == "date":
            self.fields[new_field(key)] = forms.DateField(
                label=question_text(question),
                required=False,
                widget=DateInput(attrs={"max": today.isoformat()}),
                input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                help_text=CONDITIONAL[key][2] if key in CONDITIONAL else "",
                error_messages={"invalid": "Enter a real date."},
            )
        else:  # "how many days ago": No/Yes, then a number
            self.fields[new_field(key)] = forms.ChoiceField(
                label="New answer", choices=NO_YES_DAYS, widget=forms.RadioSelect, required=False
            )
            self.fields[days_field(key)] = forms.IntegerField(
                label="How many days ago?",
                required=False,
                min_value=0,
                max_value=vocabulary.MAX_DAYS,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    # --- Reading what was ticked --------------------------------------------------------------

    def _new_names(self, key: str) -> list[str]:
        keys = [key, *([self.follow_up[key]] if key in self.follow_up else [])]
        names = [name for k in keys for name in (new_field(k), days_field(k))]
        return [name for name in names if name in self.fields]

    def clean(self):
        cleaned = super().clean()
        for key in self.keys:
            if cleaned.get(key) != CHANGED:
                # A confirmed answer's new inputs are ignored, whatever they hold (a page
                # without JavaScript shows them all).
                for name in self._new_names(key):
                    self.errors.pop(name, None)
                    cleaned.pop(name, None)
                continue
            if new_field(key) not in self.errors and not cleaned.get(new_field(key)):
                self.add_error(new_field(key), NEW_ANSWER)
            if days_field(key) not in self.fields or days_field(key) in self.errors:
                continue
            days = cleaned.get(days_field(key))
            if cleaned.get(new_field(key)) == YES and days is None:
                self.add_error(days_field(key), "Enter how many days ago, or answer No.")
            elif cleaned.get(new_field(key)) == NO and days is not None:
                self.add_error(days_field(key), "Leave this empty when the answer is No.")
        return cleaned

    def _new_value(self, key: str) -> Any:
        value = self.cleaned_data.get(new_field(key))
        kind = vocabulary.QUESTIONS[key].kind
        if kind == "bool":
            return value == YES
        if kind == "int":
            return self.cleaned_data.get(days_field(key)) if value == YES else None
        return value or None

    def confirmation(self) -> tuple[list[str], dict[str, Any]]:
        """`(confirmed, changed)` for `session_check_in`. Of a question and its follow-up,
        the part whose new answer is the earlier one counts as confirmed; when neither
        differs, both stay "changed" so the service says it is the same as before."""
        earlier = self.sheet.answers
        confirmed: list[str] = []
        changed: dict[str, Any] = {}
        for key in self.keys:
            group = [key, *([self.follow_up[key]] if key in self.follow_up else [])]
            if self.cleaned_data.get(key) == CONFIRMED:
                confirmed += group
                continue
            new = {k: self._new_value(k) for k in group}
            same = [
                k
                for k, value in new.items()
                if k in earlier and vocabulary.answers_to_json({k: value})[k] == earlier[k]
            ]
            if len(same) < len(group):
                confirmed += same
                new = {k: v for k, v in new.items() if k not in same}
            changed.update(new)
        return confirmed, changed

    def service_field(self, key: str) -> str | None:
        """A tick's problem belongs to the tick; a new answer's (``changed.<key>``, or a
        follow-up's) to its input, the number of days when the answer was Yes."""
        answer = key.removeprefix("changed.")
        if answer == key and key in self.keys:
            return key
        if answer not in vocabulary.QUESTIONS:
            return None
        if days_field(answer) in self.fields and self.data.get(new_field(answer)) == YES:
            return days_field(answer)
        return new_field(answer) if new_field(answer) in self.fields else None

    # --- Showing it --------------------------------------------------------------------------

    def rows(self) -> list[ConfirmRow]:
        earlier = self.sheet.answers
        rows = []
        for key in self.keys:
            _text, flagged = self._earlier_text(key, earlier)
            row = ConfirmRow(key=key, topic=topic(key), flagged=flagged, tick=self[key])
            row.inputs.append(NewInput(self[new_field(key)]))
            follow_up = self.follow_up.get(key)
            for name in (key, follow_up):
                if name is not None and days_field(name) in self.fields:
                    row.inputs.append(NewInput(self[days_field(name)], f"{new_field(name)}={YES}"))
            if follow_up is not None:
                _parent, value, _hint = CONDITIONAL[follow_up]
                row.inputs.append(NewInput(self[new_field(follow_up)], f"{new_field(key)}={value}"))
            rows.append(row)
        return rows

    def _earlier_text(self, key: str, earlier) -> tuple[str, bool]:
        if key not in earlier:
            return "Not asked before", True
        text, flagged = answer_text(vocabulary.QUESTIONS[key], earlier[key])
        follow_up = self.follow_up.get(key)
        if follow_up is not None and earlier.get(follow_up) is not None:
            more, _ = answer_text(vocabulary.QUESTIONS[follow_up], earlier[follow_up])
            text = f"{text} · {topic(follow_up)}: {more}"
        return text, flagged


# --- After check-in -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChangedAnswer:
    topic: str
    was: str
    now: str


@dataclass(frozen=True)
class ConfirmationSummary:
    """ "Confirmed on the day by Jo Front at 09:58: pregnancy or breastfeeding, …", and what
    changed (was, now)."""

    by: str
    at: datetime
    confirmed: list[str]
    changed: list[ChangedAnswer]


def confirmation_summary(session: Session) -> ConfirmationSummary | None:
    """How the session's check-in confirmation reads, or None before check-in. No queries
    when the session comes with `check_in_confirmation` (its user, and the earlier
    screening's submission) and its own screening's submission."""
    confirmation = getattr(session, "check_in_confirmation", None)
    if confirmation is None:
        return None
    before = confirmation.earlier.submission.answers
    after = session.screening.submission.answers if session.screening else {}

    def text(key: str, answers) -> str:
        if key not in answers or key not in vocabulary.QUESTIONS:
            return "not asked"
        return answer_text(vocabulary.QUESTIONS[key], answers[key])[0]

    return ConfirmationSummary(
        by=confirmation.confirmed_by.display_name,
        at=confirmation.confirmed_at,
        confirmed=[topic(key) for key in confirmation.confirmed_keys],
        changed=[
            ChangedAnswer(topic(key), text(key, before), text(key, after))
            for key in confirmation.changed_keys
        ],
    )
