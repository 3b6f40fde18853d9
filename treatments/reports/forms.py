"""The reports' dates (and, for a manager, whose figures), read from the query string."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms

from clinic.clock import clinic_today, outside_date_window
from clinic.forms import ClinicForm, DateInput
from clinic.models import Role, User
from treatments.scheduling.models import Practitioner

from .sections import TABLES
from .selectors import Period, Scope

# The longest range a report covers: a year, so a report stays one quick read.
LONGEST_DAYS = 366
# With no dates given: the four weeks to today.
DEFAULT_DAYS = 28


class PractitionerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Practitioner) -> str:
        return obj.display_name if obj.active else f"{obj.display_name} (no longer on the rota)"


class ReportForm(ClinicForm):
    """From and To (the clinic's local days, both included); a manager may pick one
    practitioner, a practitioner always sees their own figures."""

    since = forms.DateField(
        required=False, label="From", widget=DateInput, help_text="The first day, included."
    )
    until = forms.DateField(
        required=False, label="To", widget=DateInput, help_text="The last day, included."
    )
    practitioner = PractitionerChoice(
        queryset=Practitioner.objects.order_by("display_name", "pk"),
        required=False,
        label="Whose figures",
        empty_label="The whole clinic",
    )

    def __init__(self, data=None, *, user: User) -> None:
        super().__init__(data)
        self.user = user
        self.is_manager = user.has_role(Role.MANAGER)
        if not self.is_manager:
            # Still read, so a bad value is a 400 as for anyone; never used (`scope`).
            self.fields["practitioner"].widget = forms.HiddenInput()

    def _clean_day(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        if day is not None and (problem := outside_date_window(day)):
            raise forms.ValidationError(problem)
        return day

    def clean_since(self) -> date | None:
        return self._clean_day("since")

    def clean_until(self) -> date | None:
        return self._clean_day("until")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        since, until = data.get("since"), data.get("until")
        if until is None:
            until = clinic_today() if since is None else since + timedelta(days=DEFAULT_DAYS - 1)
        if since is None:
            since = until - timedelta(days=DEFAULT_DAYS - 1)
        if since > until:
            self.add_error("until", "The last day is before the first: choose a later one.")
        elif (until - since).days + 1 > LONGEST_DAYS:
            self.add_error("until", f"Choose at most {LONGEST_DAYS} days (a year) at a time.")
        data["since"], data["until"] = since, until
        return data

    @property
    def period(self) -> Period:
        return Period(self.cleaned_data["since"], self.cleaned_data["until"])

    @property
    def scope(self) -> Scope:
        if self.is_manager:
            chosen = self.cleaned_data.get("practitioner")
            return Scope(chosen.pk if chosen else None)
        own = Practitioner.objects.filter(user=self.user).values_list("pk", flat=True).first()
        return Scope(own or 0)

    def query(self, **extra: str) -> dict[str, str]:
        """The dates and scope as query parameters (for the CSV links)."""
        params = {
            "since": self.cleaned_data["since"].isoformat(),
            "until": self.cleaned_data["until"].isoformat(),
        }
        chosen = self.cleaned_data.get("practitioner") if self.is_manager else None
        if chosen is not None:
            params["practitioner"] = str(chosen.pk)
        return {**params, **extra}


class ExportForm(ReportForm):
    """The same, and which table to download."""

    table = forms.ChoiceField(choices=[(slug, slug) for slug in TABLES], label="Table")
