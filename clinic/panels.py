"""Sections that a higher app adds to a lower app's page, without the lower app importing it.

The patient record belongs to `patients`, yet shows the patient's courses (scheduling) and
messages (messaging); the session page belongs to scheduling, yet shows the session's
messages; the course page offers a portal invitation. The page's view asks
`collect(page, ...)`; each provider, registered at start-up by the app that owns the data
(`TreatmentsConfig.ready`), reads through its own selectors and returns a `Panel`, or None
when it has nothing for this page (no aftercare sheet before a session is completed, no
invitation offer for a patient already in the portal). The view renders the panels in order
and writes one audit row per record they show (DESIGN.md §6), so templates run no queries
and write nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from . import audit

# The pages that take panels, and what their providers are given besides the request.
PATIENT_RECORD = "patient_record"  # patient=
SESSION_PAGE = "session_page"  # session=
COURSE_PAGE = "course_page"  # course=
DASHBOARD = "dashboard"  # nothing else: the work queue; each provider checks the user's roles


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any]
    # The records the panel shows, audited as a list read by the page's view.
    shown: tuple[Any, ...] = field(default=())


Provider = Callable[..., Panel | None]
_providers: dict[str, list[tuple[int, str, Provider]]] = {}


def register(page: str, provider: Provider, *, order: int = 50) -> None:
    """Add `provider` to `page` (idempotent: registering the same function twice is one)."""
    name = f"{provider.__module__}.{provider.__qualname__}"
    entries = [e for e in _providers.get(page, []) if e[1] != name]
    entries.append((order, name, provider))
    _providers[page] = sorted(entries, key=lambda e: (e[0], e[1]))


def collect(page: str, *, request: HttpRequest, **objects: Any) -> list[Panel]:
    """The page's panels in order, each audited once as a list read by `request.user`."""
    panels = [provider(request=request, **objects) for _, _, provider in _providers.get(page, [])]
    panels = [panel for panel in panels if panel is not None]
    shown: Iterable[Any] = [record for panel in panels for record in panel.shown]
    shown = list(shown)
    if shown:
        audit.record_many(
            actor=request.user, action=audit.Action.LIST, objects=shown, request=request
        )
    return panels
