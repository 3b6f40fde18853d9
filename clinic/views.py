"""Cross-cutting pages: the role-dependent dashboard."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
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
