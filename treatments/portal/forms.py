"""Forms for the patient portal and its small staff pages: they parse what was typed; the
rules live in treatments.portal.services and the intake vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from clinic.clock import outside_booking_window
from clinic.forms import ClinicForm, DateInput, OneValueEach, TimeInput, UsernameLengthMixin
from patients import vocabulary
from patients.forms import NO, YES, YES_NO, answers_from, days_field
from treatments.scheduling.models import Protocol
from treatments.waitlist.forms import WEEKDAYS

from . import aftercare
from .models import (
    AftercareStep,
    BookingRequest,
    CheckInAnswer,
    PortalInvite,
    SessionChangeRequest,
)
from .services import NOTE_MAX

NO_YES = ((NO, "No"), (YES, "Yes"))
REQUIRED = {"required": "Please answer this question."}
# Long enough for any passphrase; a longer one is a paste gone wrong (and costly to hash).
PASSWORD_MAX = 128


# --- Logging in and one-time links --------------------------------------------------------


class PortalLoginForm(UsernameLengthMixin, OneValueEach, AuthenticationForm):
    """The portal's login: patients only. Staff are told where their login is."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail address and password do not match. Check them and try "
        "again, or reset your password.",
        "staff": "This login is for patients. Clinic staff log in on the staff login page.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "E-mail address"
        self.fields["username"].help_text = "Or the username the clinic gave you."
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})

    def clean_username(self) -> str:
        return (self.cleaned_data.get("username") or "").strip().lower()

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_patient:
            raise forms.ValidationError(self.error_messages["staff"], code="staff")


class SetPasswordForm(ClinicForm):
    password = forms.CharField(
        label="New password",
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters. Avoid common passwords and your name.",
    )
    password_again = forms.CharField(
        label="New password again",
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("password")
            and cleaned.get("password_again")
            and cleaned["password"] != cleaned["password_again"]
        ):
            self.add_error("password_again", "The two passwords are not the same.")
        return cleaned


class ResetRequestForm(ClinicForm):
    identifier = forms.CharField(
        label="E-mail address or mobile number",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )


# --- Aftercare and check-ins --------------------------------------------------------------


class AcknowledgeForm(ClinicForm):
    """ "I have read this": one step of the aftercare timeline."""

    stage = forms.ChoiceField(choices=AftercareStep.Stage.choices)


class CheckInForm(ClinicForm):
    skin = forms.ChoiceField(
        label="How is your skin?",
        choices=CheckInAnswer.Skin.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how your skin is."},
    )
    warning_signs = forms.MultipleChoiceField(
        label="Do you have any of these?",
        choices=[(s.code, s.text) for s in aftercare.WARNING_SIGNS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Tick any that apply. Leave them all unticked if none do.",
    )
    note = forms.CharField(
        label="Anything else you want us to know? (optional)",
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = forms.FileField(
        label="A photo of the treated skin (optional)",
        required=False,
        help_text="A JPEG or PNG photo, up to 5 MB. Only the clinic's practitioners see it.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


# --- The pre-session check ----------------------------------------------------------------


@dataclass
class Row:
    field: forms.BoundField
    days: forms.BoundField | None = None


class PreSessionForm(ClinicForm):
    """The questions that expire (clinical reference §1.2 "re-ask"), in the vocabulary's
    order, or the `keys` the service asks (`pre_session_questions`: the stable history too
    when it is too old to carry forward). Nothing has a default: an unanswered question is
    an error, never a "no"."""

    def __init__(self, *args, today: date, keys=vocabulary.EXPIRING_KEYS, **kwargs):
        super().__init__(*args, **kwargs)
        self.keys = [k for k in vocabulary.QUESTIONS if k in keys]
        for key in self.keys:
            question = vocabulary.QUESTIONS[key]
            if question.kind == "bool":
                self.fields[key] = forms.ChoiceField(
                    label=question.label,
                    choices=YES_NO,
                    widget=forms.RadioSelect,
                    error_messages=REQUIRED,
                )
            elif question.kind == "choice":
                self.fields[key] = forms.ChoiceField(
                    label=question.label,
                    choices=question.choices,
                    widget=forms.RadioSelect,
                    error_messages=REQUIRED,
                )
            elif question.kind == "date":
                self.fields[key] = forms.DateField(
                    label=question.label,
                    required=False,
                    widget=DateInput(attrs={"max": today.isoformat()}),
                    input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                    help_text="Only if you have stopped.",
                    error_messages={"invalid": "Enter a real date, for example 12/04/2025."},
                )
            else:  # "how many days ago": asked as No/Yes, then a number
                self.fields[key] = forms.ChoiceField(
                    label=question.label.split("?")[0] + "?",
                    choices=NO_YES,
                    widget=forms.RadioSelect,
                    error_messages=REQUIRED,
                )
                self.fields[days_field(key)] = forms.IntegerField(
                    label="If yes, how many days ago?",
                    required=False,
                    min_value=0,
                    max_value=vocabulary.MAX_DAYS,
                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                )

    def rows(self) -> list[Row]:
        return [
            Row(
                field=self[key],
                days=self[days_field(key)] if days_field(key) in self.fields else None,
            )
            for key in self.keys
        ]

    def clean(self):
        cleaned = super().clean()
        for key in self.keys:
            if days_field(key) not in self.fields or days_field(key) in self.errors:
                continue
            days = cleaned.get(days_field(key))
            if cleaned.get(key) == YES and days is None:
                self.add_error(days_field(key), "Enter how many days ago, or answer No.")
            elif cleaned.get(key) == NO and days is not None:
                # As the staff form does: a number beside "No" contradicts it, so ask again
                # rather than guess which of the two the patient meant.
                self.add_error(days_field(key), "Leave this empty when the answer is No.")
        return cleaned

    def answers(self) -> dict[str, Any]:
        """The answers `pre_session_submit` takes (only the questions that parsed)."""
        return answers_from(getattr(self, "cleaned_data", {}), self.keys)

    def service_field(self, key: str) -> str | None:
        question = vocabulary.QUESTIONS.get(key)
        if question is not None and question.kind == "int" and self.data.get(key) == YES:
            return days_field(key)
        return super().service_field(key)


# --- Sessions and preferences -------------------------------------------------------------


class ChangeRequestForm(ClinicForm):
    kind = forms.ChoiceField(
        label="What would you like to do?",
        choices=SessionChangeRequest.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to cancel or move the session."},
    )
    note = forms.CharField(
        label="Days and times that suit you, or anything else (optional)",
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PreferencesForm(ClinicForm):
    email_consent = forms.BooleanField(
        label="Send me appointment and aftercare messages by e-mail", required=False
    )
    sms_consent = forms.BooleanField(
        label="Send me appointment and aftercare messages by SMS", required=False
    )
    preferred_channel = forms.ChoiceField(
        label="Which do you prefer?",
        choices=(("email", "E-mail"), ("sms", "SMS")),
        widget=forms.RadioSelect,
    )

    def service_field(self, key: str) -> str | None:
        # The contact details themselves are changed by the clinic; show such errors on top.
        return key if key in self.fields else None


# --- Staff --------------------------------------------------------------------------------


class InviteForm(ClinicForm):
    channel = forms.ChoiceField(
        label="Send the link by",
        choices=PortalInvite.Channel.choices,
        widget=forms.RadioSelect,
    )


class NoteForm(ClinicForm):
    note = forms.CharField(
        label="Note",
        max_length=NOTE_MAX,
        required=False,  # the service requires it and says so
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class HandleBookingRequestForm(NoteForm):
    outcome = forms.ChoiceField(choices=(("confirm", "Confirm"), ("decline", "Not possible")))


class HandleRequestForm(NoteForm):
    outcome = forms.ChoiceField(
        choices=(("cancel", "Cancel the session"), ("done", "Done"), ("declined", "Not possible"))
    )


# --- Booking for yourself (treatments.portal.booking) -------------------------------------


class SlotForm(ClinicForm):
    """One of the offered start times (a radio button's value: the instant, with its offset);
    whether it is still free is the service's question."""

    starts_at = forms.DateTimeField(
        label="Choose a time",
        error_messages={
            "required": "Choose one of the times shown.",
            "invalid": "Choose one of the times shown.",
        },
    )

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        if outside_booking_window(starts_at):
            raise forms.ValidationError("Choose one of the times shown.")
        return starts_at


class BookingRequestForm(ClinicForm):
    """Asking for a review or a new course (`PORTAL_BOOKING=full`)."""

    kind = forms.ChoiceField(
        label="What would you like?",
        choices=BookingRequest.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a review or a new course."},
    )
    protocol = forms.ModelChoiceField(
        label="Which treatment? (for a new course)",
        queryset=Protocol.objects.none(),
        required=False,
        empty_label="Choose a treatment",
        error_messages={"invalid_choice": "Choose one of the treatments offered online."},
    )
    areas = forms.MultipleChoiceField(
        label="Which areas? (for a new course)",
        choices=vocabulary.AREAS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    when_suits = forms.CharField(
        label="Days and times that suit you (optional)",
        max_length=300,
        required=False,
    )

    def __init__(self, *args, protocols=None, **kwargs):
        super().__init__(*args, **kwargs)
        if protocols is not None:
            self.fields["protocol"].queryset = protocols

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == BookingRequest.Kind.NEW_COURSE:
            if not cleaned.get("protocol") and "protocol" not in self.errors:
                self.add_error("protocol", "Choose one of the treatments offered online.")
            if not cleaned.get("areas") and "areas" not in self.errors:
                self.add_error("areas", "Choose at least one area.")
        return cleaned


class WaitlistJoinForm(ClinicForm):
    """Joining the waitlist for a course's next session: the days (inside the course's
    window), weekdays and times that suit; every field may stay empty. No script: date and
    time inputs and checkboxes a phone shows natively."""

    earliest = forms.DateField(
        label="From",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Enter a date, like 2026-03-09."},
    )
    latest = forms.DateField(
        label="Until",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Enter a date, like 2026-03-27."},
    )
    weekdays = forms.TypedMultipleChoiceField(
        label="Days that suit you (none ticked: any day)",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    not_before = forms.TimeField(
        label="Starting no earlier than (optional)",
        required=False,
        widget=TimeInput(),
        error_messages={"invalid": "Enter a time, like 09:30."},
    )
    not_after = forms.TimeField(
        label="Finished by (optional)",
        required=False,
        widget=TimeInput(),
        error_messages={"invalid": "Enter a time, like 17:00."},
    )
    any_practitioner = forms.BooleanField(label="Any of our practitioners", required=False)

    def service_field(self, key: str) -> str | None:
        return "any_practitioner" if key == "practitioner" else key
