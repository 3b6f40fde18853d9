"""Degraded, not broken: a database or broker that is down is a 503 "try again", never a 500.

Django hands every uncaught exception to `handler500` (clinic/urls.py) while it is still
being handled, wherever it was raised: a view, the session or user a middleware loads, the
error page of a 404. `server_error` answers 503 with `Retry-After` when that exception says
a backing service cannot be reached (the API in the error shape, pages with `503.html`,
which needs no database), and Django's own 500 page otherwise. Nothing is kept that would
need a restart when the service returns: Django opens its connection at a request's first
query and checks a persistent one before reusing it (`CONN_HEALTH_CHECKS`).
"""

from __future__ import annotations

import sys

import redis
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults
from kombu.exceptions import OperationalError as BrokerError

from .api import error_response
from .middleware import is_api

# Django wraps the driver's errors: a refused, dropped or timed-out connection (and a
# deadlock or lock timeout, which a retry also cures) is an OperationalError; a connection
# already closed is an InterfaceError. The broker's, raw or wrapped by kombu.
UNAVAILABLE_ERRORS = (
    OperationalError,
    InterfaceError,
    BrokerError,
    redis.ConnectionError,
    redis.TimeoutError,
)
RETRY_AFTER_SECONDS = 30
MESSAGE = "The clinic's system is briefly unavailable: try again in a minute."


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from or while handling, says a backing
    service is down."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, UNAVAILABLE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the error shape under /api/, else a page rendered with no
    request context (no user, no context processor, so no query)."""
    if is_api(request):
        response: HttpResponse = error_response(request, 503, MESSAGE, code="unavailable")
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: 503 when a backing service is down, Django's 500 page otherwise."""
    if is_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request)
