"""`{% load clock %}{{ session.starts_at|local }}` or `{{ s.starts_at|local:"H:i" }}`: a
moment on the clinic's wall clock (`clinic.clock.local_format`), whatever zone is active."""

from django import template

from clinic.clock import local_format

register = template.Library()


@register.filter
def local(moment, fmt: str = "") -> str:
    return local_format(moment, fmt) if fmt else local_format(moment)
