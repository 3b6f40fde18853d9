"""Request guards that apply to every page and endpoint (issue 12)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from . import audit
from .api import FHIR_PREFIX, INVALID, error_response
from .parsers import NUL, NUL_MESSAGE


def _with_nul(data: QueryDict) -> list[str]:
    return sorted(
        {key for key, values in data.lists() if NUL in key or any(NUL in v for v in values)}
    )


def is_api(request: HttpRequest) -> bool:
    """The JSON API or FHIR's: errors in JSON, never a page."""
    return request.path.startswith(("/api/", FHIR_PREFIX))


class RefuseNulMiddleware:
    """A NUL character in a query string is a 400 naming the parameter, before any view sees
    it (PostgreSQL cannot store or compare one: a search for one was a 500). Forms refuse
    one by the field that holds it (Django's CharField does), and JSON bodies are checked by
    the API's parser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        fields = _with_nul(request.GET)
        if not fields:
            return self.get_response(request)
        # The field's own name may hold the NUL: shown without it.
        names = [name.replace(NUL, "") or "(unnamed)" for name in fields]
        if is_api(request):
            fields_out = {name: [NUL_MESSAGE] for name in names}
            return error_response(request, 400, INVALID, fields_out)
        return render(request, "clinic/bad_input.html", {"fields": names}, status=400)


class PrivateResponsesMiddleware:
    """Every response the app builds (pages, the API, files) carries patient data or may:
    none is stored by a browser or a proxy (`Cache-Control: no-store, private`). Static
    files are served before this by WhiteNoise and stay cacheable. Also the
    Permissions-Policy: browser features no page uses are off."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store, private"
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class SessionRenewalMiddleware:
    """Keeps a logged-in session alive while it is used (30 minutes idle ends it), saving it
    at most once every SESSION_RENEW_SECONDS instead of on every request: Django's
    SESSION_SAVE_EVERY_REQUEST wrote the session row and waited for a WAL flush on every
    page (issue 13). A session may so end up to that many seconds before its full idle time.
    Sits just inside SessionMiddleware, which saves a modified session on the way out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = request.session
        if session.session_key and not session.modified and not session.is_empty():
            now = int(time.time())
            # abs(): a clock set back must not stop renewals until it catches up.
            if abs(now - session.get(RENEWED_AT, 0)) >= settings.SESSION_RENEW_SECONDS:
                session[RENEWED_AT] = now
        return response


RENEWED_AT = "_renewed_at"


def stamp_new_session(sender, request, user, **kwargs) -> None:
    """`user_logged_in`: a session saved at login counts as just renewed, so the requests
    of its first minute do not save it again."""
    if request is not None and hasattr(request, "session"):
        request.session[RENEWED_AT] = int(time.time())


class AuditBatchMiddleware:
    """A request writes its audit rows in one INSERT (`clinic.audit.batched`): the reads of
    a page (the record, its courses, its messages) together at the end, a write's row at
    once inside the change's own transaction (issue 13 item 5)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit.batched():
            return self.get_response(request)
