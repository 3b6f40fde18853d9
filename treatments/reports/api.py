"""The reports as JSON: `GET /api/reports/?since=&until=&practitioner=`, the same figures
and tables as the page (`sections`), for managers and practitioners (their own figures).

The dates and the scope are read by the page's own form (`ReportForm`): one set of rules
for both, its problems a 400 in the API's error shape. No audit row: counts only, no
patient named (see `selectors`).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api import ERRORS
from clinic.models import Role
from clinic.roles import HasRole

from . import sections
from .forms import LONGEST_DAYS, ReportForm


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "number"}]})
class CellField(serializers.Field):
    """A table's cell: a figure or a label, as the page shows it."""

    def to_representation(self, value):
        return (
            value if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
        )


class TableSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="The CSV's name: /reports/export.csv?table=<slug>")
    caption = serializers.CharField()
    header = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=CellField()))
    total = serializers.ListField(child=CellField(), allow_null=True)


class SectionSerializer(serializers.Serializer):
    slug = serializers.CharField()
    heading = serializers.CharField()
    explains = serializers.CharField()
    tables = serializers.ListField(child=TableSerializer())


class ReportsSerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    practitioner = serializers.IntegerField(
        allow_null=True, help_text="Whose figures: null for the whole clinic."
    )
    reports = serializers.ListField(child=SectionSerializer())


def _date(name: str, text: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, description=text, required=False)


class ReportsView(APIView):
    """Every report over a range of the clinic's local days (both included)."""

    permission_classes = [HasRole(Role.PRACTITIONER, Role.MANAGER)]

    @extend_schema(
        parameters=[
            _date("since", "The first local day, YYYY-MM-DD (four weeks before `until`)."),
            _date("until", f"The last local day, YYYY-MM-DD (today); at most {LONGEST_DAYS}."),
            OpenApiParameter(
                "practitioner",
                int,
                required=False,
                description="A manager's choice of one practitioner's figures (a practitioner "
                "always gets their own).",
            ),
        ],
        responses={200: ReportsSerializer, **ERRORS},
    )
    def get(self, request):
        if "" in request.query_params.getlist("practitioner"):
            # The page's "whole clinic" choice is an empty value; here it is left out.
            raise serializers.ValidationError(
                {"practitioner": ["Give a practitioner's id, or leave it out for the clinic."]}
            )
        form = ReportForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise serializers.ValidationError({k: list(v) for k, v in form.errors.items()})
        period, scope = form.period, form.scope
        found = [make(period, scope) for make in sections.SECTIONS.values()]
        return Response(
            ReportsSerializer(
                {
                    "since": period.first,
                    "until": period.last,
                    "practitioner": scope.practitioner_id,
                    "reports": [
                        {
                            "slug": s.slug,
                            "heading": s.heading,
                            "explains": s.explains,
                            "tables": [f.table for f in s.figures],
                        }
                        for s in found
                    ],
                }
            ).data
        )
