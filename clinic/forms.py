"""What every HTML form shares: a service's refusal shown on the form that caused it."""

from __future__ import annotations

from django import forms

from .errors import ServiceError


def add_service_errors(form: forms.BaseForm, exc: ServiceError, field_for=None) -> forms.BaseForm:
    """Show `exc` on `form`: each `Invalid.fields` key on its field (or the one `field_for`
    maps it to), anything else, and a refusal with no fields, at the top of the form."""

    def _field(key: str) -> str | None:
        if field_for is not None:
            return field_for(key)
        return key if key in form.fields else None

    if not exc.fields:
        form.add_error(None, exc.message)
        return form
    for key, messages in exc.fields.items():
        name = _field(key)
        form.add_error(name if name in form.fields else None, list(messages))
    return form


class ServiceErrorsMixin:
    """For a Form: `form.add_service_errors(exc)`; override `service_field` to map keys."""

    def service_field(self, key: str) -> str | None:
        return key if key in self.fields else None

    def add_service_errors(self, exc: ServiceError) -> None:
        add_service_errors(self, exc, self.service_field)
