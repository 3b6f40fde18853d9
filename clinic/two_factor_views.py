"""The pages of a staff login's second step: the code, and setting up the authenticator
app (its QR code, then recovery codes). See clinic/two_factor.py."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import two_factor
from .forms import OneTimeCodeForm


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe and wanted.startswith("/") else "/"


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _done(request: HttpRequest) -> bool:
    """Nothing left to do here: the session is verified, or the clinic does not ask it.
    A patient's account has no second step (and no business on these pages)."""
    user = request.user
    if user.is_patient:
        raise PermissionDenied("Your account does not have access to this page.")
    return not two_factor.required_for(user) or user.is_verified()


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def code(request: HttpRequest) -> HttpResponse:
    """Second step: the code from the app, or a recovery code."""
    form = OneTimeCodeForm(_posted(request))
    done = _done(request)
    if form.is_bound and not form.is_valid():
        pass  # a malformed code is told as such, whatever else holds
    elif done:
        return redirect(_next(request))
    elif not two_factor.has_app(request.user):
        return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': _next(request)})}")
    elif form.is_bound:
        if two_factor.check_code(
            request=request, user=request.user, code=form.cleaned_data["code"]
        ):
            return redirect(_next(request))
        form.add_error("code", two_factor.CODE_WRONG)
    context = {"form": form, "next": _next(request)}
    status = 400 if form.errors else 200
    return render(request, "registration/two_factor_code.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: scan the QR code (or type the key), enter the code it
    shows; the recovery codes then appear once."""
    user = request.user
    form = OneTimeCodeForm(_posted(request))
    settled = _done(request) or two_factor.has_app(user)
    if form.is_bound and not form.is_valid():
        if settled:  # a malformed code is told as such, whatever else holds
            return render(request, "registration/two_factor_setup.html", {"form": form}, status=400)
    elif settled:
        return redirect(_next(request))
    device = two_factor.pending_app(user)
    if form.is_bound and form.is_valid():
        codes = two_factor.enrol_confirm(
            request=request, device=device, code=form.cleaned_data["code"]
        )
        if codes is not None:
            context = {"codes": codes, "next": _next(request)}
            return render(request, "registration/recovery_codes.html", context)
        form.add_error("code", two_factor.CODE_WRONG)
    context = {
        "form": form,
        "next": _next(request),
        "qr_svg": two_factor.qr_svg(device),
        "secret": two_factor.secret_text(device),
    }
    status = 400 if form.errors else 200
    return render(request, "registration/two_factor_setup.html", context, status=status)
