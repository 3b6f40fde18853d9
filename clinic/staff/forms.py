"""The staff-account forms. Each shows every problem in one round: its own checks, and the
service's rules through the same functions the services use."""

from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from clinic.forms import ClinicForm
from clinic.models import Role, User

from .selectors import email_in_use
from .services import EMAIL_MAX, EMAIL_TAKEN, NAME_MAX, NO_ROLE

PASSWORD_MAX = 128
# What each role may do, in words a receptionist would use (DESIGN.md §1).
ROLE_HELP = {
    Role.FRONT_DESK: "registers patients, takes the intake questionnaire, books and moves "
    "sessions, sends portal invitations",
    Role.PRACTITIONER: "plans courses, charts sessions, signs off screenings that need a "
    "clinician's review",
    Role.MANAGER: "runs the clinic: staff accounts and settings, and everything the front "
    "desk does",
}


def roles_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label="Roles",
        choices=[(role.value, f"{role.label}: {ROLE_HELP[role]}") for role in Role],
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick every role they need. A role can be changed later.",
        error_messages={"required": NO_ROLE},
    )


class StaffInviteForm(ClinicForm):
    first_name = forms.CharField(
        label="First name",
        max_length=NAME_MAX,
        error_messages={"required": "Enter their first name."},
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=NAME_MAX,
        error_messages={"required": "Enter their last name."},
    )
    email = forms.EmailField(
        label="E-mail address",
        max_length=EMAIL_MAX,
        help_text="The invitation goes here; it is also their username for logging in.",
        error_messages={
            "required": "Enter their e-mail address: the invitation goes there.",
            "invalid": "Enter a valid e-mail address, like name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    roles = roles_field()

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if email_in_use(email):
            raise ValidationError(EMAIL_TAKEN)
        return email


class StaffRolesForm(ClinicForm):
    roles = roles_field()


class SetPasswordForm(ClinicForm):
    """The invitee chooses a password: Django's password validators, against their own
    account (so a password like their name or e-mail is refused)."""

    password = forms.CharField(
        label="New password",
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters. Avoid common passwords, only numbers, and your name.",
        error_messages={"required": "Choose a password."},
    )
    password_again = forms.CharField(
        label="New password again",
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Type the same password again."},
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        password, again = cleaned.get("password"), cleaned.get("password_again")
        if password:
            try:
                validate_password(password, self.user)
            except ValidationError as exc:
                self.add_error("password", exc.messages)
        if password and again and password != again:
            self.add_error("password_again", "The two passwords are not the same.")
        return cleaned


class ChangePasswordForm(SetPasswordForm):
    """A member of staff changes their own password: the current one first, then the new
    one twice, checked as an invitee's is."""

    current_password = forms.CharField(
        label="Current password",
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Type your current password."},
    )
    field_order = ["current_password", "password", "password_again"]

    def clean_current_password(self) -> str:
        current = self.cleaned_data["current_password"]
        if not self.user.check_password(current):
            raise ValidationError("That is not your current password.")
        return current

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password") == cleaned.get("current_password"):
            self.add_error("password", "Choose a password other than your current one.")
        return cleaned
