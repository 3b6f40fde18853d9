"""What every HTML form shares: one value per field, a service's refusal shown on the form
that caused it, and logins that check the username's length."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.validators import MaxLengthValidator
from django.forms.utils import pretty_name

from .errors import ServiceError


def add_service_errors(form: forms.BaseForm, exc: ServiceError, field_for=None) -> forms.BaseForm:
    """Show `exc` on `form`: each `Invalid.fields` key on its field (or the one `field_for`
    maps it to), anything else, and a refusal with no fields, at the top of the form."""

    def _field(key: str) -> str | None:
        if field_for is not None:
            return field_for(key)
        return key if key in form.fields else None

    if not exc.fields:
        form.add_error(None, exc.message)
        return form
    for key, messages in exc.fields.items():
        name = _field(key)
        form.add_error(name if name in form.fields else None, list(messages))
    return form


class ServiceErrorsMixin:
    """For a Form: `form.add_service_errors(exc)`; override `service_field` to map keys."""

    def service_field(self, key: str) -> str | None:
        return key if key in self.fields else None

    def add_service_errors(self, exc: ServiceError) -> None:
        add_service_errors(self, exc, self.service_field)


def error_texts(form: forms.BaseForm) -> list[str]:
    """The form's problems as sentences ("Reason: Null characters are not allowed."), for a
    page that answers a refused POST with a message rather than the form again."""
    texts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = field.label if field is not None and field.label else pretty_name(name)
        texts += [error if name == NON_FIELD_ERRORS else f"{label}: {error}" for error in errors]
    return texts


ONE_VALUE = "Give one value."


class OneValueEach:
    """For a Form: a field that takes one value refuses two. Django reads the last of
    repeated values and drops the rest; a doubled or tampered form is told instead, as the
    API's serializers refuse a list where one value belongs."""

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound:
            return
        for name, field in self.fields.items():
            widget = field.widget
            if getattr(widget, "allow_multiple_selected", False) or isinstance(
                widget, forms.MultipleHiddenInput
            ):
                continue
            posted = self.files if isinstance(field, forms.FileField) else self.data
            if hasattr(posted, "getlist") and len(posted.getlist(self.add_prefix(name))) > 1:
                self.add_error(name, ONE_VALUE)


class DateInput(forms.DateInput):
    """The browser's own date picker. Its value is always ISO (2026-03-09), whatever the
    clinic's language: a `type="date"` input shows nothing for any other form."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        super().__init__(attrs, format)


class TimeInput(forms.TimeInput):
    """The browser's own time picker, its value as 09:30."""

    input_type = "time"

    def __init__(self, attrs=None, format="%H:%M"):
        super().__init__(attrs, format)


class ClinicForm(OneValueEach, ServiceErrorsMixin, forms.Form):
    """The clinic's HTML forms: one value per field, and a service's refusal on its field."""


class UsernameLengthMixin:
    """For an AuthenticationForm: Django sets the username's `max_length` after the field is
    made, so only the HTML sees it. Checked here, an over-long username is a form error, not
    a row too long for django-axes' log of failed logins (a 500)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].validators.append(
            MaxLengthValidator(self.fields["username"].max_length)
        )


class StaffLoginForm(UsernameLengthMixin, OneValueEach, AuthenticationForm):
    """The staff login (/login/)."""


class AdminLoginForm(UsernameLengthMixin, OneValueEach, AdminAuthenticationForm):
    """The admin's own login (/admin/login/)."""


class OneTimeCodeForm(ClinicForm):
    """The second step of a staff login, and confirming a new authenticator app."""

    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code your authenticator app shows now, or a recovery code.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )
