"""The waitlist's staff pages: a day's freed slots (per practitioner) with the offers in
flight and their outcome, a manual offer, closing a slot; the patients waiting that day,
with removal; putting a course's patient on the waitlist. Thin: a form, one service, a
redirect back with what happened."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic import audit
from clinic.clock import clinic_today, outside_date_window
from clinic.errors import ServiceError
from clinic.forms import error_texts
from clinic.roles import STAFF, role_required
from treatments.scheduling.models import Course

from . import selectors, services
from .forms import DayForm, EntryForm, OfferForm, RemoveForm
from .models import FreedSlot, WaitlistEntry


def _day_url(day, practitioner_id=None) -> str:
    query = {"day": day.isoformat()}
    if practitioner_id:
        query["practitioner"] = practitioner_id
    return f"{reverse('treatments:waitlist')}?{urlencode(query)}"


@require_safe
@role_required(*STAFF)
def waitlist_day(request: HttpRequest) -> HttpResponse:
    form = DayForm(request.GET or {"day": clinic_today().isoformat()})
    if not form.is_valid() or outside_date_window(form.cleaned_data["day"]):
        form = DayForm({"day": clinic_today().isoformat()})
        form.is_valid()
    day, practitioner = form.cleaned_data["day"], form.cleaned_data.get("practitioner")
    slots = selectors.slots_of_day(day, practitioner)
    waiting = selectors.waiting_on(day, practitioner)
    shown = [*waiting, *(offer for slot in slots for offer in slot.offers.all())]
    if shown:
        audit.record_many(
            actor=request.user, action=audit.Action.LIST, objects=shown, request=request
        )
    context = {
        "form": form,
        "day": day,
        "slots": slots,
        "waiting": waiting,
        "offerable": [s for s in slots if s.status in (FreedSlot.Status.OPEN, "unfilled")],
        "back": _day_url(day, practitioner.pk if practitioner else None),
        "prev_url": _day_url(
            day.fromordinal(day.toordinal() - 1), practitioner and practitioner.pk
        ),
        "next_url": _day_url(
            day.fromordinal(day.toordinal() + 1), practitioner and practitioner.pk
        ),
    }
    return render(request, "waitlist/day.html", context)


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = reverse("treatments:waitlist")
    return redirect(target)


@require_POST
@role_required(*STAFF)
def slot_offer(request: HttpRequest, public_id) -> HttpResponse:
    slot = get_object_or_404(FreedSlot, public_id=public_id)
    form = OfferForm(request.POST)
    if not form.is_valid():
        for text in error_texts(form):
            messages.error(request, f"No offer was made: {text}")
        return _back(request)
    entry = WaitlistEntry.objects.filter(public_id=form.cleaned_data["entry"]).first()
    if entry is None:
        messages.error(request, "No offer was made: that patient is not on the waitlist.")
        return _back(request)
    try:
        services.offer_make(slot=slot, entry=entry, by=request.user, request=request)
    except ServiceError as exc:
        messages.error(request, f"No offer was made: {exc.as_text()}")
    else:
        messages.success(request, "Offered. The patient gets a message with a link to take it.")
    return _back(request)


@require_POST
@role_required(*STAFF)
def slot_close(request: HttpRequest, public_id) -> HttpResponse:
    slot = get_object_or_404(FreedSlot, public_id=public_id)
    try:
        services.slot_close(slot=slot, by=request.user, request=request)
    except ServiceError as exc:
        messages.error(request, exc.as_text())
    else:
        messages.success(request, "This time is no longer offered.")
    return _back(request)


@require_POST
@role_required(*STAFF)
def entry_remove(request: HttpRequest, public_id) -> HttpResponse:
    entry = get_object_or_404(WaitlistEntry, public_id=public_id)
    form = RemoveForm(request.POST)
    if not form.is_valid():
        for text in error_texts(form):
            messages.error(request, f"Not removed: {text}")
        return _back(request)
    try:
        services.entry_remove(
            entry=entry, reason=form.cleaned_data["reason"], by=request.user, request=request
        )
    except ServiceError as exc:
        messages.error(request, f"Not removed: {exc.as_text()}")
    else:
        messages.success(request, "Taken off the waitlist.")
    return _back(request)


@require_http_methods(["GET", "POST"])
@role_required(*STAFF)
def entry_new(request: HttpRequest, public_id) -> HttpResponse:
    """Put the course's patient on the waitlist for its next session."""
    course = get_object_or_404(
        Course.objects.select_related("patient", "protocol", "practitioner"), public_id=public_id
    )
    window = services.course_window(course)
    initial = {
        "earliest": window.earliest,
        "latest": window.latest,
        "practitioner": course.practitioner_id,
    }
    form = EntryForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        v = form.cleaned_data
        try:
            services.entry_add(
                course=course,
                by=request.user,
                earliest=v["earliest"],
                latest=v["latest"],
                weekdays=v["weekdays"],
                not_before=v["not_before"],
                not_after=v["not_after"],
                practitioner=v["practitioner"],
                request=request,
            )
        except ServiceError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, "On the waitlist. A time that comes free and suits is offered to them."
            )
            return redirect("treatments:course", public_id=course.public_id)
    audit.record(actor=request.user, action=audit.Action.VIEW, obj=course, request=request)
    status = 400 if form.errors else 200
    context = {"form": form, "course": course, "window": window}
    return render(request, "waitlist/entry_new.html", context, status=status)
