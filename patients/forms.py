"""Forms for the staff pages: they parse what was typed and show errors next to the field.

The rules themselves live in the services and the vocabulary; a form only turns a POST into
the plain values a service takes, and turns a service's `Invalid.fields` back into field
errors (`add_service_errors`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms

from clinic.errors import Invalid
from clinic.forms import ClinicForm, DateInput

from . import screening, services, vocabulary
from .models import Patient

YES, NO = "yes", "no"
YES_NO = ((YES, "Yes"), (NO, "No"))
NO_YES_DAYS = ((NO, "No, never"), (YES, "Yes"))
ANSWER_REQUIRED = {"required": vocabulary.MISSING}
REASON_MAX = 2000
# The registration form's example: a number the form accepts (07700 900xxx, the drama range,
# is refused as not a real number).
PHONE_EXAMPLE = "07911 123456"  # a paragraph; anything longer belongs in the clinical notes


# --- Patient details ---------------------------------------------------------------------------


def _max_length(name: str) -> int:
    return Patient._meta.get_field(name).max_length


class PatientForm(ClinicForm):
    first_name = forms.CharField(label="First name", max_length=_max_length("first_name"))
    last_name = forms.CharField(label="Last name", max_length=_max_length("last_name"))
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": "Enter a real date, for example 12/04/1988."},
    )
    email = forms.EmailField(
        label="E-mail address",
        max_length=_max_length("email"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label="Mobile phone",
        required=False,
        max_length=30,
        help_text=f"A UK number like {PHONE_EXAMPLE}, or any number with its country code.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    preferred_channel = forms.ChoiceField(
        label="How do they prefer us to contact them?",
        choices=Patient.Channel.choices,
        widget=forms.RadioSelect,
        initial=Patient.Channel.EMAIL,
    )
    email_consent = forms.BooleanField(
        label="They agree to appointment and aftercare messages by e-mail", required=False
    )
    sms_consent = forms.BooleanField(
        label="They agree to appointment and aftercare messages by SMS", required=False
    )
    fitzpatrick = forms.ChoiceField(
        label="Skin type (Fitzpatrick)",
        required=False,
        choices=[("", "Not recorded yet")] + list(Patient.Fitzpatrick.choices),
        help_text="Optional. The practitioner can add it later.",
    )
    confirm_duplicate = forms.BooleanField(
        label="This is a different person — register anyway", required=False
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["confirm_duplicate"].label = "This is a different person — save anyway"

    @classmethod
    def initial_for(cls, patient: Patient) -> dict[str, Any]:
        return {
            name: getattr(patient, name) for name in cls.base_fields if name != "confirm_duplicate"
        }

    def clean(self):
        """The service's own checks on every field that parsed, so every problem (a wrong
        phone and a future birth date, say) shows in one round, not one per submit."""
        cleaned = super().clean()
        parsed = {k: v for k, v in cleaned.items() if k not in self.errors}
        self.details = None
        try:
            details = services.check_patient_details(parsed)
        except Invalid as exc:
            self.add_service_errors(exc)
        else:
            # The details as the service cleaned them (E.164 phone, lower-case e-mail), for
            # callers that save many at once (the importer) without checking them twice.
            self.details = details if len(parsed) == len(cleaned) else None
        return cleaned

    def patient_data(self) -> dict[str, Any]:
        """The details for `patient_create` / `patient_update` (the services clean them)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "confirm_duplicate"}


# --- Intake questionnaire ----------------------------------------------------------------------


def question_text(question: vocabulary.Question) -> str:
    """The question as asked on the page.

    The "how many days ago" questions are asked as No/Yes with a number, so their label's
    "leave it empty" instruction (meant for a bare number box) is left off.
    """
    if question.kind == "int":
        return question.label.split("?")[0] + "?"
    return question.label


def answer_text(question: vocabulary.Question, value) -> tuple[str, bool]:
    """A stored answer as the record shows it, and whether it is worth a second look
    (anything other than the plain "no")."""
    if value is None:
        if question.kind == "int":
            return "No, never", False
        return "—", False
    if question.kind == "bool":
        return ("Yes", True) if value else ("No", False)
    if question.kind == "choice":
        labels = dict(question.choices)
        return labels.get(value, str(value)), value != question.choice_values[0]
    if question.kind == "int":
        return f"Yes, {value} day{'' if value == 1 else 's'} ago", True
    try:
        return screening.format_date(date.fromisoformat(value)), True
    except (TypeError, ValueError):
        return str(value), True


# A question shown only when another answer makes it relevant: (other field, value, hint).
CONDITIONAL = {"isotretinoin_stopped_on": ("isotretinoin", "stopped", "Only if stopped.")}


def days_field(key: str) -> str:
    """The "how many days ago" number beside a No/Yes question."""
    return f"{key}__days"


@dataclass
class QuestionRow:
    field: forms.BoundField
    days: forms.BoundField | None = None
    show_when: str = ""


@dataclass
class Section:
    key: str
    title: str
    questions: list[QuestionRow]


class IntakeForm(ClinicForm):
    """The full questionnaire (DESIGN.md §4.1), in the order a receptionist asks it.

    No answer has a default: an unanswered question is an error, never a "no".
    """

    areas = forms.MultipleChoiceField(
        label="Where do we plan to treat?",
        choices=vocabulary.AREAS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one area to treat."},
        help_text="Tick every area. The questions below are about these areas.",
    )
    fitzpatrick = forms.ChoiceField(
        label="Skin type (Fitzpatrick)",
        required=False,
        choices=[("", "Not assessed yet")] + list(Patient.Fitzpatrick.choices),
        help_text="Recorded once, re-confirmed each course (reference §1.2). Types IV to VI "
        "are more prone to dark patches after treatment; pigmentation courses are flagged "
        "for the practitioner.",
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        for key, question in vocabulary.QUESTIONS.items():
            label = question_text(question)
            if question.kind == "bool":
                self.fields[key] = forms.ChoiceField(
                    label=label,
                    choices=YES_NO,
                    widget=forms.RadioSelect,
                    error_messages=ANSWER_REQUIRED,
                )
            elif question.kind == "choice":
                self.fields[key] = forms.ChoiceField(
                    label=label,
                    choices=question.choices,
                    widget=forms.RadioSelect,
                    error_messages=ANSWER_REQUIRED,
                )
            elif question.kind == "date":
                self.fields[key] = forms.DateField(
                    label=label,
                    required=not question.nullable,
                    widget=DateInput(attrs={"max": today.isoformat()}),
                    input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                    error_messages={**ANSWER_REQUIRED, "invalid": "Enter a real date."},
                    help_text=CONDITIONAL[key][2] if key in CONDITIONAL else "",
                )
            else:  # int: "how many days ago", asked as No/Yes plus a number
                self.fields[key] = forms.ChoiceField(
                    label=label,
                    choices=NO_YES_DAYS,
                    widget=forms.RadioSelect,
                    error_messages=ANSWER_REQUIRED,
                )
                self.fields[days_field(key)] = forms.IntegerField(
                    label="How many days ago?",
                    help_text="Only if Yes.",
                    required=False,
                    min_value=0,
                    max_value=vocabulary.MAX_DAYS,
                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                )

    def sections(self) -> list[Section]:
        """The questions grouped as in `vocabulary.GROUPS`, each with its extras."""
        found = {key: Section(key, title, []) for key, title in vocabulary.GROUPS}
        for key, question in vocabulary.QUESTIONS.items():
            row = QuestionRow(field=self[key])
            if question.kind == "int":
                row.days = self[days_field(key)]
                row.show_when = f"{key}={YES}"
            elif key in CONDITIONAL:
                other, value, _hint = CONDITIONAL[key]
                row.show_when = f"{other}={value}"
            found[question.group].questions.append(row)
        return [section for section in found.values() if section.questions]

    def clean(self):
        cleaned = super().clean()
        for key, question in vocabulary.QUESTIONS.items():
            if question.kind != "int" or days_field(key) in self.errors:
                continue
            days = cleaned.get(days_field(key))
            if cleaned.get(key) == YES and days is None:
                self.add_error(days_field(key), "Enter how many days ago, or answer No.")
            elif cleaned.get(key) == NO and days is not None:
                self.add_error(days_field(key), "Leave this empty when the answer is No.")
        # The vocabulary's own rules (e.g. a stop date only when isotretinoin was stopped), so
        # every problem shows in one round; the service checks them again when saving.
        answered = {
            k: v
            for k, v in self.answers().items()
            if k not in self.errors and days_field(k) not in self.errors
        }
        try:
            vocabulary.clean_answers(answered, today=self.today)
        except vocabulary.AnswersInvalid as exc:
            for key, messages in exc.errors.items():
                if key in answered:
                    self.add_error(self.service_field(f"answers.{key}"), messages)
        return cleaned

    def answers(self) -> dict[str, Any]:
        """The answers dict `intake_submit` takes (only the questions that parsed)."""
        return answers_from(getattr(self, "cleaned_data", {}), vocabulary.QUESTIONS)

    def service_field(self, key: str) -> str | None:
        """`answers.<key>` belongs to that question (a number to its "how many days" box)."""
        if key.startswith("answers."):
            key = key.removeprefix("answers.")
            question = vocabulary.QUESTIONS.get(key)
            if question is not None and question.kind == "int":
                if self.data.get(key) == YES:
                    return days_field(key)
            return key if key in self.fields else None
        return super().service_field(key)


# --- Consent and sign-off ----------------------------------------------------------------------


class ConsentForm(ClinicForm):
    signed_name = forms.CharField(
        label="Patient's full name",
        max_length=200,
        required=False,  # the service checks it against the registered name
        help_text="The patient types their full name, exactly as registered.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # Not required here: the service refuses an unticked box and says so on this field.
    agreed = forms.BooleanField(label="I have read this and I agree", required=False)


class SignOffForm(ClinicForm):
    reason = forms.CharField(
        label="Clinical reason for signing off",
        max_length=REASON_MAX,
        required=False,  # the service requires a reason and says so
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    override_defer = forms.BooleanField(
        label="Treat now despite the acne deferral: the spots are mild, or outside the area "
        "to be treated",
        required=False,
        help_text="Reference §1.2 row 7: a clinician may override this deferral. Say why in "
        "the reason.",
    )


class HoldReleaseForm(ClinicForm):
    note = forms.CharField(
        label="What you found or did",
        required=False,  # the service requires a note and says so
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SearchForm(ClinicForm):
    q = forms.CharField(label="Search by name, phone, e-mail or date of birth", required=False)
    archived = forms.BooleanField(label="Include archived patients", required=False)
    needs_review = forms.BooleanField(label="Only patients waiting for sign-off", required=False)


def answers_from(data: dict[str, Any], keys) -> dict[str, Any]:
    """The answers dict `intake_submit` takes, from a questionnaire form's cleaned data:
    Yes/No radios become booleans, a "Yes, N days ago" pair becomes N (None for No), and only
    the questions that parsed are included (the service reports the missing ones)."""
    answers: dict[str, Any] = {}
    for key in keys:
        if key not in data:
            continue
        question = vocabulary.QUESTIONS[key]
        value = data[key]
        if question.kind == "bool":
            answers[key] = value == YES
        elif question.kind == "int":
            answers[key] = data.get(days_field(key)) if value == YES else None
        else:
            answers[key] = value
    return answers
