"""`{% load clock %}{{ session.starts_at|local }}`, `{{ s.starts_at|local:"TIME" }}` or
`{{ s.starts_at|local:"H:i" }}`: a moment on the clinic's wall clock
(`clinic.clock.local_format`, with its named formats), whatever zone a view activates."""

from django import template

from clinic.clock import DATE_TIME, local_format

register = template.Library()


@register.filter
def local(moment, fmt: str = DATE_TIME) -> str:
    if moment in (None, ""):  # a missing value shows nothing, as with Django's `date`
        return ""
    return local_format(moment, fmt or DATE_TIME)
