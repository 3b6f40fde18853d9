"""Cross-cutting pages: the role-dependent dashboard."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from . import panels


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """Staff see their role's dashboard; a patient's account goes to the portal."""
    user = request.user
    if user.is_patient:
        return redirect("portal:home")
    if not user.is_clinic_staff:
        raise PermissionDenied("Your account does not have a role yet; ask the clinic manager.")
    tiles = panels.collect(panels.DASHBOARD, request=request)
    return render(request, "clinic/dashboard.html", {"panels": tiles})


@require_safe
def bench_bare(request: HttpRequest) -> JsonResponse:
    """The benchmark's yardstick (bench/run.py): a bare Django JSON view behind the same
    middleware and server, so every endpoint's figure is a ratio to what Django itself costs
    on this machine in the same run. Routed only with BENCH_BARE_VIEW=true."""
    return JsonResponse({"ok": True})
