"""Cross-cutting pages: the role-dependent dashboard."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .roles import staff_required


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "clinic/dashboard.html", {})
