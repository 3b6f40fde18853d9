"""The manager's staff pages under /staff/: the list, inviting someone, one account (its
roles, deactivating and reactivating it, a new invitation); and the page behind the
invitation's one-time link, where the new member of staff sets a password.

Thin views: a form, one service, a redirect or the page again with every problem shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic import backends
from clinic.errors import Invalid, ServiceError
from clinic.models import Role, User
from clinic.roles import role_required

from . import links, selectors, services
from .forms import ChangePasswordForm, SetPasswordForm, StaffInviteForm, StaffRolesForm

manager_required = role_required(Role.MANAGER)
ROLE_LABELS = dict(Role.choices)


@dataclass(frozen=True)
class Account:
    """One staff account as the pages show it."""

    user: User
    roles: list[str]  # labels, in Role order
    status: selectors.AccountStatus


def _account_row(user: User, now) -> Account:
    labels = [ROLE_LABELS[role] for role in selectors.role_list(user)]
    return Account(user=user, roles=labels, status=selectors.account_status(user, now))


def _account(id: int) -> User:
    """A staff account by id; a patient's portal account is a 404, as if it did not exist."""
    return get_object_or_404(selectors.staff_accounts(), pk=id)


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _sending_note(user: User) -> str:
    return (
        f"The invitation will be e-mailed to {user.email} in a moment. Its link works once, "
        f"for {links.invite_hours()} hours."
    )


# --- The manager's pages ------------------------------------------------------------------


@manager_required
@require_safe
def staff_list(request: HttpRequest) -> HttpResponse:
    """Every staff account: name, e-mail, roles, where it stands, last login. Three
    queries, whatever the number of accounts."""
    now = timezone.now()
    accounts = [_account_row(user, now) for user in selectors.staff_accounts()]
    return render(request, "clinic/staff/list.html", {"accounts": accounts})


@manager_required
@require_http_methods(["GET", "POST"])
def staff_invite(request: HttpRequest) -> HttpResponse:
    form = StaffInviteForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            invite = services.staff_invite(**form.cleaned_data, by=request.user, request=request)
        except ServiceError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _sending_note(invite.user))
            return redirect("staff:detail", id=invite.user.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "invite_hours": links.invite_hours()}
    return render(request, "clinic/staff/invite.html", context, status=status)


@manager_required
@require_http_methods(["GET", "POST"])
def staff_detail(request: HttpRequest, id: int) -> HttpResponse:
    """One account: its details and where it stands, and the form to change its roles."""
    user = _account(id)
    form = StaffRolesForm(_posted(request), initial={"roles": selectors.role_list(user)})
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_set_roles(
                user=user, roles=form.cleaned_data["roles"], by=request.user, request=request
            )
        except ServiceError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{user.display_name}’s roles are saved.")
            return redirect("staff:detail", id=user.pk)
    context = {
        "account": _account_row(user, timezone.now()),
        "form": form,
        "is_self": user.pk == request.user.pk,
    }
    return render(request, "clinic/staff/detail.html", context, status=400 if form.errors else 200)


# What each confirmed action does, and what the manager is told when it is done.
CONFIRMED = {
    "deactivate": (
        services.staff_deactivate,
        "{name}’s account is deactivated: they are logged out.",
    ),
    "reactivate": (services.staff_reactivate, "{name}’s account is active again."),
    "reset": (
        services.staff_reset_login,
        "{name} is logged out and must set a new password and set up their authenticator app "
        "again. ",
    ),
}


def _confirm(request: HttpRequest, id: int, *, action: str) -> HttpResponse:
    """The confirmation page of deactivating, reactivating or resetting a login, and doing
    it on POST."""
    user = _account(id)
    error, status = "", 200
    if request.method == "POST":
        service, done = CONFIRMED[action]
        try:
            service(user=user, by=request.user, request=request)
        except ServiceError as exc:
            error, status = exc.as_text(), exc.status
        else:
            note = _sending_note(user) if action == "reset" else ""
            messages.success(request, done.format(name=user.display_name) + note)
            return redirect("staff:detail", id=user.pk)
    context = {
        "account": _account_row(user, timezone.now()),
        "action": action,
        "error": error,
        "is_self": user.pk == request.user.pk,
    }
    return render(request, "clinic/staff/confirm.html", context, status=status)


@manager_required
@require_http_methods(["GET", "POST"])
def staff_deactivate(request: HttpRequest, id: int) -> HttpResponse:
    return _confirm(request, id, action="deactivate")


@manager_required
@require_http_methods(["GET", "POST"])
def staff_reactivate(request: HttpRequest, id: int) -> HttpResponse:
    return _confirm(request, id, action="reactivate")


@manager_required
@require_http_methods(["GET", "POST"])
def staff_reset_login(request: HttpRequest, id: int) -> HttpResponse:
    return _confirm(request, id, action="reset")


@manager_required
@require_POST
def staff_reinvite(request: HttpRequest, id: int) -> HttpResponse:
    user = _account(id)
    try:
        services.staff_reinvite(user=user, by=request.user, request=request)
    except ServiceError as exc:
        messages.error(request, exc.as_text())
    else:
        messages.success(request, "A new invitation is on its way. " + _sending_note(user))
    return redirect("staff:detail", id=user.pk)


# --- One's own password --------------------------------------------------------------------


WRONG_CURRENT_KEY = "password_change_wrong"
WRONG_CURRENT_MAX = 5  # wrong current passwords in one session before it ends


@role_required()
@never_cache
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Any member of staff changes their own password. This browser stays logged in; their
    other logins and API tokens stop working."""
    form = ChangePasswordForm(_posted(request), user=request.user)
    if request.method == "POST" and "current_password" in form.errors:
        # Someone at an unattended, logged-in screen could try passwords here, out of
        # reach of the login's limits: a few wrong ones end the session.
        wrong = request.session.get(WRONG_CURRENT_KEY, 0) + 1
        request.session[WRONG_CURRENT_KEY] = wrong
        if wrong >= WRONG_CURRENT_MAX:
            logout(request)
            messages.error(request, "Too many wrong passwords: please log in again.")
            return redirect("login")
    if request.method == "POST" and form.is_valid():
        user = services.password_change(
            user=request.user, password=form.cleaned_data["password"], request=request
        )
        update_session_auth_hash(request, user)
        messages.success(
            request,
            "Your password is changed. You are still logged in here; anywhere else, log in "
            "again with the new one.",
        )
        return redirect("dashboard")
    status = 400 if form.errors else 200
    return render(request, "clinic/staff/password_change.html", {"form": form}, status=status)


# --- The invitation's link ----------------------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    """A page with a token in its address is never cached."""
    response["Cache-Control"] = "no-store, private"
    return response


def _link_invalid(request: HttpRequest, exc: Invalid) -> HttpResponse:
    status = 404 if exc.message == links.LINK_UNKNOWN else 410
    context = {"message": exc.message}
    return _private(render(request, "clinic/staff/link_invalid.html", context, status=status))


@never_cache
@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation's one-time link: choose a password, then the clinic's pages open."""
    try:
        invite = links.link_check(token)
    except Invalid as exc:
        return _link_invalid(request, exc)
    form = SetPasswordForm(_posted(request), user=invite.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = links.link_accept(
                token=token, password=form.cleaned_data["password"], request=request
            )
        except Invalid as exc:
            if not exc.fields:
                return _link_invalid(request, exc)
            form.add_service_errors(exc)
        else:
            login(request, user, backend=backends.PATH)
            messages.success(request, "Your password is set. Welcome!")
            return redirect("dashboard")
    context = {"form": form, "invite": invite, "username": invite.user.username}
    status = 400 if form.errors else 200
    return _private(render(request, "clinic/staff/set_password.html", context, status=status))
