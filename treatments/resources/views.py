"""The Clinic setup pages: managers only (any other staff role gets a 403). This module holds
what every setup page shares, the overview and the protocol page; `practitioner_views` and
`equipment_views` hold the rest.

Each page is a form in, one service call, a redirect with what happened. A refused form comes
back with every problem next to its field (400, or the service's 409). A change that would
strand booked sessions comes back (409) with them as a table, each linked to its session, and a
button that saves the change and moves them; the manager can instead move them by hand first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from clinic import audit
from clinic.clock import DAY_TIME, clinic_zone, local_format
from clinic.errors import ServiceError
from clinic.models import Role
from clinic.roles import role_required
from treatments.scheduling.models import Protocol

from . import selectors, services, stranding
from .forms import ProtocolForm, SetupForm

manager_required = role_required(Role.MANAGER)
FORM_METHODS = require_http_methods(["GET", "HEAD", "POST"])


def url(name: str, *args) -> str:
    return reverse(f"treatments:{name}", args=args)


def posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


@dataclass
class Page:
    """What a setup form page says around its form."""

    title: str
    submit: str
    back: str
    intro: str = ""
    template: str = "resources/form.html"
    danger: bool = False
    context: dict[str, Any] = field(default_factory=dict)


def moved_text(moved: list[stranding.Moved]) -> str:
    """ "Moved 2 sessions (their reminders follow): Jane Doe to Wed 11 Mar 2026, 09:00; …" """
    if not moved:
        return ""
    noun = "session" if len(moved) == 1 else "sessions"
    where = "; ".join(
        f"{m.session.patient.full_name} to {local_format(m.session.starts_at, DAY_TIME)}"
        for m in moved
    )
    return f" Moved {len(moved)} {noun} (their reminders follow): {where}."


def form_page(
    request: HttpRequest,
    form: SetupForm,
    page: Page,
    act: Callable[[dict], Any],
    done: Callable[[Any], tuple[str, str]],
) -> HttpResponse:
    """GET: the form. POST: the service's answer, or the form again with why not."""
    status, stranded = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = act(form.cleaned_data)
            except stranding.Stranded as exc:
                status, stranded = exc.status, exc
                audit.record_many(
                    actor=request.user,
                    action=audit.Action.LIST,
                    objects=exc.sessions,
                    request=request,
                    detail={"page": "strand list"},
                )
            except ServiceError as exc:
                form.add_service_errors(exc)
                status = exc.status
            else:
                text, url = done(result)
                moved = getattr(result, "moved", [])
                messages.success(request, text + moved_text(moved))
                return redirect(url)
    context = {"form": form, "page": page, "stranded": stranded, "zone": clinic_zone().key}
    return render(request, page.template, {**context, **page.context}, status=status)


def window_initial(row) -> dict:
    tz = clinic_zone()
    return {
        "starts_at": row.starts_at.astimezone(tz).replace(tzinfo=None),
        "ends_at": row.ends_at.astimezone(tz).replace(tzinfo=None),
        "reason": row.reason,
    }


# --- The overview ----------------------------------------------------------------------------


@manager_required
@require_safe
def setup(request: HttpRequest) -> HttpResponse:
    """Practitioners with their hours and time off, rooms, devices with their outages, and the
    current protocols: one page, in a fixed number of queries."""
    return render(
        request,
        "resources/setup.html",
        {"overview": selectors.overview(), "zone": clinic_zone().key},
    )


# --- Protocols -------------------------------------------------------------------------------


@manager_required
@FORM_METHODS
def protocol(request: HttpRequest, id: int) -> HttpResponse:
    """A protocol version, its history, and (for the current version) the form whose save
    makes the next version; courses keep the version they were planned with."""
    found = get_object_or_404(Protocol, pk=id)
    form = ProtocolForm(posted(request), initial=ProtocolForm.initial_for(found))
    page = Page(
        f"{found.name}, version {found.version}",
        "Save as a new version",
        url("setup"),
        template="resources/protocol.html",
        context={"protocol": found, "history": list(selectors.protocol_history(found))},
    )
    return form_page(
        request,
        form,
        page,
        lambda d: services.protocol_revise(
            protocol=found, changes=form.changes(), by=request.user, request=request
        ),
        lambda new: (
            f"Saved as version {new.version}: new courses use it; booked courses keep theirs.",
            url("setup_protocol", new.pk),
        ),
    )
