"""The API foundation: one error shape, unknown URLs (the token endpoint: token_api.py).

Every error response has the same shape:

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"name": ["..."]}}}
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from .errors import ServiceError

_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
    503: "unavailable",
}


INVALID = "Some fields need attention."


def error_body(status_code: int, message: str, fields: dict | None = None, code: str = "") -> dict:
    return {
        "error": {
            "status": status_code,
            "code": code or _CODES.get(status_code, "error"),
            "message": message,
            "fields": fields or {},
        }
    }


# FHIR's read API (treatments.exchange) answers its errors as an OperationOutcome, also
# those that middleware gives before any view runs (a NUL in the query string, the database
# down, a half-signed-in staff session): one shape per prefix, named here.
FHIR_PREFIX = "/fhir/"
FHIR_JSON = "application/fhir+json"
_ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    413: "too-long",
    415: "not-supported",
    429: "throttled",
    503: "transient",
}


def operation_outcome(status_code: int, message: str, fields: dict | None = None) -> dict:
    """An error as FHIR R4 says: one issue per bad parameter (its name, what is wrong), or
    one for the whole request."""
    code = _ISSUE_CODES.get(status_code, "exception")
    issues = [
        {"severity": "error", "code": code, "diagnostics": f"{name}: {text}", "expression": [name]}
        for name, texts in (fields or {}).items()
        for text in texts
    ] or [{"severity": "error", "code": code, "diagnostics": message}]
    return {"resourceType": "OperationOutcome", "issue": issues}


def is_fhir(request) -> bool:
    return request.path.startswith(FHIR_PREFIX)


def error_response(
    request, status_code: int, message: str, fields: dict | None = None, code: str = ""
) -> JsonResponse:
    """An error outside the API's views: the error shape, or under /fhir/ an
    OperationOutcome."""
    if is_fhir(request):
        body = operation_outcome(status_code, message, fields)
        return JsonResponse(body, status=status_code, content_type=FHIR_JSON)
    return JsonResponse(error_body(status_code, message, fields, code), status=status_code)


def _flatten(detail) -> dict[str, list[str]]:
    """DRF's nested error detail → {"field": ["message", ...]}, nested keys joined by dots."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                if key == "non_field_errors" and prefix:
                    walk(prefix, sub)  # {"records": {"non_field_errors": [...]}} → "records"
                else:
                    walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                out.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
            else:
                for i, sub in enumerate(value):
                    walk(f"{prefix}.{i}" if prefix else str(i), sub)
        else:
            out.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return out


def exception_handler(exc, context):
    """Map every error to the one shape; the transaction is rolled back (never half a change)."""
    if isinstance(exc, ServiceError):
        set_rollback()
        return Response(error_body(exc.status, exc.message, exc.fields, exc.code), exc.status)
    if isinstance(exc, IntegrityError):
        # A database constraint caught a race that the service's check could not see.
        set_rollback()
        return Response(
            error_body(409, "This change conflicts with another one. Please reload and retry."),
            status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: let Django log it and answer 500

    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    code = exc.status_code
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        body = error_body(code, INVALID, fields)
    else:
        detail = exc.detail if isinstance(exc.detail, str) else _flatten(exc.detail)
        body = error_body(code, str(detail))
    return Response(body, status=code, headers=headers)


def query_bool(request, name: str, default: bool = False) -> bool:
    """A boolean query parameter: `true`/`false` (or 1/0); anything else is a 400."""
    values = request.query_params.getlist(name)
    if not values:
        return default
    if len(values) == 1 and values[0].lower() in ("true", "1", "false", "0"):
        return values[0].lower() in ("true", "1")
    raise exceptions.ValidationError({name: ["Must be true or false."]})


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "status": serializers.IntegerField(),
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(child=serializers.ListField()),
            },
        )
    },
)


_ERROR_DESCRIPTIONS = {
    400: "Invalid input, with field messages",
    401: "Not logged in",
    403: "Wrong role",
    404: "Not found",
    409: "Conflicts with the current state",
    503: "Briefly unavailable (the database is down): retry after Retry-After seconds",
}

# The error responses every endpoint documents: `responses={200: ..., **ERRORS}`.
ERRORS = {
    code: OpenApiResponse(ErrorSerializer, description=text)
    for code, text in _ERROR_DESCRIPTIONS.items()
    if code != 409
}
CONFLICT = {409: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS[409])}


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Unknown URLs under /api/ answer 404 in the error shape, never an HTML page."""
    return JsonResponse(error_body(404, "No such endpoint."), status=404)


def csrf_failure(request, reason: str = ""):
    """A failed CSRF check: the error shape under /api/, a plain page elsewhere."""
    if request.path.startswith("/api/"):
        message = "CSRF check failed: send the X-CSRFToken header, or use token auth."
        return JsonResponse(error_body(403, message), status=403)
    return django_csrf_failure(request, reason=reason)
