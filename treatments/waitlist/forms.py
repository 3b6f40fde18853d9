"""The waitlist's HTML forms (plain words for the front desk); rules live in services."""

from __future__ import annotations

from django import forms

from clinic.forms import ClinicForm, DateInput, TimeInput
from treatments.scheduling.models import Practitioner

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class EntryForm(ClinicForm):
    earliest = forms.DateField(
        label="First possible day",
        widget=DateInput(),
    )
    latest = forms.DateField(label="Last possible day", widget=DateInput())
    weekdays = forms.TypedMultipleChoiceField(
        label="Days that suit (none ticked: any day)",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    not_before = forms.TimeField(
        label="Not starting before",
        required=False,
        widget=TimeInput(),
    )
    not_after = forms.TimeField(
        label="Finished by",
        required=False,
        widget=TimeInput(),
    )
    practitioner = forms.ModelChoiceField(
        label="Practitioner",
        queryset=Practitioner.objects.filter(active=True).order_by("display_name"),
        required=False,
        empty_label="Any practitioner",
    )


class RemoveForm(ClinicForm):
    reason = forms.CharField(label="Why", max_length=300)


class OfferForm(ClinicForm):
    entry = forms.UUIDField(label="Patient on the waitlist", widget=forms.Select)


class DayForm(ClinicForm):
    day = forms.DateField(label="Day", widget=DateInput())
    practitioner = forms.ModelChoiceField(
        label="Practitioner",
        queryset=Practitioner.objects.order_by("display_name"),
        required=False,
        empty_label="All practitioners",
    )
