"""A practitioner's own weekly working hours ("My working hours"): the same form, services
and stranding rule as the manager's setup pages, for the practitioner linked to the account
that is logged in and no one else. Another practitioner's hours are a 404 here (ids leak
nothing); a manager keeps everyone's at Clinic setup."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from clinic.clock import clinic_zone
from clinic.models import Role
from clinic.roles import role_required
from treatments.scheduling.models import Practitioner, WorkingHours

from . import services
from .forms import RemoveForm, WorkingHoursForm
from .views import FORM_METHODS, Page, form_page, posted, url

practitioner_required = role_required(Role.PRACTITIONER)
CRUMBS = "resources/own_hours_form.html"


def _mine(request: HttpRequest) -> Practitioner | None:
    return Practitioner.objects.filter(user=request.user).prefetch_related("working_hours").first()


def _my_hours(request: HttpRequest, id: int) -> WorkingHours:
    return get_object_or_404(
        WorkingHours.objects.select_related("practitioner"), pk=id, practitioner__user=request.user
    )


@practitioner_required
@require_safe
def my_hours(request: HttpRequest) -> HttpResponse:
    """The week the planner books this practitioner in, with Add, Change and Remove."""
    return render(
        request,
        "resources/own_hours.html",
        {"practitioner": _mine(request), "zone": clinic_zone().key},
    )


@practitioner_required
@FORM_METHODS
def my_hours_new(request: HttpRequest) -> HttpResponse:
    mine = _mine(request)
    if mine is None:
        raise Http404("Your account is not on the rota as a practitioner.")
    page = Page("Add working hours", "Add hours", url("my_hours"), template=CRUMBS)
    return form_page(
        request,
        WorkingHoursForm(posted(request)),
        page,
        lambda d: services.working_hours_create(
            practitioner=mine,
            weekday=d["weekday"],
            start=d["start"],
            end=d["end"],
            by=request.user,
            request=request,
        ),
        lambda h: (f"Added {h}.", url("my_hours")),
    )


@practitioner_required
@FORM_METHODS
def my_hours_change(request: HttpRequest, id: int) -> HttpResponse:
    found = _my_hours(request, id)
    form = WorkingHoursForm(
        posted(request),
        initial={"weekday": found.weekday, "start": found.start, "end": found.end},
    )
    page = Page(f"Your hours: {found}", "Save hours", url("my_hours"), template=CRUMBS)
    return form_page(
        request,
        form,
        page,
        lambda d: services.working_hours_update(
            hours=found,
            weekday=d["weekday"],
            start=d["start"],
            end=d["end"],
            move_affected=d["move_affected"],
            by=request.user,
            request=request,
        ),
        lambda change: (f"Saved {change.obj}.", url("my_hours")),
    )


@practitioner_required
@FORM_METHODS
def my_hours_remove(request: HttpRequest, id: int) -> HttpResponse:
    found = _my_hours(request, id)
    page = Page(
        f"Remove your hours {found}?", "Remove these hours", url("my_hours"), template=CRUMBS,
        danger=True,
    )  # fmt: skip
    return form_page(
        request,
        RemoveForm(posted(request)),
        page,
        lambda d: services.working_hours_delete(
            hours=found, move_affected=d["move_affected"], by=request.user, request=request
        ),
        lambda change: (f"Removed {change.obj}.", url("my_hours")),
    )
