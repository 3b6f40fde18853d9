"""The FHIR R4 read API under /fhir/ (issue 14 item 1): read by id, search, Patient/$everything
and the CapabilityStatement at /fhir/metadata.

DRF views with the API's own authentication (an API token or a logged-in session) and
permission (staff only; a patient's account gets a 404, as on the rest of the API), answering
`application/fhir+json` (or `application/json` when that is what the client asks for). Every
error is an OperationOutcome with the status the rest of the API would give. Every read is
audited: a read by id as a view of that record, a search as one list row naming each record
of the page, $everything as an export. They are left out of the OpenAPI schema at
/api/schema/ (FHIR's own CapabilityStatement describes them).
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic import api as clinic_api
from clinic import audit
from clinic.clock import clinic_zone
from patients.models import Patient

from . import codes, search, selectors, services, shapes

Action = audit.Action
VIA = {"via": "fhir"}


class FhirJSONRenderer(JSONRenderer):
    media_type = codes.FHIR_JSON
    format = "fhir"
    charset = "utf-8"


class PlainJSONRenderer(JSONRenderer):
    charset = "utf-8"


class FhirNegotiation(BaseContentNegotiation):
    """FHIR JSON, or plain JSON when the client asks for `application/json` and not for
    FHIR's type. `_format` (json, application/json, application/fhir+json) wins over the
    Accept header; asking only for something else (XML) is a 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        fhir, plain = renderers[0], renderers[1]
        wanted = request.query_params.get("_format", "")
        if wanted:
            if wanted == "application/json":
                return plain, plain.media_type
            return fhir, fhir.media_type  # a bad _format is the search's 400
        types = [
            part.split(";")[0].strip().lower()
            for part in request.META.get("HTTP_ACCEPT", "").split(",")
            if part.strip()
        ]
        if not types or codes.FHIR_JSON in types or {"*/*", "application/*"} & set(types):
            return fhir, fhir.media_type
        if "application/json" in types:
            return plain, plain.media_type
        raise exceptions.NotAcceptable(
            "Only application/fhir+json and application/json are served."
        )


def outcome_handler(exc, context):
    """The API's own error mapping (status codes, rollback, headers), as an OperationOutcome."""
    if isinstance(exc, search.SearchError):
        exc = exceptions.ValidationError(exc.fields)
    response = clinic_api.exception_handler(exc, context)
    if response is None:
        return None
    error = response.data.get("error", {})
    response.data = shapes.operation_outcome(
        response.status_code, error.get("message", ""), error.get("fields") or None
    )
    return response


class FhirView(APIView):
    renderer_classes = [FhirJSONRenderer, PlainJSONRenderer]
    content_negotiation_class = FhirNegotiation

    def get_exception_handler(self):
        return outcome_handler

    def base_url(self) -> str:
        return self.request.build_absolute_uri("/fhir").rstrip("/")

    def full_url(self, resource: shapes.Resource) -> str:
        return f"{self.base_url()}/{resource['resourceType']}/{resource['id']}"


def _type(name: str) -> selectors.FhirType:
    fhir_type = selectors.TYPES.get(name)
    if fhir_type is None:
        raise exceptions.NotFound("This server has no resources of that type.")
    return fhir_type


def _not_found() -> exceptions.NotFound:
    return exceptions.NotFound("No such resource.")


def _no_params(request) -> None:
    """A read takes no search parameters (but `_format`)."""
    search.parse(dict(request.query_params.lists()), {}, zone=clinic_zone(), read_value=None)


class MetadataView(FhirView):
    @extend_schema(exclude=True)
    def get(self, request):
        _no_params(request)
        resources = {
            name: [(p.name, p.fhir_type, p.doc) for p in fhir_type.params.values()]
            for name, fhir_type in selectors.TYPES.items()
        }
        resources["Questionnaire"] = [("_id", "token", "The questionnaire's id.")]
        statement = shapes.capability_statement(
            resources, url=self.base_url(), name=settings.CLINIC_NAME
        )
        return Response(statement)


class ReadView(FhirView):
    @extend_schema(exclude=True)
    def get(self, request, resource_type: str, resource_id: str):
        _no_params(request)
        if resource_type == "Questionnaire":
            if resource_id != shapes.questionnaire_id():
                raise _not_found()
            return Response(shapes.questionnaire())
        fhir_type = _type(resource_type)
        row = fhir_type.find(resource_id)
        if row is None:
            raise _not_found()
        audit.record(actor=request.user, action=Action.VIEW, obj=row, request=request, detail=VIA)
        return Response(fhir_type.build(row))


class SearchView(FhirView):
    @extend_schema(exclude=True)
    def get(self, request, resource_type: str):
        if resource_type == "Questionnaire":
            return self._questionnaires(request)
        fhir_type = _type(resource_type)
        criteria = search.parse(
            dict(request.query_params.lists()),
            fhir_type.params,
            zone=clinic_zone(),
            read_value=lambda param, modifier, text: selectors.read_value(
                param, modifier, text, fhir_type=fhir_type
            ),
        )
        rows = selectors.search_rows(fhir_type, criteria)
        total = rows.count()
        page = list(rows[criteria.offset : criteria.offset + criteria.count])
        audit.record_many(
            actor=request.user, action=Action.LIST, objects=page, request=request, detail=VIA
        )
        resources = [fhir_type.build(row) for row in page]
        return Response(
            shapes.bundle(
                [(r, self.full_url(r)) for r in resources],
                total=total,
                links=self._links(resource_type, criteria, total),
            )
        )

    def _links(
        self, resource_type: str, criteria: search.Criteria, total: int
    ) -> list[tuple[str, str]]:
        """self, and next/previous pages, with the request's own parameters."""
        query = self.request.GET.copy()

        def page(offset: int) -> str:
            query["_offset"] = str(offset)
            query["_count"] = str(criteria.count)
            return f"{self.base_url()}/{resource_type}?{query.urlencode()}"

        links = [("self", page(criteria.offset))]
        if criteria.offset + criteria.count < total:
            links.append(("next", page(criteria.offset + criteria.count)))
        if criteria.offset > 0:
            links.append(("previous", page(max(0, criteria.offset - criteria.count))))
        return links

    def _questionnaires(self, request):
        params = {"_id": search.Param("_id", "token", "The questionnaire's id.")}
        criteria = search.parse(
            dict(request.query_params.lists()),
            params,
            zone=clinic_zone(),
            read_value=lambda p, m, t: t,
        )
        current = shapes.questionnaire()
        ids = criteria.params.get("_id", [])
        matches = [current] if all(current["id"] in values for _, values in ids) else []
        page = matches[criteria.offset : criteria.offset + criteria.count]
        return Response(shapes.bundle([(r, self.full_url(r)) for r in page], total=len(matches)))


class EverythingView(FhirView):
    @extend_schema(exclude=True)
    def get(self, request, resource_id: str):
        _no_params(request)
        try:
            public_id = search.parse_uuid(resource_id)
        except ValueError:
            raise _not_found() from None
        patient = Patient.objects.filter(public_id=public_id).first()
        if patient is None:
            raise _not_found()
        bundle = services.patient_export_fhir(
            patient=patient, by=request.user, base_url=self.base_url(), request=request
        )
        return Response(bundle)


READ_ONLY = "This FHIR server is read-only."


@csrf_exempt
def fhir_not_found(request, *args, **kwargs):
    """Anything else under /fhir/: a 404 OperationOutcome, never an HTML page; a write
    anywhere under /fhir/ is a 405, as on the known URLs (the server is read-only)."""
    if request.method not in ("GET", "HEAD"):
        body = shapes.operation_outcome(405, READ_ONLY)
        response = JsonResponse(body, status=405, content_type=codes.FHIR_JSON)
        response["Allow"] = "GET, HEAD"
        return response
    body = shapes.operation_outcome(404, "This server has no such FHIR endpoint.")
    return JsonResponse(body, status=404, content_type=codes.FHIR_JSON)
