"""How many failed logins a client may make, and what it is told when it must wait
(issue 12 item 2). Every login goes through it: the staff and portal pages, the admin's
login and `POST /api/auth/token/`.

Two limits:

- **Per address, across accounts** (django-axes, `AXES_LOCKOUT_PARAMETERS = ["ip_address"]`):
  every failed login from an address counts, whatever the username or User-Agent, and a
  success does not wipe the count; at AXES_FAILURE_LIMIT the address waits
  AXES_COOLOFF_MINUTES. Password spraying stops there.
- **Per account, a delay rather than a lock**: after LOGIN_ACCOUNT_FAILURE_LIMIT failures
  for a username (from any address), each next try must wait LOGIN_DELAY_SECONDS, doubling
  with each further failure up to LOGIN_DELAY_MAX_SECONDS. An address the account has logged
  in from before (`KnownLoginAddress`) is not delayed: a stranger's failures cannot keep the
  owner out at their usual desk, while guesses from anywhere else slow to a crawl.

A refused client gets 429 with `Retry-After`: the page says how long to wait, the API in the
error shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import F, Max
from django.db.models.functions import Greatest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from .audit import client_ip
from .models import KnownLoginAddress, LoginFailures, User

USERNAME_MAX = LoginFailures._meta.get_field("username").max_length
ADDRESS_MESSAGE = (
    "Too many failed logins from this address. Logging in is paused here for {wait}; "
    "if you have forgotten your password, ask the clinic manager to reset it."
)
ACCOUNT_MESSAGE = (
    "Too many failed logins to this account. Please wait {wait} before trying again; "
    "if you have forgotten your password, ask the clinic manager to reset it."
)


@dataclass(frozen=True)
class Refusal:
    """Why a login was not even tried, and for how many seconds more."""

    message: str
    retry_after: int


def wait_text(seconds: int) -> str:
    """'40 seconds', '1 minute', '15 minutes': how long to wait, for a person."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def account_delay(failures: int) -> timedelta:
    """The wait after the `failures`-th failure: none below the limit, then the base
    doubling with each failure, never more than the maximum."""
    over = failures - settings.LOGIN_ACCOUNT_FAILURE_LIMIT
    if over < 0:
        return timedelta(0)
    seconds = settings.LOGIN_DELAY_SECONDS * 2 ** min(over, 32)
    return timedelta(seconds=min(seconds, settings.LOGIN_DELAY_MAX_SECONDS))


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _username(credentials: dict) -> str:
    return str(credentials.get(User.USERNAME_FIELD) or "")[:USERNAME_MAX]


def _is_known_address(username: str, ip: str | None, now: datetime) -> bool:
    if not ip:
        return False
    since = now - timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS)
    return KnownLoginAddress.objects.filter(
        user__username=username, ip_address=ip, last_login_at__gte=since
    ).exists()


def account_refusal(request: HttpRequest, username: str) -> Refusal | None:
    """The account's delay, if this try must wait for it."""
    now = timezone.now()
    until = (
        LoginFailures.objects.filter(username=username, delayed_until__gt=now)
        .values_list("delayed_until", flat=True)
        .first()
    )
    if until is None or _is_known_address(username, client_ip(request), now):
        return None
    seconds = _seconds_until(until, now)
    return Refusal(ACCOUNT_MESSAGE.format(wait=wait_text(seconds)), seconds)


def address_refusal(request: HttpRequest) -> Refusal:
    """django-axes locked this address: for how long more (its cool-off runs from the
    address's latest failure)."""
    now = timezone.now()
    latest = AccessAttempt.objects.filter(ip_address=client_ip(request)).aggregate(
        at=Max("attempt_time")
    )["at"]
    cool_off = settings.AXES_COOLOFF_TIME
    seconds = _seconds_until((latest or now) + cool_off, now)
    return Refusal(ADDRESS_MESSAGE.format(wait=wait_text(seconds)), seconds)


def refusal(request: HttpRequest) -> Refusal | None:
    """Why this login request was refused before its password was checked, if it was."""
    if getattr(request, "login_refusal", None):
        return request.login_refusal
    if getattr(request, "axes_locked_out", False):
        return address_refusal(request)
    return None


class AccountDelayBackend:
    """Listed after django-axes' backend and before the password check: a username still
    in its delay stops the login here (Django then reports it as failed, and the page or
    the API answers 429). No `get_user`: it never loads a session's user, so Django's
    `force_login` and `login()` pick the real backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is None:
            return None
        found = account_refusal(request, str(username)[:USERNAME_MAX])
        if found is not None:
            request.login_refusal = found
            request.axes_locked_out = True  # AxesMiddleware renders the page's answer
            raise PermissionDenied(found.message)
        request.login_checked = True  # the password is checked next: a failure counts
        return None


def record_failure(sender, credentials: dict, request: HttpRequest | None = None, **kwargs):
    """`user_login_failed`: one more failure for the username, and its delay from now. A
    try refused by a limit (the address's or the account's) checked no password and does
    not count."""
    if request is None or not getattr(request, "login_checked", False):
        return
    username = _username(credentials)
    now = timezone.now()
    window = now - timedelta(hours=settings.LOGIN_FAILURE_WINDOW_HOURS)
    LoginFailures.objects.filter(last_failure_at__lt=window).delete()
    row, created = LoginFailures.objects.get_or_create(
        username=username, defaults={"failures": 1, "last_failure_at": now}
    )
    if not created:
        LoginFailures.objects.filter(pk=row.pk).update(
            failures=F("failures") + 1, last_failure_at=Greatest(F("last_failure_at"), now)
        )
        row.refresh_from_db(fields=["failures"])
    delay = account_delay(row.failures)
    if delay:
        LoginFailures.objects.filter(pk=row.pk).update(delayed_until=now + delay)


def record_success(sender, request: HttpRequest | None, user: User, **kwargs):
    """`user_logged_in`: this address is known for this account from now on."""
    ip = client_ip(request)
    if ip and user.pk:
        KnownLoginAddress.objects.update_or_create(
            user=user, ip_address=ip, defaults={"last_login_at": timezone.now()}
        )


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """django-axes' answer to a refused login (AXES_LOCKOUT_CALLABLE): 429 with
    `Retry-After`; the error shape under /api/, a page that says how long to wait elsewhere."""
    found = refusal(request) or address_refusal(request)
    if request.path.startswith("/api/"):
        # The API's own error shape, built here: clinic.api imports this module.
        body = {
            "error": {"status": 429, "code": "throttled", "message": found.message, "fields": {}}
        }
        response: HttpResponse = JsonResponse(body, status=429)
    else:
        context = {"message": found.message, "portal": request.path.startswith("/portal/")}
        response = render(request, "registration/locked.html", context, status=429)
    response["Retry-After"] = str(found.retry_after)
    return response
