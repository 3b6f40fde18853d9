"""Cross-cutting pages: the role-dependent dashboard."""

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

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


@extend_schema(exclude=True)
class BenchFloorApi(APIView):
    """The floor under every staff API endpoint (bench/run.py): DRF with the project's token
    authentication, the staff check and the JSON renderer, answering an empty page without a
    query of its own. No endpoint of ours can be faster than this; routed only with
    BENCH_BARE_VIEW=true."""

    def get(self, request):
        return Response({"count": 0, "next": None, "previous": None, "results": []})


@extend_schema(exclude=True)
class BenchFloorList(BenchFloorApi):
    """The least a patient list must do under the clinic's rules (bench/run.py), in raw SQL
    with no ORM: on top of `BenchFloorApi`, the exact count of active patients, one page of
    50 (id, name, birth date) in the list's order, and one durable audit row naming them. If
    this floor is below an endpoint's target ratio, no list written with an exact count and
    durable read-audit can reach it on the machine. Routed only with BENCH_BARE_VIEW=true."""

    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM patients_patient WHERE archived_at IS NULL")
            (count,) = cursor.fetchone()
            cursor.execute(
                "SELECT id, public_id, first_name, last_name, date_of_birth "
                "FROM patients_patient WHERE archived_at IS NULL "
                "ORDER BY last_name, first_name, id LIMIT 50"
            )
            rows = cursor.fetchall()
            ids = [row[0] for row in rows]
            publics = [str(row[1]) for row in rows]
            cursor.execute(
                "INSERT INTO clinic_auditevent (at, actor_id, action, object_type, object_id,"
                " object_ids, patient_ids, ip_address, detail) VALUES"
                " (now(), %s, 'list', 'patients.patient', '', %s, %s, %s, '{}')",
                [request.user.pk, json.dumps(ids), json.dumps(publics), "127.0.0.1"],
            )
        results = [
            {"id": p, "first_name": f, "last_name": la, "date_of_birth": d.isoformat()}
            for (_, p, f, la, d), p in zip(rows, publics, strict=True)
        ]
        return Response({"count": count, "next": None, "previous": None, "results": results})


@login_required
@require_safe
def bench_floor_page(request: HttpRequest) -> HttpResponse:
    """The floor under every staff page (bench/run.py): a logged-in session and base.html
    around an empty content block. Routed only with BENCH_BARE_VIEW=true."""
    return render(request, "clinic/bench_floor.html")
