"""The Clinic setup pages for practitioners, their working hours and their time off
(managers only; see `views` for how a page answers)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from clinic.clock import DAY_TIME, local_format
from treatments.scheduling.models import Practitioner, TimeOff, WorkingHours

from . import selectors, services
from .forms import PractitionerForm, PractitionerNewForm, RemoveForm, WindowForm, WorkingHoursForm
from .views import FORM_METHODS, Page, form_page, manager_required, posted, url, window_initial


@manager_required
@FORM_METHODS
def practitioner_new(request: HttpRequest) -> HttpResponse:
    form = PractitionerNewForm(posted(request))
    page = Page("Add a practitioner", "Add practitioner", url("setup"))
    return form_page(
        request,
        form,
        page,
        lambda d: services.practitioner_create(
            user=d["user"],
            display_name=d["display_name"],
            active=d["active"],
            by=request.user,
            request=request,
        ),
        lambda p: (
            f"{p} is a practitioner. Now add their working hours.",
            url("setup_practitioner", p.pk),
        ),
    )


@manager_required
@FORM_METHODS
def practitioner(request: HttpRequest, id: int) -> HttpResponse:
    """A practitioner's page: name and rota status, weekly hours, time off."""
    found = selectors.practitioner(id)
    if found is None:
        raise Http404("No such practitioner.")
    form = PractitionerForm(
        posted(request), initial={"display_name": found.display_name, "active": found.active}
    )
    page = Page(
        str(found),
        "Save",
        url("setup"),
        template="resources/practitioner.html",
        context={"practitioner": found},
    )
    return form_page(
        request,
        form,
        page,
        lambda d: services.practitioner_update(
            practitioner=found,
            display_name=d["display_name"],
            active=d["active"],
            by=request.user,
            request=request,
        ),
        lambda p: (f"Saved {p}.", url("setup_practitioner", p.pk)),
    )


@manager_required
@FORM_METHODS
def hours_new(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(Practitioner, pk=id)
    form = WorkingHoursForm(posted(request))
    page = Page(f"Add working hours for {found}", "Add hours", url("setup_practitioner", id))
    return form_page(
        request,
        form,
        page,
        lambda d: services.working_hours_create(
            practitioner=found,
            weekday=d["weekday"],
            start=d["start"],
            end=d["end"],
            by=request.user,
            request=request,
        ),
        lambda h: (f"Added {h}.", url("setup_practitioner", id)),
    )


@manager_required
@FORM_METHODS
def hours(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(WorkingHours.objects.select_related("practitioner"), pk=id)
    form = WorkingHoursForm(
        posted(request),
        initial={"weekday": found.weekday, "start": found.start, "end": found.end},
    )
    back = url("setup_practitioner", found.practitioner_id)
    page = Page(f"{found.practitioner}: {found}", "Save hours", back)
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
        lambda change: (f"Saved {change.obj}.", back),
    )


@manager_required
@FORM_METHODS
def hours_remove(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(WorkingHours.objects.select_related("practitioner"), pk=id)
    back = url("setup_practitioner", found.practitioner_id)
    page = Page(f"Remove {found.practitioner}'s {found}?", "Remove these hours", back, danger=True)
    return form_page(
        request,
        RemoveForm(posted(request)),
        page,
        lambda d: services.working_hours_delete(
            hours=found, move_affected=d["move_affected"], by=request.user, request=request
        ),
        lambda change: (f"Removed {change.obj}.", back),
    )


@manager_required
@FORM_METHODS
def time_off_new(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(Practitioner, pk=id)
    back = url("setup_practitioner", id)
    page = Page(f"Time off for {found}", "Add time off", back)
    return form_page(
        request,
        WindowForm(posted(request)),
        page,
        lambda d: services.time_off_create(
            practitioner=found,
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            reason=d["reason"],
            move_affected=d["move_affected"],
            by=request.user,
            request=request,
        ),
        lambda change: ("Time off added.", back),
    )


@manager_required
@FORM_METHODS
def time_off(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(TimeOff.objects.select_related("practitioner"), pk=id)
    back = url("setup_practitioner", found.practitioner_id)
    page = Page(f"Time off for {found.practitioner}", "Save time off", back)
    return form_page(
        request,
        WindowForm(posted(request), initial=window_initial(found)),
        page,
        lambda d: services.time_off_update(
            time_off=found,
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            reason=d["reason"],
            move_affected=d["move_affected"],
            by=request.user,
            request=request,
        ),
        lambda change: ("Time off saved.", back),
    )


@manager_required
@FORM_METHODS
def time_off_remove(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(TimeOff.objects.select_related("practitioner"), pk=id)
    back = url("setup_practitioner", found.practitioner_id)
    when = f"{local_format(found.starts_at, DAY_TIME)} to {local_format(found.ends_at, DAY_TIME)}"
    page = Page(f"Remove {found.practitioner}'s time off, {when}?", "Remove", back, danger=True)
    return form_page(
        request,
        RemoveForm(posted(request)),
        page,
        lambda d: services.time_off_delete(time_off=found, by=request.user, request=request),
        lambda off: ("Time off removed.", back),
    )
